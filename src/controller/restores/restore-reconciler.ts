import type { Problem } from '../../hooks/problems.ts';
import { unknownRestoreFields } from '../../hooks/unknown-fields.ts';
import { SeenOnce } from '../seen-once.ts';
import { splitObjectKey as splitKey } from '../machinery/kube-object.ts';
import { veleroLabelValue } from '../../kube/velero-labels.ts';
import type { EventRecorder } from '../events.ts';
import { restoreReference } from '../events.ts';
import type { KubeJsonClient } from '../kube-json-client.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import { msUntilWindowCloses, restoreActivity, restoreFinished } from '../restore-activity.ts';
import type { RestoreDirectory, RestoreObject } from '../restore-directory.ts';
import type { DesiredCondition, WorkloadTally } from './conditions.ts';
import type { Condition } from '../../hooks/restore-types.ts';
import {
  conditionsShow,
  hooksValidCondition,
  initHooksAppliedCondition,
  mergeConditions,
} from './conditions.ts';
import type { RestoreStatusFields } from './hook-outcomes.ts';
import { restoreHookStatus } from './restore-hook-status.ts';
import type { RestoreHookStatusDeps } from './restore-hook-status.ts';

/** InitHooksApplied reasons once every member workload has been decided: worth a HooksApplied Event. */
const SETTLED_INIT_REASONS = new Set(['HooksInPlace', 'PodsSkipped', 'HookConflict']);
const RESTORE_EVENT_REASONS = ['HooksApplied', 'HookCountsWritten'] as const;
const DEFAULT_RESTORE_EVENT_INTERVAL_MS = 60_000;
const DEFAULT_REFRESH_SHARE = 0.1;
/** However long a count took, the next one comes within this. */
const MAX_REFRESH_GAP_MS = 5_000;

export interface RestoreReconcilerDeps {
  readonly getRestore: (namespace: string, name: string) => RestoreObject | undefined;
  readonly listRestores: () => readonly RestoreObject[];
  readonly restores: RestoreDirectory;
  /** What InitHooksApplied counts, from what the caches show of the Restore's workloads and pods. */
  readonly initHooksTally: (labelValue: string, restore: RestoreObject) => WorkloadTally;
  readonly client: KubeJsonClient;
  readonly events: EventRecorder;
  readonly hookWindowMs: number;
  readonly now: () => number;
  readonly onActiveRestores?: (count: number) => void;
  /** A restore was deleted or left its hook window: drop what is kept per restore (metric series). */
  readonly onRestoreDone?: (name: string) => void;
  /**
   * At most one status write per restore this often: during a large restore the InitHooksApplied message changes
   * with every workload, and each write also comes back as an update event. Default 0 (no limit).
   */
  readonly minStatusIntervalMs?: number;
  /**
   * At most one restore-wide Event of each reason (HooksApplied, HookCountsWritten) per restore this often; a
   * newer one waits for the interval, so a 10,000-pod restore emits a handful. Default 60 s.
   */
  readonly restoreEventIntervalMs?: number;
  /** Exec-hook condition and status.hookStatus counts; without it only the init-hook conditions are kept. */
  readonly hookStatus?: RestoreHookStatusDeps;
  /**
   * The share of a core counting one Restore's workloads and pods for InitHooksApplied may take (default 0.1): the
   * count costs time in proportion to the restore, so after a count that took T ms the next refresh waits T / share
   * ms (at most 5 s). At 10,000 pods a count takes a few hundred ms; at a few hundred, a few ms.
   */
  readonly refreshShare?: number;
  /** A monotonic clock in ms, to time a count (default performance.now). */
  readonly elapsed?: () => number;
}

function errorsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === 'error');
}

/**
 * Keeps a Restore's conditions (HooksValid, InitHooksApplied) up to date. Status is written with a merge patch of only our fields, guarded by resourceVersion, and only when
 * it changes. Velero's CRD has no status subresource, so status goes through the main resource.
 */
export class RestoreReconciler {
  readonly #deps: RestoreReconcilerDeps;
  /**
   * What this process last wrote per restore. Without the optional CRD patch the API server prunes
   * status.conditions, so the object never shows them; comparing with the last write keeps that from becoming
   * a write on every reconcile.
   */
  readonly #lastWritten = new Map<string, string>();
  readonly #lastWriteAt = new Map<string, number>();
  /** Unknown-field warnings already logged, per Restore uid and field: each is logged once. */
  readonly #unknownFieldsWarned = new SeenOnce(10_000);
  /** When each restore's next refresh may count again (refreshShare). */
  readonly #nextCountAt = new Map<string, number>();

