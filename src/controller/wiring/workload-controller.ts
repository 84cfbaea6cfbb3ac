import { WorkloadReconciler } from '../init-hooks/workload-reconciler.ts';
import { Controller } from '../machinery/controller.ts';
import { mappedHandler } from '../machinery/event-handlers.ts';
import { veleroLabelValue } from '../../kube/velero-labels.ts';
import { memberWorkloadKeys } from '../restores/restore-members.ts';
import type { WiringContext } from './context.ts';
import { controllerOptions } from './context.ts';
import { concernedWorkloadKeys, restoreMemberWorkloadKeys, workloadEventKeys } from './event-mapping.ts';

/**
 * The `workload` controller (keys `Kind/namespace/name`): gets the hooks into restored workloads' pods, from the
 * restored-workload informers, the pending pods those workloads control, and their Restores.
 */
export function buildWorkloadController(ctx: WiringContext): Controller {
  const { caches } = ctx;
  const reconciler = new WorkloadReconciler({
    getWorkload: caches.getWorkload,
    pendingPodsIn: caches.pendingPodsIn,
    owners: ctx.owners,
    restores: ctx.restores,
    api: ctx.api,
    events: ctx.events,
    settings: ctx.initSettings,
    now: ctx.now,
    metrics: ctx.metrics,
  });
  const controller = new Controller({
    name: 'workload',
    reconcile: (key, rctx) => reconciler.reconcile(key, rctx),
    // Workloads on the template path first: their next step must not wait behind settled ones.
    rank: (key) => reconciler.rank(key),
    ...controllerOptions(ctx),
  });
  for (const [kind, informer] of caches.workloads)
    informer.addEventHandler(mappedHandler(controller, workloadEventKeys(kind)));
  caches.pendingPods.addEventHandler(mappedHandler(controller, concernedWorkloadKeys(ctx.owners)));
  const members = restoreMemberWorkloadKeys(
    (restore) => ctx.restores.hooksOf(restore),
    (restore) =>
      memberWorkloadKeys(
        caches.workloadsLabelled,
        veleroLabelValue(restore.metadata.name ?? ''),
        restore,
        ctx.restores.hooksOf(restore),
      ),
  );
  for (const informer of caches.restores) informer.addEventHandler(mappedHandler(controller, members));
  return controller;
}
