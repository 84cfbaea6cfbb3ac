import { execHookIds } from '../exec-hooks/exec-hook-ids.ts';
import type { WorkloadOutcome } from '../init-hooks/workload-reconciler.ts';
import { Controller } from '../machinery/controller.ts';
import type { KeySink } from '../machinery/event-handlers.ts';
import { mappedHandler } from '../machinery/event-handlers.ts';
import { restoreKey } from '../restore-key.ts';
import { OutcomeLedgerStore } from '../restores/ledger-store.ts';
import { memberPods, memberWorkloadKeys } from '../restores/restore-members.ts';
import { RestoreReconciler, WorkloadOutcomes } from '../restores/restore-reconciler.ts';
import type { RestoreHookStatusDeps } from '../restores/restore-hook-status.ts';
import { orphanLedgerKeys, podRestoreStatusKeys, restoreEventKeys } from './event-mapping.ts';
import type { WiringContext } from './context.ts';
import { controllerOptions } from './context.ts';

/** A status write per restore at most this often, however many workload changes arrive. */
const RESTORE_STATUS_COALESCE_MS = 1000;

/**
 * What the other controllers report for a Restore's status, each refreshing it (coalesced) when it may change.
 * Only a changed workload outcome refreshes it: every restore reconcile enqueues its workloads, so refreshing after
 * each of their reconciles would run both forever, once a second.
 */
export interface RestoreStatusInputs {
  workloadOutcome(outcome: WorkloadOutcome): void;
  /** A pod without a workload (bare, or a Job's) of the Restore `restore` will not run its init hooks. */
  skippedPod(restore: string, pod: string): void;
  /** What the Restore's counts are built from changed (keys are restore keys). */
  readonly refresh: KeySink;
}

/** What the Restore's exec-hook condition and hook counts are built from: its member pods, from the caches. */
function hookStatusDeps(ctx: WiringContext): RestoreHookStatusDeps {
  const { caches, restores, settings } = ctx;
  return {
    memberPods: (labelValue, restore) =>
      memberPods(
        caches.podsLabelled(labelValue),
        caches.getWorkload,
        labelValue,
        restore,
        restores.hooksOf(restore),
      ),
    execHookIds: (restore, pod) => execHookIds(restores.hooksOf(restore), pod, settings.policy),
    ledgers: new OutcomeLedgerStore({
      client: ctx.client,
      namespace: ctx.namespace,
      cached: caches.ledgerShards,
    }),
  };
}

/**
 * The `restore` controller: keeps each Restore's conditions, hook counts and ledger, from the Restore informers,
 * the ledger shards (an orphaned ledger) and the watched pods' updates (hook counts).
 */
export function buildRestoreController(ctx: WiringContext): {
  controller: Controller;
  status: RestoreStatusInputs;
} {
  const { caches, restores, settings, metrics } = ctx;
  const outcomes = new WorkloadOutcomes();
  const reconciler = new RestoreReconciler({
    getRestore: caches.getRestore,
    listRestores: caches.listRestores,
    restores,
    memberWorkloads: (labelValue, restore) =>
      memberWorkloadKeys(caches.workloadsLabelled, labelValue, restore, restores.hooksOf(restore)),
    outcomes,
    client: ctx.client,
    events: ctx.events,
    hookWindowMs: settings.hookWindow,
    now: ctx.now,
    onActiveRestores: (count) => metrics.setRestoresActive(count),
    hookStatus: hookStatusDeps(ctx),
    onRestoreDone: (name) => metrics.forgetRestore(name),
    minStatusIntervalMs: RESTORE_STATUS_COALESCE_MS,
  });
  const controller = new Controller({
    name: 'restore',
    reconcile: (key, rctx) => reconciler.reconcile(key, rctx),
    ...controllerOptions(ctx),
  });
  const refresh: KeySink = {
    enqueue: (key) => controller.queue.addAfter(key, RESTORE_STATUS_COALESCE_MS),
  };

  for (const informer of caches.restores)
    informer.addEventHandler(mappedHandler(controller, restoreEventKeys));
  const cached = (key: string) => caches.listRestores().some((r) => restoreKey(r) === key);
  caches.ledgers.addEventHandler(mappedHandler(controller, orphanLedgerKeys(cached)));
  for (const informer of caches.watchedPods())
    informer.addEventHandler(
      mappedHandler(
        refresh,
        podRestoreStatusKeys((labels) => restores.byObjectLabels(labels)),
      ),
    );

  return {
    controller,
    status: {
      workloadOutcome: (outcome) => {
        if (outcomes.record(outcome)) refresh.enqueue(outcome.restore);
      },
      skippedPod: (restore, pod) => {
        outcomes.recordSkippedPod(restore, pod);
        refresh.enqueue(restore);
      },
      refresh,
    },
  };
}
