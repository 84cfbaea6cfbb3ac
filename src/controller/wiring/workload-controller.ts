import { WorkloadReconciler } from '../init-hooks/workload-reconciler.ts';
import type { Controller } from '../machinery/controller.ts';
import { mappedHandler } from '../machinery/event-handlers.ts';
import { veleroLabelValue } from '../../kube/velero-labels.ts';
import { memberWorkloadKeys } from '../restores/restore-members.ts';
import type { WiringContext } from './context.ts';
import { initHookReconcilerDeps, rankedController } from './context.ts';
import { concernedWorkloadKeys, restoreMemberWorkloadKeys, workloadEventKeys } from './event-mapping.ts';

/**
 * The `workload` controller (keys `Kind/namespace/name`): gets the hooks into restored workloads' pods, from the
 * restored-workload informers, the pending pods those workloads control, and their Restores.
 */
export function buildWorkloadController(ctx: WiringContext): Controller {
  const { caches } = ctx;
  const reconciler = new WorkloadReconciler({
    ...initHookReconcilerDeps(ctx),
    pendingPodsIn: caches.pendingPodsIn,
  });
  // Workloads on the template path first: their next step must not wait behind settled ones.
  const controller = rankedController(ctx, 'workload', reconciler);
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
