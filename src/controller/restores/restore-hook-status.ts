import type { Pod } from '../../kube/types.ts';
import type { RestoreObject } from '../restore-directory.ts';
import { restoreKey } from '../restore-key.ts';
import { isFinal, parseExecRecord } from '../exec-hooks/exec-record.ts';
import { EXEC_HOOKS_ANNOTATION } from '../marks.ts';
import type { DesiredCondition } from './conditions.ts';
import { execHooksCompletedCondition } from './conditions.ts';
import type { HookCounts, RestoreStatusFields } from './hook-outcomes.ts';
import { baselineOf, desiredStatusFields, isTerminalPhase, podHookCounts } from './hook-outcomes.ts';
import { ledgerCapacity, ledgerTotals } from './ledger-shards.ts';
import type { OutcomeLedgerStore } from './ledger-store.ts';

export interface RestoreHookStatusDeps {
  /**
   * The pods restore-hooks hooked or ran exec hooks in, for a restore label value, that are members of the Restore
   * (see restoreMembership): a labelled pod elsewhere must not count, whatever its annotations say.
   */
  readonly memberPods: (labelValue: string, restore: RestoreObject) => readonly Pod[];
  /** Ids of the exec hooks that apply to a pod of the restore. */
  readonly execHookIds: (restore: RestoreObject, pod: Pod) => readonly string[];
  readonly ledgers: OutcomeLedgerStore;
}

export interface RestoreHookStatus {
  readonly condition: DesiredCondition;
  /** Fields to merge into the Restore's status (terminal restores only); undefined when nothing changes. */
  readonly fields?: RestoreStatusFields;
  /** Why some counts could not be kept (the ledger is full); also in the condition's message. */
  readonly problem?: string;
  /** How many pods' counts the full ledger could not take (this pass). */
  readonly uncountedPods?: number;
}

/**
 * The exec-hook condition and the hook counts of one Restore. Each hooked pod's own counts go into the ledger
 * (overwriting its entry, so repeated passes never double count and deleted pods stay counted); once the restore is
 * terminal, Velero's final values are kept in the ledger as the baseline and the status becomes baseline + ours.
 */
export async function restoreHookStatus(
  deps: RestoreHookStatusDeps,
  restore: RestoreObject,
  labelValue: string,
): Promise<RestoreHookStatus> {
  const key = restoreKey(restore);
  const pods: Record<string, HookCounts> = {};
  const tally = { pods: 0, open: 0, succeeded: 0, failed: 0 };
  for (const pod of deps.memberPods(labelValue, restore)) {
    const parsed = parseExecRecord(pod.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
    const entries = parsed.ok && parsed.record?.restore === key ? parsed.record.hooks : {};
    const counts = podHookCounts(pod, entries);
    if (pod.metadata.uid && counts.attempted > 0) pods[pod.metadata.uid] = counts;
    const ids = deps.execHookIds(restore, pod);
    if (ids.length === 0) continue;
    tally.pods++;
    for (const id of ids) {
      const entry = entries[id];
      if (!isFinal(entry)) tally.open++;
      else if (entry?.result === 'Succeeded') tally.succeeded++;
      else tally.failed++;
    }
  }
  const status = (restore.status ?? {}) as RestoreStatusFields;
  const terminal = isTerminalPhase(status.phase);
  const { ledger, overflow } = await deps.ledgers.update(
    { key, uid: restore.metadata.uid ?? '' },
    pods,
    terminal ? baselineOf(status) : undefined,
  );
  const fields = desiredStatusFields(status, ledger.baseline, ledgerTotals(ledger));
  const condition = execHooksCompletedCondition(tally);
  const problem =
    overflow.length > 0
      ? `The hook-count ledger of this Restore is full (${ledgerCapacity(deps.ledgers.limits)} pods): the hook counts of further pods are not in status.hookStatus; Events and metrics still report every hook.`
      : undefined;
  return {
    condition: problem ? { ...condition, message: `${condition.message} ${problem}` } : condition,
    ...(fields ? { fields } : {}),
    ...(problem ? { problem, uncountedPods: overflow.length } : {}),
  };
}