  constructor(deps: RestoreReconcilerDeps) {
    this.#deps = deps;
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const now = this.#deps.now();
    this.#reportActiveRestores(now);
    if (namespace === undefined) return;
    const restore = this.#deps.getRestore(namespace, name);
    if (!restore) return this.#forget(key, name, ctx);
    const activity = restoreActivity(restore.status, now, this.#deps.hookWindowMs);
    if (!activity.active && activity.reason === 'WindowElapsed') this.#deps.onRestoreDone?.(name);
    const hooks = this.#deps.restores.hooksOf(restore);
    const errors = errorsOf(hooks.problems);
    const labelValue = veleroLabelValue(name);

    const ref = restoreReference(restore.metadata);
    const eventInterval = this.#deps.restoreEventIntervalMs ?? DEFAULT_RESTORE_EVENT_INTERVAL_MS;
    const eventDelays: (number | undefined)[] = RESTORE_EVENT_REASONS.map((reason) =>
      this.#deps.events.flushCoalesced(`${key}\u0000${reason}`, eventInterval),
    );
    // InitHooksApplied stops counting the workloads once the hook window closes, whether or not anything changes then.
    if (activity.reason === 'FinishedWithinWindow')
      eventDelays.push((msUntilWindowCloses(restore.status, now, this.#deps.hookWindowMs) ?? 0) + 1000);
    const requeueForEvents = (...more: number[]): ReconcileResult | void => {
      const due = [...eventDelays, ...more].filter((d): d is number => d !== undefined);
      return due.length > 0 ? { requeueAfterMs: Math.min(...due) } : undefined;
    };
    this.#reportSpecProblems(key, restore, errors, ctx);
    const countIn = (this.#nextCountAt.get(key) ?? -Infinity) - now;
    if (countIn > 0) return requeueForEvents(countIn);
    // Invalid hooks: nothing is applied, and the condition says so without counting.
    const tally =
      errors.length === 0
        ? this.#count(key, now, () => this.#deps.initHooksTally(labelValue, restore))
        : { done: 0, pending: 0, conflicts: 0, skippedPods: 0, invalid: [] };
    const initHooksApplied = initHooksAppliedCondition(errors.length === 0, tally);
    const desired = [
      hooksValidCondition(errors.map((e) => ({ field: e.field, message: e.message }))),
      initHooksApplied,
    ];
    // While Velero still restores items, workloads keep arriving: a count taken then says nothing yet.
    if (SETTLED_INIT_REASONS.has(initHooksApplied.reason) && restoreFinished(restore.status?.phase))
      eventDelays.push(
        this.#restoreEvent(key, ref, 'HooksApplied', 'ApplyHooks', eventInterval, hooksAppliedNote(tally)),
      );
    const counted = await this.#countHooks(key, restore, labelValue, ctx);
    if (counted) desired.push(counted.condition);
    const fields = counted?.fields;
    const current = (restore.status as { conditions?: Condition[] } | undefined)?.conditions;
    // Only status, reason and message decide: each write bumps generation (no status subresource), so comparing
    // observedGeneration would make every write call for the next one, in a loop.
    const fingerprint = JSON.stringify(desired);
    if (!fields && (conditionsShow(current, desired) || this.#lastWritten.get(key) === fingerprint))
      return requeueForEvents();
    const wait = (this.#lastWriteAt.get(key) ?? -Infinity) + (this.#deps.minStatusIntervalMs ?? 0) - now;
    if (wait > 0) {
      eventDelays.push(wait);
      return requeueForEvents();
    }
    const merged = await this.#writeStatus(restore, current, desired, fields, now);
    this.#lastWritten.set(key, fingerprint);
    this.#lastWriteAt.set(key, now);
    if (fields?.hookStatus)
      eventDelays.push(
        this.#restoreEvent(
          key,
          ref,
          'HookCountsWritten',
          'CountHooks',
          eventInterval,
          hookCountsNote(fields),
        ),
      );
    ctx.logger.debug('updated restore conditions', {
      restore: key,
      conditions: merged.map((c) => `${c.type}=${c.status}`),
      ...(fields ? { status: fields } : {}),
    });
    return requeueForEvents();
  }

  /** How many Restores are active now (`restore_hooks_restores_active`). */
  #reportActiveRestores(now: number): void {
    this.#deps.onActiveRestores?.(
      this.#deps.listRestores().filter((r) => restoreActivity(r.status, now, this.#deps.hookWindowMs).active)
        .length,
    );
  }

  /** Runs one InitHooksApplied count, and keeps the next one away for its time / refreshShare. */
  #count<T>(key: string, now: number, count: () => T): T {
    const elapsed = this.#deps.elapsed ?? (() => performance.now());
    const started = elapsed();
    const result = count();
    const share = this.#deps.refreshShare ?? DEFAULT_REFRESH_SHARE;
    this.#nextCountAt.set(key, now + Math.min((elapsed() - started) / share, MAX_REFRESH_GAP_MS));
    return result;
  }

  /** The hook counts of the Restore from its ledger and pods, when restore-hooks keeps them; a problem is reported. */
  async #countHooks(
    key: string,
    restore: RestoreObject,
    labelValue: string,
    ctx: ReconcileContext,
  ): Promise<{ condition: DesiredCondition; fields: RestoreStatusFields | undefined } | undefined> {
    if (!this.#deps.hookStatus) return undefined;
    const result = await restoreHookStatus(this.#deps.hookStatus, restore, labelValue);
    if (result.problem) {
      ctx.logger.error('hook counts not fully kept', {
        restore: key,
        problem: result.problem,
        uncountedPods: result.uncountedPods,
      });
      void this.#deps.events.record({
        regarding: restoreReference(restore.metadata),
        type: 'Warning',
        reason: 'HookCountsIncomplete',
        action: 'CountHooks',
        note: result.problem,
      });
    }
    return { condition: result.condition, fields: result.fields };
  }

  /** A Normal Event on the Restore, coalesced per reason; returns when to flush what was held back. */
  #restoreEvent(
    key: string,
    regarding: ReturnType<typeof restoreReference>,
    reason: (typeof RESTORE_EVENT_REASONS)[number],
    action: string,
    intervalMs: number,
    note: string,
  ): number | undefined {
    return this.#deps.events.recordCoalesced(
      `${key}\u0000${reason}`,
      { regarding, type: 'Normal', reason, action, note },
      intervalMs,
    );
  }

  /** A deleted Restore: drop what is kept for it, including its hook-count ledger. */
  async #forget(key: string, name: string, ctx: ReconcileContext): Promise<void> {
    this.#deps.events.forgetCoalesced(`${key}\u0000`);
    this.#lastWritten.delete(key);
    this.#lastWriteAt.delete(key);
    this.#nextCountAt.delete(key);
    this.#deps.onRestoreDone?.(name);
    const removed = await this.#deps.hookStatus?.ledgers.remove(key);
    if (removed)
      ctx.logger.info('deleted the hook-count ledger of a deleted Restore', {
        restore: key,
        shards: removed,
      });
  }

