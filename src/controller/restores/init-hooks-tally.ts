/**
 * The facts behind a Restore's InitHooksApplied condition, derived from what the informer caches show (pure): each
 * member workload is planned as the workload reconcile plans it (`planWorkload`), and each pod of the restore that no
 * workload reconcile reports as the pod reconcile plans it (`planBarePod`, `planJobPod`, `planHooksNotInTemplate`). Whichever
 * replica leads, and however often it restarted, the same cluster state gives the same condition.
 *
 * What the workload reconcile reads live and the caches do not hold is left out (docs/controller.md, "The
 * Restore's status"): a Deployment's ReplicaSets, and started pods that carry neither restore-hooks' mark nor
 * Velero's restore label.
 */
import type { Pod, Workload } from '../../kube/types.ts';
import { planWorkload } from '../init-hooks/workload-plan.ts';
import type { WorkloadObservation, WorkloadOutcome } from '../init-hooks/workload-plan.ts';
import { planBarePod, planHooksNotInTemplate, planJobPod } from '../init-hooks/pod-plan.ts';
import type { PodObservation } from '../init-hooks/pod-plan.ts';
import { restoreActivity } from '../restore-activity.ts';
import type { RestoreLookup } from '../restore-directory.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import type { WorkloadTally } from './conditions.ts';

/** A member workload of the Restore, with its pods as the caches hold them. */
export interface MemberWorkload {
  readonly kind: WorkloadKind;
  readonly workload: Workload;
  readonly pods: readonly Pod[];
  /** Names of restored ReplicaSets the Deployment controller has yet to adopt (`OwnerChain`). */
  readonly replicaSetsAwaitingAdoption: readonly string[];
}

/**
 * A pod of the Restore that no member workload's plan reports: a bare pod, a restored Job's pod, or one whose own
 * hooks its workload's template misses.
 */
export interface OtherPod {
  readonly pod: Pod;
  /** The restored workload controlling it, if any. */
  readonly owner?: { readonly kind: WorkloadKind; readonly workload: Workload };
  /** The restored Job controlling it, if any. */
  readonly job?: Workload;
}

/** What the InitHooksApplied tally is derived from, all read from the informer caches. */
export interface InitHooksObservation {
  readonly lookup: RestoreLookup & { readonly found: true };
  readonly members: readonly MemberWorkload[];
  readonly otherPods: readonly OtherPod[];
  readonly admissionServed: boolean;
  readonly nowMs: number;
  readonly settings: WorkloadObservation['settings'];
}

/** Decisions after which a workload's pods have, or will not need, the hooks. */
const DONE_DECISIONS = new Set<WorkloadOutcome['decision']>([
  'HandledAtAdmission',
  'HooksInPlace',
  'PodsAlreadyHaveHooks',
  'CleanedUp',
  'RemoveHooksAfterRestore',
  'WaitingForPodsToInitialize',
  'NoHooks',
  'RolloutWouldDisturbRunningPods',
  'RolloutWouldLoseRestoredData',
]);

/** Workloads that neither wait for hooks nor count as hooked. */
const NOT_COUNTED_DECISIONS = new Set<WorkloadOutcome['decision']>(['RestoreInactive', 'InvalidHooks']);

/** What the workload reconcile would conclude for a member, from the caches; undefined while it cannot yet. */
export function memberOutcome(
  member: MemberWorkload,
  obs: InitHooksObservation,
): WorkloadOutcome | undefined {
  return planWorkload({
    kind: member.kind,
    workload: member.workload,
    lookup: obs.lookup,
    ownWriteLags: false,
    replicaSetsAwaitingAdoption: member.replicaSetsAwaitingAdoption,
    pods: member.pods,
    admissionServed: obs.admissionServed,
    nowMs: obs.nowMs,
    settings: obs.settings,
  }).outcome;
}

/** Whether the pod reconcile reports one of the other pods as not running its init hooks. */
function otherPodSkipped({ pod, owner, job }: OtherPod, obs: InitHooksObservation): boolean {
  const podObservation: PodObservation = {
    pod,
    lookup: obs.lookup,
    nowMs: obs.nowMs,
    settings: obs.settings,
  };
  const plan = job
    ? planJobPod({ ...podObservation, job })
    : owner
      ? planHooksNotInTemplate({ ...podObservation, ...owner })
      : planBarePod(podObservation);
  return plan.skippedPod !== undefined;
}

