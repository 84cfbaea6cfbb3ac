/**
 * Hook counts for a Restore's status, kept so that they survive pod deletion (cleanup rollouts delete hooked pods)
 * and restarts without double counting: a per-restore ledger of each hooked pod's own counts, keyed by pod uid and
 * overwritten from what the pod shows, plus the status Velero wrote when the restore ended (the baseline we add
 * to). Pure: counting, the ledger's format, and the status to write.
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

export interface Ledger {
  /** The Restore, `namespace/name`, and its uid (a new Restore of the same name starts a new ledger). */
  readonly restore: string;
  readonly restoreUID: string;
  readonly pods: Readonly<Record<string, HookCounts>>;
  readonly baseline?: StatusBaseline;
}

/** Pods one ledger holds; a ConfigMap holds 1 MiB and an entry takes well under 100 bytes. */
export const LEDGER_CAPACITY = 5000;

export class LedgerFullError extends Error {
  override name = 'LedgerFullError';
}

/** The ledger with `pods` merged in (each overwrites its own entry). Throws LedgerFullError past capacity. */
export function mergeLedger(ledger: Ledger, pods: Readonly<Record<string, HookCounts>>): Ledger {
  const merged = { ...ledger.pods, ...pods };
  const count = Object.keys(merged).length;
  if (count > LEDGER_CAPACITY)
    throw new LedgerFullError(
      `the hook-count ledger of Restore ${ledger.restore} would hold ${count} pods, more than its capacity of ${LEDGER_CAPACITY}; status.hookStatus stops growing (Events and metrics still report every hook)`,
    );
  return { ...ledger, pods: merged };
}

export function ledgerTotals(ledger: Ledger): HookCounts {
  let attempted = 0;
  let failed = 0;
  for (const c of Object.values(ledger.pods)) {
    attempted += c.attempted;
    failed += c.failed;
  }
  return { attempted, failed };
}

function isCounts(v: unknown): v is HookCounts {
  const c = v as HookCounts;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger(c.attempted) &&
    Number.isInteger(c.failed) &&
    c.attempted >= 0 &&
    c.failed >= 0 &&
    c.failed <= c.attempted
  );
}

/** Reads a ledger; undefined when absent or unreadable (the caller starts a new one and says so). */
export function parseLedger(text: string | undefined): Ledger | undefined {
  if (!text) return undefined;
  try {
    const raw = JSON.parse(text) as Partial<Ledger>;
    if (typeof raw.restore !== 'string' || typeof raw.restoreUID !== 'string') return undefined;
    if (typeof raw.pods !== 'object' || raw.pods === null) return undefined;
    if (!Object.values(raw.pods).every(isCounts)) return undefined;
    const b = raw.baseline;
    const baseline =
      b &&
      typeof b.phase === 'string' &&
      [b.hooksAttempted, b.hooksFailed, b.errors].every((n) => Number.isInteger(n) && n >= 0)
        ? { baseline: b }
        : {};
    return { restore: raw.restore, restoreUID: raw.restoreUID, pods: raw.pods, ...baseline };
  } catch {
    return undefined;
  }
}

export function formatLedger(ledger: Ledger): string {
  const pods = Object.fromEntries(
    Object.keys(ledger.pods)
      .sort()
      .map((uid) => [uid, ledger.pods[uid]!]),
  );
  return JSON.stringify({ ...ledger, pods });
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