  /** Unknown fields (once per Restore and field) and invalid hooks, in the log and as Events on the Restore. */
  #reportSpecProblems(
    key: string,
    restore: RestoreObject,
    errors: readonly { readonly field: string; readonly message: string }[],
    ctx: ReconcileContext,
  ): void {
    const ref = restoreReference(restore.metadata);
    for (const warning of unknownRestoreFields(restore)) {
      if (!this.#unknownFieldsWarned.first(`${restore.metadata.uid ?? key}\u0000${warning.field}`)) continue;
      ctx.logger.warn('unknown field in the Restore', {
        restore: key,
        field: warning.field,
        warning: warning.message,
      });
      void this.#deps.events.record({
        regarding: ref,
        type: 'Warning',
        reason: 'UnknownField',
        action: 'Validate',
        note: `${warning.message}. Velero ignores it, and so do restore-hooks.`,
      });
    }
    for (const error of errors) {
      void this.#deps.events.record({
        regarding: ref,
        type: 'Warning',
        reason: 'InvalidHook',
        action: 'Validate',
        note: `${error.field}: ${error.message}. No hooks of this Restore are applied until it is fixed.`,
      });
    }
  }

  /** Merges the desired conditions into the current ones and writes them with the status fields; returns them. */
  async #writeStatus(
    restore: RestoreObject,
    current: Condition[] | undefined,
    desired: DesiredCondition[],
    fields: RestoreStatusFields | undefined,
    now: number,
  ): Promise<Condition[]> {
    const merged = mergeConditions(
      current,
      desired,
      restore.metadata.generation,
      new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    );
    await this.#deps.client.request({
      method: 'PATCH',
      path: `/apis/velero.io/v1/namespaces/${restore.metadata.namespace}/restores/${restore.metadata.name}`,
      contentType: 'application/merge-patch+json',
      body: {
        metadata: { resourceVersion: restore.metadata.resourceVersion },
        status: { conditions: merged, ...fields },
      },
      query: { fieldManager: 'restore-hooks' },
    });
    return merged;
  }
}

function hooksAppliedNote(tally: WorkloadTally): string {
  return (
    `Init hooks applied: ${tally.done} restored workload(s) hooked, ${tally.skippedPods} pod(s) skipped, ` +
    `${tally.conflicts} workload(s) in conflict.`
  );
}

function hookCountsNote(fields: RestoreStatusFields): string {
  const counts = fields.hookStatus;
  return (
    `Hook counts written: status.hookStatus.hooksAttempted ${counts?.hooksAttempted ?? 0}, ` +
    `hooksFailed ${counts?.hooksFailed ?? 0}${fields.phase ? `, phase ${fields.phase}` : ''}.`
  );
}
