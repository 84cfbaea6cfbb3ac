import { veleroLabelValue } from '../../kube/velero-labels.ts';
import { execSweepRestoreWanted, execSweepWanted } from '../exec-hooks/exec-plan.ts';
import { ExecHookReconciler } from '../exec-hooks/exec-reconciler.ts';
import { createExec } from '../exec-hooks/exec-runner.ts';
import { Controller } from '../machinery/controller.ts';
import { mappedHandler } from '../machinery/event-handlers.ts';
import { WORKLOAD_KINDS } from '../workload-kinds.ts';
import type { WiringContext } from './context.ts';
import { controllerOptions } from './context.ts';
import type { ExecSweepWanted } from './event-mapping.ts';
import { restoreExecSweepKeys, watchedPodExecKeys, workloadExecSweepKeys } from './event-mapping.ts';

export interface ExecControllerParts {
  readonly controller: Controller;
  /** Starts no more execs; resolves once those under way have finished and their outcomes are recorded. */
  readonly drain: () => Promise<void>;
}

/**
 * The `exec` controller (keys `namespace/name` of pods, and `Kind/namespace/name` of restored workloads whose pods no
 * cache may hold): runs restored pods' exec hooks once each, from the hooked (and Velero-restored) pod informers,
 * claims the pending pods of restored workloads that need them, and, from the workload and Restore informers, the
 * pods of restored workloads that left Pending unseen.
 */
export function buildExecController(ctx: WiringContext): ExecControllerParts {
  const { caches, settings, restores } = ctx;
  const controller: Controller = new Controller({
    name: 'exec',
    reconcile: (key, rctx) => reconciler.reconcile(key, rctx),
    ...controllerOptions(ctx),
  });
  const reconciler = new ExecHookReconciler({
    getPod: caches.getExecPod,
    getWorkload: caches.getWorkload,
    pendingPodsIn: caches.pendingPodsIn,
    owners: ctx.owners,
    restores,
    activeRestores: () => restores.active(ctx.now(), settings.hookWindow),
    api: ctx.api,
    events: ctx.events,
    exec: createExec(ctx.kubeConfig),
    enqueue: (key) => controller.enqueue(key),
    settings: {
      hookWindowMs: settings.hookWindow,
      policy: settings.policy,
      exec: settings.exec,
      concurrency: settings.concurrency.execHooks,
    },
    now: ctx.now,
    logger: ctx.logger.child({ controller: 'exec' }),
    metrics: ctx.metrics,
  });

  // The exec reconciler remembers what it is told of these pods (a pending pod that may leave every cache before
  // its reconcile, a deleted pod's last state) and enqueues them itself.
  caches.pendingPods.addEventHandler({
    onAdd: (pod) => reconciler.podSeenPending(pod),
    onUpdate: (_old, pod) => reconciler.podSeenPending(pod),
  });
  for (const informer of caches.watchedPods()) {
    informer.addEventHandler(mappedHandler(controller, watchedPodExecKeys));
    informer.addEventHandler({ onDelete: (pod) => reconciler.podDeleted(pod) });
  }
  const wanted: ExecSweepWanted = (kind, workload, lookup) =>
    execSweepWanted(kind, workload, lookup, ctx.now(), settings.hookWindow);
  for (const [kind, informer] of caches.workloads)
    informer.addEventHandler(
      mappedHandler(
        controller,
        workloadExecSweepKeys(kind, (value) => restores.byLabelValue(value), wanted),
      ),
    );
  const workloadsOf = (restore: { metadata: { name?: string } }) =>
    WORKLOAD_KINDS.flatMap((kind) =>
      caches
        .workloadsLabelled(kind, veleroLabelValue(restore.metadata.name ?? ''))
        .map((workload) => ({ kind, workload })),
    );
  for (const informer of caches.restores)
    informer.addEventHandler(
      mappedHandler(
        controller,
        restoreExecSweepKeys(
          workloadsOf,
          (r) => restores.hooksOf(r),
          wanted,
          (restore, hooks) => execSweepRestoreWanted(restore, hooks, ctx.now(), settings.hookWindow),
        ),
      ),
    );
  return { controller, drain: () => reconciler.drain() };
}
