/**
 * The conditions restore-hooks keeps on a Restore, as metav1.Condition. They are computed from facts and merged
 * with the conditions already there: lastTransitionTime changes only when a condition's status changes, and a
 * condition of another writer is kept as it is.
 */
import type { Condition } from '../../hooks/restore-types.ts';

export type DesiredCondition = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export const HOOKS_VALID = 'HooksValid';
export const INIT_HOOKS_APPLIED = 'InitHooksApplied';
export const EXEC_HOOKS_COMPLETED = 'ExecHooksCompleted';

/** Merges desired conditions into the current list; the result is unchanged (deep-equal) when nothing changed. */
export function mergeConditions(
  current: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  observedGeneration: number | undefined,
  now: string,
): Condition[] {
  const result = [...(current ?? [])].map((c) => ({ ...c }));
  for (const want of desired) {
    const index = result.findIndex((c) => c.type === want.type);
    const existing = index >= 0 ? result[index] : undefined;
    const next: Condition = {
      ...want,
      ...(observedGeneration !== undefined ? { observedGeneration } : {}),
      lastTransitionTime: existing && existing.status === want.status ? existing.lastTransitionTime : now,
    };
    if (index >= 0) result[index] = next;
    else result.push(next);
  }
  return result;
}

/** Whether the current conditions already say what the desired ones say (type, status, reason and message). */
export function conditionsShow(
  current: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
): boolean {
  return desired.every((want) =>
    (current ?? []).some(
      (c) =>
        c.type === want.type &&
        c.status === want.status &&
        c.reason === want.reason &&
        c.message === want.message,
    ),
  );
}

export interface HookProblemSummary {
  readonly field: string;
  readonly message: string;
}

export function hooksValidCondition(errors: readonly HookProblemSummary[]): DesiredCondition {
  if (errors.length === 0) {
    return {
      type: HOOKS_VALID,
      status: 'True',
      reason: 'Valid',
      message: 'All hooks in spec.hooks are valid.',
    };
  }
  const shown = errors.slice(0, 5).map((e) => `${e.field}: ${e.message}`);
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  return {
    type: HOOKS_VALID,
    status: 'False',
    reason: 'InvalidHookSpec',
    message: `No hooks are applied until spec.hooks is fixed: ${shown.join('; ')}${more}.`,
  };
}

export interface WorkloadTally {
  /** Workloads whose template got, has, or had the hooks (or whose pods already carried them). */
  readonly done: number;
  /** Workloads not yet evaluated, or whose template is about to be patched. */
  readonly pending: number;
  readonly conflicts: number;
  readonly skippedPods: number;
  /** Workloads whose own init hooks are invalid or refused by policy: why, one line each. */
  readonly invalid: readonly string[];
}

export function initHooksAppliedCondition(valid: boolean, tally: WorkloadTally): DesiredCondition {
  const base = { type: INIT_HOOKS_APPLIED };
  if (!valid)
    return {
      ...base,
      status: 'False',
      reason: 'InvalidHooks',
      message: 'spec.hooks is invalid; see HooksValid.',
    };
  if (tally.conflicts > 0) {
    return {
      ...base,
      status: 'False',
      reason: 'HookConflict',
      message: `${tally.conflicts} workload(s) have an init container that conflicts with a hook; see HookConflict events.`,
    };
  }
  if (tally.invalid.length > 0) {
    const shown = tally.invalid.slice(0, 3);
    const more =
      tally.invalid.length > shown.length ? ` (and ${tally.invalid.length - shown.length} more)` : '';
    return {
      ...base,
      status: 'False',
      reason: 'HooksSkipped',
      message: `${tally.invalid.length} workload(s) have init hooks that are not applied: ${shown.join(' | ')}${more}; see HookSkipped events.`,
    };
  }
  if (tally.skippedPods > 0) {
    return {
      ...base,
      status: 'False',
      reason: 'PodsSkipped',
      message: `${tally.skippedPods} pod(s) will not run their init hooks; see HookSkipped events.`,
    };
  }
  if (tally.pending > 0) {
    return {
      ...base,
      status: 'False',
      reason: 'InProgress',
      message: `${tally.pending} workload(s) still to be hooked.`,
    };
  }
  return {
    ...base,
    status: 'True',
    reason: 'HooksInPlace',
    message: `Init hooks are in place for ${tally.done} restored workload(s).`,
  };
}

export interface ExecTally {
  /** Member pods with exec hooks (pods still present). */
  readonly pods: number;
  /** Hooks without a final outcome yet (waiting, running or retrying). */
  readonly open: number;
  readonly succeeded: number;
  readonly failed: number;
}

/**
 * ExecHooksCompleted: Unknown (InProgress) while hooks remain, False (HooksFailed) once they are done with
 * failures, True when every one succeeded (or there were none).
 */
export function execHooksCompletedCondition(tally: ExecTally): DesiredCondition {
  const base = { type: EXEC_HOOKS_COMPLETED };
  if (tally.open > 0)
    return {
      ...base,
      status: 'Unknown',
      reason: 'InProgress',
      message: `${tally.open} exec hook(s) in ${tally.pods} pod(s) still to finish; ${tally.succeeded} succeeded, ${tally.failed} failed so far.`,
    };
  if (tally.failed > 0)
    return {
      ...base,
      status: 'False',
      reason: 'HooksFailed',
      message: `${tally.failed} of ${tally.failed + tally.succeeded} exec hook(s) failed; see the HookFailed events on this Restore and its pods.`,
    };
  if (tally.succeeded === 0)
    return {
      ...base,
      status: 'True',
      reason: 'NoExecHooks',
      message: 'No pod of this restore has exec hooks for restore-hooks to run (so far).',
    };
  return {
    ...base,
    status: 'True',
    reason: 'HooksSucceeded',
    message: `All ${tally.succeeded} exec hook(s) in ${tally.pods} pod(s) succeeded.`,
  };
}
