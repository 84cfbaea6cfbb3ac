import { execHookIds } from '../exec-hooks/exec-hook-ids.ts';
import { Controller } from '../machinery/controller.ts';
import type { KeySink } from '../machinery/event-handlers.ts';
import { mappedHandler } from '../machinery/event-handlers.ts';
import { restoreKey } from '../restore-key.ts';
import { OutcomeLedgerStore } from '../restores/ledger-store.ts';
import { TallyMemo, initHooksTally } from '../restores/init-hooks-tally.ts';
import { initHooksMembers, memberPods } from '../restores/restore-members.ts';
import { RestoreReconciler } from '../restores/restore-reconciler.ts';
import type { RestoreObject } from '../restore-directory.ts';
import type { WorkloadTally } from '../restores/conditions.ts';
import type { RestoreHookStatusDeps } from '../restores/restore-hook-status.ts';
import {
  orphanLedgerKeys,
  podRestoreStatusKeys,
  restoreEventKeys,
  restorePodStatusKeys,
  restoreWorkloadStatusKeys,
} from './event-mapping.ts';
import type { WiringContext } from './context.ts';
import { controllerOptions } from './context.ts';

/** A status write per restore at most this often, however many workload changes arrive. */
const RESTORE_STATUS_COALESCE_MS = 1000;

/** InitHooksApplied's tally of one Restore, from the caches: its member workloads and its pods. */
function initHooksTallyOf(ctx: WiringContext): (labelValue: string, restore: RestoreObject) => WorkloadTally {
  const { caches, restores, owners } = ctx;
  const { admission, ...settings } = ctx.initSettings;
  const memo = new TallyMemo();
  return (labelValue, restore) => {
    const hooks = restores.hooksOf(restore);
    const { members, otherPods } = initHooksMembers(
      {
        workloadsLabelled: caches.workloadsLabelled,
        getWorkload: caches.getWorkload,
        pendingPods: caches.pendingPodList,
        podsLabelled: caches.restorePods,
        replicaSetsAwaitingAdoption: (deployment) => owners.replicaSetsAwaitingAdoption(deployment),
        jobsLabelled: caches.jobsLabelled,
      },
      labelValue,
      restore,
      hooks,
    );
    return initHooksTally(
      {
        lookup: { found: true, restore, hooks },
        members,
        otherPods,
        admissionServed: admission?.() ?? false,
        nowMs: ctx.now(),
        settings,
      },
      memo,
    );
  };
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
 * the ledger shards (an orphaned ledger), and the changes of the workloads and pods it counts (coalesced).
 */
export function buildRestoreController(ctx: WiringContext): { controller: Controller } {
  const { caches, restores, settings, metrics } = ctx;
  const reconciler = new RestoreReconciler({
    getRestore: caches.getRestore,
    listRestores: caches.listRestores,
    restores,
    initHooksTally: initHooksTallyOf(ctx),
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
  const restoreOf = (labels: Readonly<Record<string, string>> | undefined) => restores.byObjectLabels(labels);
  for (const informer of caches.watchedPods())
    informer.addEventHandler(mappedHandler(refresh, podRestoreStatusKeys(restoreOf)));
  // What InitHooksApplied counts: the restored workloads, and the pods of the restore as the caches show them.
  for (const informer of [...caches.workloads.values(), caches.restoredJobs])
    informer.addEventHandler(mappedHandler(refresh, restoreWorkloadStatusKeys(restoreOf)));
  const podStatusKeys = restorePodStatusKeys(restoreOf, caches.getWorkload, caches.getJob);
  caches.pendingPods.addEventHandler(mappedHandler(refresh, podStatusKeys));
  caches.restoredPods.addEventHandler(mappedHandler(refresh, podStatusKeys));

  return { controller };
}
