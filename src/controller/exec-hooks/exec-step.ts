/**
 * What to do next with one pod's exec hooks, decided from the pod, the plan, the progress record and the clock
 * alone. Pure: the exec reconciler acts on the result and calls it again whenever the pod or the record changes.
 */
import type { ExecHook } from '../../hooks/hook-plan.ts';
import type { FailureReason, HookEntry } from './exec-record.ts';
import { isFinal } from './exec-record.ts';

export interface ContainerFacts {
  readonly running: boolean;
  readonly ready: boolean;
}

export interface PodFacts {
  readonly createdAtMs: number;
  /** Phase Succeeded or Failed. */
  readonly ended: boolean;
  /** Being deleted (deletionTimestamp set). */
  readonly terminating: boolean;
  /**
   * A pod its workload created (not one Velero restored) in which nothing has started: deleted, its owner makes
   * another (a replacement for missing init hooks is one), and that one runs the hooks.
   */
  readonly ownerRecreates?: boolean;
  /** Application containers by name. */
  readonly containers: ReadonlyMap<string, ContainerFacts>;
}

export interface StepInput {
  readonly pod: PodFacts;
  /** The plan's exec hooks grouped by container, each group in declared order. */
  readonly groups: readonly { readonly container: string; readonly hooks: readonly ExecHook[] }[];
  readonly entries: Readonly<Record<string, HookEntry>>;
  /** Hook ids of this pod with an exec under way. */
  readonly inFlight: ReadonlySet<string>;
  readonly nowMs: number;
  /** waitTimeout of hooks that declare none. */
  readonly defaultWaitTimeoutMs: number;
}

export interface StepResult {
  /** Hooks to execute now, with the number of the attempt. */
  readonly run: readonly { readonly hook: ExecHook; readonly attempt: number }[];
  /** Hooks to record as failed without running them. */
  readonly fail: readonly { readonly hook: ExecHook; readonly reason: FailureReason }[];
  /** The earliest time something changes without a pod event (a wait timeout, a retry's backoff). */
  readonly waitUntilMs?: number;
  /** Every hook has a final outcome. */
  readonly done: boolean;
}

/**
 * When a hook's wait started: durable facts only (no write needed), so that a restarted controller measures the
 * same waitTimeout. That is the pod's creation, or the end of the hook before it in the same container (a hook
 * cannot start before its predecessor finished), or its last failed attempt for a retry.
 */
export function waitStartMs(
  pod: PodFacts,
  previous: HookEntry | undefined,
  own: HookEntry | undefined,
): number {
  const times = [pod.createdAtMs];
  if (previous) times.push(Date.parse(previous.finishedAt));
  if (own?.nextAttemptAt) times.push(Date.parse(own.nextAttemptAt));
  return Math.max(...times.filter((t) => !Number.isNaN(t)));
}

export function execStep(input: StepInput): StepResult {
  const { pod, groups, entries, inFlight, nowMs } = input;
  const all = groups.flatMap((g) => g.hooks);
  const open = all.filter((h) => !isFinal(entries[h.id]));
  if (open.length === 0) return { run: [], fail: [], done: true };
  const waiting = open.filter((h) => !inFlight.has(h.id));

  // A hook with onError Fail that failed stops the pod's remaining hooks (this pod only).
  const stopped = all.some((h) => h.onError === 'Fail' && entries[h.id]?.result === 'Failed');
  if (stopped) return finish(waiting.map((hook) => ({ hook, reason: 'NotRunAfterFailure' as const })));
  // Nothing tried and nothing lost: the hooks belong to the pod its owner creates next.
  if (pod.terminating && pod.ownerRecreates && open.length === all.length && waiting.length === open.length)
    return { run: [], fail: [], done: true };
  if (pod.terminating || pod.ended) {
    const reason: FailureReason = pod.terminating ? 'PodDeleted' : 'PodEnded';
    return finish(waiting.map((hook) => ({ hook, reason })));
  }
  // Invalid hooks (a container the pod does not have) fail up front; they are never waited for.
  const invalid = waiting.filter((h) => !h.valid);
  if (invalid.length > 0)
    return finish(invalid.map((hook) => ({ hook, reason: 'ContainerNotFound' as const })));

  const run: { hook: ExecHook; attempt: number }[] = [];
  const fail: { hook: ExecHook; reason: FailureReason }[] = [];
  let waitUntilMs: number | undefined;
  const until = (ms: number) => (waitUntilMs = waitUntilMs === undefined ? ms : Math.min(waitUntilMs, ms));
  for (const group of groups) {
    const index = group.hooks.findIndex((h) => !isFinal(entries[h.id]));
    if (index < 0) continue;
    const hook = group.hooks[index]!;
    if (inFlight.has(hook.id)) continue;
    const own = entries[hook.id];
    if (own?.nextAttemptAt !== undefined && Date.parse(own.nextAttemptAt) > nowMs) {
      until(Date.parse(own.nextAttemptAt));
      continue;
    }
    const container = pod.containers.get(hook.container);
    if (container?.running && (!hook.waitForReady || container.ready)) {
      run.push({ hook, attempt: (own?.attempts ?? 0) + 1 });
      continue;
    }
    const previous = index > 0 ? entries[group.hooks[index - 1]!.id] : undefined;
    const deadline = waitStartMs(pod, previous, own) + (hook.waitTimeoutMs ?? input.defaultWaitTimeoutMs);
    if (nowMs >= deadline) fail.push({ hook, reason: 'WaitTimeout' });
    else until(deadline);
  }
  // A failure that stops the pod is recorded before anything else starts.
  if (fail.some((f) => f.hook.onError === 'Fail')) return { run: [], fail, done: false };
  return { run, fail, ...(waitUntilMs !== undefined ? { waitUntilMs } : {}), done: false };

  function finish(failures: { hook: ExecHook; reason: FailureReason }[]): StepResult {
    return { run: [], fail: failures, done: false };
  }
}
