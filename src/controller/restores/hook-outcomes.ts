/**
 * Hook counts for a Restore's status, kept so that they survive pod deletion (cleanup rollouts delete hooked pods)
 * and restarts without double counting: a per-restore ledger (ledger-shards.ts) of each hooked pod's own counts,
 * keyed by pod uid and overwritten from what the pod shows, plus the status Velero wrote when the restore ended
 * (the baseline we add to). Pure: counting a pod's hooks, the baseline, and the status to write.
 */
import { parseAppliedInitHooks } from '../../hooks/applied-record.ts';
import { APPLIED_INIT_HOOKS_ANNOTATION } from '../../hooks/applied-record.ts';
import type { Pod } from '../../kube/types.ts';
import type { HookEntry } from '../exec-hooks/exec-record.ts';

export interface HookCounts {
  readonly attempted: number;
  readonly failed: number;
}

/**
 * A hooked pod's counts: exec hooks with a final outcome (failed when Failed, whatever the reason), and init hook
 * containers that terminated (failed when their last termination was non-zero).
 */
export function podHookCounts(pod: Pod, execEntries: Readonly<Record<string, HookEntry>>): HookCounts {
  let attempted = 0;
  let failed = 0;
  for (const entry of Object.values(execEntries)) {
    if (entry.result === 'Retrying') continue;
    attempted++;
    if (entry.result === 'Failed') failed++;
  }
  const applied = parseAppliedInitHooks(pod.metadata.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION]);
  const hookNames = new Set(applied?.containers.map((c) => c.name) ?? []);
  for (const status of pod.status?.initContainerStatuses ?? []) {
    if (!hookNames.has(status.name)) continue;
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    if (!terminated) continue;
    attempted++;
    if (terminated.exitCode !== 0) failed++;
  }
  return { attempted, failed };
}

/** What Velero's status said when the restore reached a terminal phase, before we added our counts. */
export interface StatusBaseline {
  readonly phase: string;
  readonly hooksAttempted: number;
  readonly hooksFailed: number;
  readonly errors: number;
}

const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed']);

export interface RestoreStatusFields {
  readonly phase?: string;
  readonly errors?: number;
  readonly hookStatus?: { readonly hooksAttempted?: number; readonly hooksFailed?: number };
}

/** Velero's own values at the terminal phase, to be stored in the ledger before we add to them. */
export function baselineOf(status: RestoreStatusFields): StatusBaseline {
  return {
    phase: status.phase ?? '',
    hooksAttempted: status.hookStatus?.hooksAttempted ?? 0,
    hooksFailed: status.hookStatus?.hooksFailed ?? 0,
    errors: status.errors ?? 0,
  };
}

export function isTerminalPhase(phase: string | undefined): boolean {
  return TERMINAL.has(phase ?? '');
}

/**
 * The status fields we own once the restore is terminal: Velero's baseline plus our counts; a failure makes a
 * Completed restore PartiallyFailed and adds to `errors`, as Velero reports its own hook failures. Undefined while
 * the restore runs (Velero writes these fields itself when it ends) or when nothing would change.
 */
export function desiredStatusFields(
  current: RestoreStatusFields,
  baseline: StatusBaseline | undefined,
  ours: HookCounts,
): RestoreStatusFields | undefined {
  if (!baseline || !isTerminalPhase(current.phase)) return undefined;
  const want = {
    phase: baseline.phase === 'Completed' && ours.failed > 0 ? 'PartiallyFailed' : baseline.phase,
    errors: baseline.errors + ours.failed,
    hookStatus: {
      hooksAttempted: baseline.hooksAttempted + ours.attempted,
      hooksFailed: baseline.hooksFailed + ours.failed,
    },
  };
  const same =
    current.phase === want.phase &&
    (current.errors ?? 0) === want.errors &&
    (current.hookStatus?.hooksAttempted ?? 0) === want.hookStatus.hooksAttempted &&
    (current.hookStatus?.hooksFailed ?? 0) === want.hookStatus.hooksFailed;
  return same ? undefined : want;
}