/** `namespace/name` of the other pods that will not run their init hooks, as the pod reconcile reports them. */
export function otherSkippedPods(
  obs: InitHooksObservation,
  skipped: (other: OtherPod) => boolean = (other) => otherPodSkipped(other, obs),
): string[] {
  return obs.otherPods
    .filter(skipped)
    .map(({ pod }) => `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`);
}

/**
 * Counts the members by outcome (undefined: not decided yet, pending) and the pods that will not run their init
 * hooks, each once, however many plans report it.
 */
export function tallyOutcomes(
  outcomes: readonly (WorkloadOutcome | undefined)[],
  otherSkipped: readonly string[],
): WorkloadTally {
  let done = 0;
  let pending = 0;
  let conflicts = 0;
  const invalid: string[] = [];
  const skipped = new Set(otherSkipped);
  for (const outcome of outcomes) {
    if (!outcome) pending++;
    else if (outcome.decision === 'HookConflict') conflicts++;
    else if (outcome.invalidHooks !== undefined) invalid.push(outcome.invalidHooks);
    else if (DONE_DECISIONS.has(outcome.decision)) done++;
    else if (!NOT_COUNTED_DECISIONS.has(outcome.decision)) pending++;
    for (const pod of outcome?.skippedPods ?? []) skipped.add(pod);
  }
  return { done, pending, conflicts, skippedPods: skipped.size, invalid };
}

/**
 * The tally behind InitHooksApplied for one Restore, from what the caches show. With `memo`, members and pods planned
 * before from the same inputs are not planned again (the result is the same).
 */
export function initHooksTally(obs: InitHooksObservation, memo?: TallyMemo): WorkloadTally {
  const outcomeOf = memo ? memo.outcomesFor(obs) : (m: MemberWorkload) => memberOutcome(m, obs);
  return tallyOutcomes(obs.members.map(outcomeOf), otherSkippedPods(obs, memo?.skippedFor(obs)));
}

/** What a member's outcome depends on besides the workload and its pods: the Restore, the time, admission. */
function restoreSignature(obs: InitHooksObservation): string {
  const { restore } = obs.lookup;
  const status = restore.status;
  return JSON.stringify([
    restore.metadata.uid,
    restore.spec,
    status?.phase,
    status?.startTimestamp,
    restoreActivity(status, obs.nowMs, obs.settings.hookWindowMs).reason,
    obs.admissionServed,
  ]);
}

const sameItems = <T>(a: readonly T[], b: readonly T[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The plans behind a tally, remembered per cached object with what else they were planned from: a member's outcome
 * per workload object (with its pods and the Restore), and whether another pod is reported skipped per pod object
 * (with its owner and the Restore). At 10,000 pods a status refresh plans again only the objects that changed (the
 * caches replace an object on every change, never change it in place, so identity says whether one changed).
 */
export class TallyMemo {
  readonly #members = new WeakMap<
    Workload,
    {
      readonly restore: string;
      readonly pods: readonly Pod[];
      readonly awaiting: readonly string[];
      readonly outcome: WorkloadOutcome | undefined;
    }
  >();
  readonly #otherPods = new WeakMap<
    Pod,
    { readonly restore: string; readonly owner: Workload | undefined; readonly skipped: boolean }
  >();

  outcomesFor(obs: InitHooksObservation): (member: MemberWorkload) => WorkloadOutcome | undefined {
    const restore = restoreSignature(obs);
    return (member) => {
      const known = this.#members.get(member.workload);
      if (
        known?.restore === restore &&
        sameItems(known.pods, member.pods) &&
        sameItems(known.awaiting, member.replicaSetsAwaitingAdoption)
      )
        return known.outcome;
      const outcome = memberOutcome(member, obs);
      this.#members.set(member.workload, {
        restore,
        pods: member.pods,
        awaiting: member.replicaSetsAwaitingAdoption,
        outcome,
      });
      return outcome;
    };
  }

  skippedFor(obs: InitHooksObservation): (other: OtherPod) => boolean {
    const restore = restoreSignature(obs);
    return (other) => {
      const owner = other.job ?? other.owner?.workload;
      const known = this.#otherPods.get(other.pod);
      if (known?.restore === restore && known.owner === owner) return known.skipped;
      const skipped = otherPodSkipped(other, obs);
      this.#otherPods.set(other.pod, { restore, owner, skipped });
      return skipped;
    };
  }
}
