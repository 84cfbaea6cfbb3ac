import type { Pod } from '../../kube/types.ts';
import { ExecHookReconciler } from '../exec-hooks/exec-reconciler.ts';
import { createExec } from '../exec-hooks/exec-runner.ts';
import { Controller } from '../machinery/controller.ts';
import { mappedHandler } from '../machinery/event-handlers.ts';
import type { WiringContext } from './context.ts';
import { controllerOptions } from './context.ts';
import { watchedPodExecKeys } from './event-mapping.ts';
import type { RestoreStatusInputs } from './restore-controller.ts';

export interface ExecControllerLinks {
  readonly restoreStatus: RestoreStatusInputs;
}

export interface ExecControllerParts {
  readonly controller: Controller;
  /** Pods that may need their exec hooks claimed, seen outside the pending-pod informer (a workload's list). */
  readonly candidates: (pods: readonly Pod[]) => void;
  /** Starts no more execs; resolves once those under way have finished and their outcomes are recorded. */
  readonly drain: () => Promise<void>;
}

/**
 * The `exec` controller (keys `namespace/name`): runs restored pods' exec hooks once each, from the hooked (and
 * Velero-restored) pod informers, and claims the pending pods of restored workloads that need them.
 */
export function buildExecController(ctx: WiringContext, links: ExecControllerLinks): ExecControllerParts {
  const { caches, settings } = ctx;
  const controller: Controller = new Controller({
    name: 'exec',
    reconcile: (key, rctx) => reconciler.reconcile(key, rctx),
    ...controllerOptions(ctx),
  });
  const reconciler = new ExecHookReconciler({
    getPod: caches.getExecPod,
    getWorkload: caches.getWorkload,
    owners: ctx.owners,
    restores: ctx.restores,
    activeRestores: () => ctx.restores.active(ctx.now(), settings.hookWindow),
    cluster: ctx.cluster,
    client: ctx.client,
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
    onOutcome: (restore) => links.restoreStatus.refresh.enqueue(restore),
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
  return {
    controller,
    candidates: (pods) => {
      for (const pod of pods) reconciler.podSeenPending(pod);
    },
    drain: () => reconciler.drain(),
  };
}
