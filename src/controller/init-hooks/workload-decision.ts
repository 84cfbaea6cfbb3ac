/**
 * What the controller does to a restored workload for init hooks, decided from observed facts only, so the same
 * facts always give the same decision (level-triggered, idempotent).
 *
 * A template patch reaches pods only through the owner's rollout. Owners differ in what a template change does:
 * Deployments, RollingUpdate DaemonSets and Parallel RollingUpdate StatefulSets replace every pod themselves;
 * ReplicaSets and OnDelete owners never replace a pod; an OrderedReady StatefulSet blocks on a pending pod of
 * the old revision. Pending pods that the owner will not replace are deleted so they come back from the new
 * template.
 *
 * For owners that roll out every pod, a template patch is worth its rollout only when a pod still has to run the
 * hooks: a pending pod without them that the restore brought. Then the rollout replaces pods with new pods that run
 * the hooks once each (no container is ever added to a started pod). When every pod has the hooks, or the only
 * pods without them have already started, the template is kept and running applications are not rolled.
 */
import type { WorkloadKind } from '../workload-kinds.ts';

/** How the workload's template relates to the hooks that apply to it. */
export type TemplateHooks =
  /** No hook applies to this template. */
  | 'none'
  /** Some hooks are not in the template yet. */
  | 'missing'
  /** Every hook is in the template. */
  | 'present'
  /** A container with a hook's name but different content is in the template. */
  | 'conflict'
  /** The hooks that apply are invalid; nothing may be written. */
  | 'invalid';

export interface WorkloadFacts {
  readonly kind: WorkloadKind;
  /** Deployment strategy, or StatefulSet/DaemonSet updateStrategy type. */
  readonly updateStrategy: 'RollingUpdate' | 'OnDelete' | 'Recreate';
  readonly podManagementPolicy?: 'OrderedReady' | 'Parallel';
  /** StatefulSet RollingUpdate partition: pods with a lower ordinal stay at the old revision. */
  readonly partition?: number;
  readonly templateHooks: TemplateHooks;
  /** The template carries hooks this controller injected for this restore. */
  readonly injectedByUs: boolean;
  /** This controller already removed its hooks after the restore; later pods do not belong to the restore. */
  readonly cleanedUp: boolean;
  /**
   * The template carries the admission mark of this restore (and no hooks of ours): the pod webhook gives its pods
   * their hooks as they are created, so the template is never patched while every pod of the restore has them.
   */
  readonly admitted?: boolean;
  /**
   * How many times this controller has deleted pending pods of this restore that escaped admission, so that their
   * owner recreates them through it (the workload's escaped-pods-deleted record; 0 when absent).
   */
  readonly escapeRounds?: number;
  /**
   * The uids of the escaped pods the last recorded round deletes. Those pods seen again (a deletion refused on a
   * stale resourceVersion, or a cache that does not show it yet) are that round's, not a new one: the deletion is
   * tried again and no round is counted, so each round is one recreation through admission.
   */
  readonly escapeRoundPods?: readonly string[];
  readonly restore: {
    /** Within the hook window (running, or finished less than the window ago). */
    readonly active: boolean;
    /** Velero has finished the restore (a terminal phase). */
    readonly finished: boolean;
  };
  readonly cleanupPolicy: 'RemoveAfterRestore' | 'Retain';
  /** The workload's current pods. */
  readonly pods: readonly PodFacts[];
}

export interface PodFacts {
  readonly name: string;
  readonly uid: string;
  /** The pod already runs every hook that applies to the template (ours, or Velero's by content). */
  readonly hasHooks: boolean;
  /** Phase Pending, not being deleted, no application container ever started. */
  readonly stillPending: boolean;
  /** Created at or after the restore started (a pod of the restore, not one adopted from before it). */
  readonly createdDuringRestore: boolean;
  /** Velero restored the pod itself (it carries velero.io/restore-name): it was not created through admission. */
  readonly restoredByVelero?: boolean;
  /** Velero's file-system restore is in progress: the pod must never be deleted. */
  readonly restoreWait: boolean;
  /** Velero's file-system restore put data into an emptyDir of this pod: replacing the pod loses it. */
  readonly holdsRestoredData: boolean;
  /** The pod has got past its init containers (Initialized=True or an application container started). */
  readonly initialized: boolean;
  /** StatefulSet ordinal. */
  readonly ordinal?: number;
  /** The pod was created from the owner's current template (StatefulSet: its update revision); deleting it cannot help. */
  readonly atCurrentRevision?: boolean;
  /**
   * The pod is being deleted and none of its application containers ever started: it will never run, and is no
   * longer one of the workload's pods (its owner replaces it from the template, as a rollout does).
   */
  readonly deletedBeforeStart?: boolean;
}

export type PodSkipReason =
  'AppContainersStarted' | 'RestoreWait' | 'BelowPartition' | 'RolloutWouldLoseRestoredData';

export interface WorkloadDecision {
  readonly template: 'inject' | 'remove' | 'keep';
  /** Why the template is kept or changed; becomes the Event reason / log message. */
  readonly reason:
    | 'InjectHooks'
    | 'RemoveHooksAfterRestore'
    | 'HooksInPlace'
    | 'NoHooks'
    | 'InvalidHooks'
    | 'HookConflict'
    | 'RestoreInactive'
    | 'HandledAtAdmission'
    | 'CleanedUp'
    | 'PodsAlreadyHaveHooks'
    | 'RolloutWouldDisturbRunningPods'
    | 'RolloutWouldLoseRestoredData'
    | 'WaitingForFileSystemRestore'
    | 'WaitingForPodsToInitialize';
  /**
   * Pending pods without hooks that the owner will not replace: delete them (with a uid precondition). `escaped`: the
   * pod escaped admission (its owner created it while the pod webhook did not answer).
   */
  readonly deletePods: readonly { readonly name: string; readonly uid: string; readonly escaped?: true }[];
  /**
   * Set when `deletePods` holds pods that escaped admission, unless all of them are the last recorded round's
   * (`escapeRoundPods`: that round's deletion is tried again): the escape round to record on the workload before they
   * are deleted (escapeRounds + 1), so the bound holds across restarts and replicas.
   */
  readonly escapeRound?: number;
  /** Pods that will not get their hooks, and why. */
  readonly skippedPods: readonly { readonly name: string; readonly reason: PodSkipReason }[];
  /**
   * A pod of the restore that escaped admission (not restored by Velero, created during the restore, no hooks) had
   * already started when this controller saw it: reported skipped, and the bypass must be reported too.
   */
  readonly escapedPodsStarted?: true;
}

/**
 * How many times the pending pods of one admitted workload that escaped admission are deleted for their owner to
 * recreate them through it, before the template path takes over. A webhook that failed open for a moment (a replica
 * killed, a stalled call) answers the recreated pod; one that stays down would make the deletions a loop, each
 * holding the pod back from starting.
 */
export const MAX_ESCAPE_ROUNDS = 3;

/** Owners that replace every pod themselves after a template change. */
function ownerRollsOutEveryPod(w: Omit<WorkloadFacts, 'pods'>): boolean {
  switch (w.kind) {
    case 'Deployment':
      return true;
    case 'DaemonSet':
      return w.updateStrategy === 'RollingUpdate';
    case 'StatefulSet':
      return w.updateStrategy === 'RollingUpdate';
    case 'ReplicaSet':
      return false;
  }
}

/**
 * Owners that replace a never-started pending pod of the old template on their own, before it can start. A
 * Deployment does (its ReplicaSet would recreate a deleted pod from the old template anyway). A StatefulSet's
 * rolling update replaces one pod at a time from the highest ordinal, and a DaemonSet's within maxUnavailable, so an
 * old pending pod further down may start first: those are deleted, and their owner recreates them from the new
 * template (a StatefulSet at its update revision, at or above the partition).
 */
function ownerReplacesPendingPods(w: Omit<WorkloadFacts, 'pods'>): boolean {
  return w.kind === 'Deployment';
}

/** For an owner that rolls out every pod: whether a template change replaces this pod (not below the partition). */
function replacedByRollout(w: WorkloadFacts, p: PodFacts): boolean {
  return !(w.kind === 'StatefulSet' && (p.ordinal ?? 0) < (w.partition ?? 0));
}

const keep = (
  reason: WorkloadDecision['reason'],
  skippedPods: WorkloadDecision['skippedPods'] = [],
): WorkloadDecision => ({
  template: 'keep',
  reason,
  deletePods: [],
  skippedPods,
});

function cleanupDue(w: WorkloadFacts): boolean {
  if (!w.injectedByUs || w.cleanupPolicy !== 'RemoveAfterRestore' || !w.restore.finished) return false;
  // Past the window nothing waits any longer. Within it, wait for the rollout: some pod has the hooks, every hooked
  // pod has got past them, and no pod of the old template is still pending (it is about to be replaced).
  if (!w.restore.active) return true;
  return (
    w.pods.some((p) => p.hasHooks) && w.pods.every((p) => (p.hasHooks ? p.initialized : !p.stillPending))
  );
}

/**
 * Whether the workload's pods can change the decision, from the other facts alone: when they cannot, a reconcile
 * reads no pods. Pods matter while hooks are missing from the template (the rollout a patch starts must not disturb
 * running pods or lose restored data), while a finished restore's cleanup waits for the rollout, and where the owner
 * does not replace old-template pods by itself. A Deployment whose template has the hooks replaces every pod itself.
 */
export function podsAffectDecision(w: Omit<WorkloadFacts, 'pods'>): boolean {
  if (w.templateHooks === 'invalid' || w.templateHooks === 'conflict') return false;
  if (w.injectedByUs && w.cleanupPolicy === 'RemoveAfterRestore' && w.restore.finished && w.restore.active)
    return true;
  if (w.cleanedUp || !w.restore.active || w.templateHooks === 'none') return false;
  if (w.templateHooks === 'missing') return true;
  return !(ownerRollsOutEveryPod(w) && ownerReplacesPendingPods(w));
}

export function decideWorkload(facts: WorkloadFacts): WorkloadDecision {
  const w = facts.pods.some((p) => p.deletedBeforeStart)
    ? { ...facts, pods: facts.pods.filter((p) => !p.deletedBeforeStart) }
    : facts;
  if (w.templateHooks === 'invalid') return keep('InvalidHooks');
  if (w.templateHooks === 'conflict') return keep('HookConflict');
  if (cleanupDue(w))
    return { template: 'remove', reason: 'RemoveHooksAfterRestore', deletePods: [], skippedPods: [] };
  if (w.cleanedUp) return keep('CleanedUp');
  if (!w.restore.active) return keep('RestoreInactive');
  if (w.templateHooks === 'none') return keep('NoHooks');

  const withoutHooks = w.pods.filter((p) => !p.hasHooks);
  // Admission hooks every pod its owner creates. A pending pod of the restore without them either came from the
  // backup (Velero restored it, not through the pod webhook) or escaped admission (its owner created it while the
  // pod webhook did not answer, under failurePolicy Ignore). Either is deleted, and its owner recreates it through
  // admission: no template write, so no pod that already ran its hooks is rolled. Escaped pods may escape again while
  // the webhook stays down: after MAX_ESCAPE_ROUNDS deletions the template path below takes over.
  if (w.admitted && w.templateHooks === 'missing') {
    const pending = withoutHooks.filter((p) => p.stillPending && p.createdDuringRestore);
    const rounds = w.escapeRounds ?? 0;
    const escaped = pending.filter((p) => !p.restoredByVelero && !p.restoreWait && !p.holdsRestoredData);
    // The last round's pods, seen again: its deletion is tried again, within the round already counted.
    const sameRound =
      rounds > 0 && escaped.length > 0 && escaped.every((p) => (w.escapeRoundPods ?? []).includes(p.uid));
    if (rounds < MAX_ESCAPE_ROUNDS || sameRound || pending.every((p) => p.restoredByVelero)) {
      const skippedPods: Array<WorkloadDecision['skippedPods'][number]> = withoutHooks
        .filter((p) => !p.stillPending && p.createdDuringRestore)
        .map((p) => ({ name: p.name, reason: 'AppContainersStarted' as const }));
      const deletePods: Array<WorkloadDecision['deletePods'][number]> = [];
      for (const p of pending) {
        if (p.restoreWait) skippedPods.push({ name: p.name, reason: 'RestoreWait' });
        else if (p.holdsRestoredData)
          skippedPods.push({ name: p.name, reason: 'RolloutWouldLoseRestoredData' });
        else
          deletePods.push(
            p.restoredByVelero ? { name: p.name, uid: p.uid } : { name: p.name, uid: p.uid, escaped: true },
          );
      }
      const escapedPodsStarted = withoutHooks.some(
        (p) => !p.stillPending && p.createdDuringRestore && !p.restoredByVelero,
      );
      return {
        template: 'keep',
        reason: 'HandledAtAdmission',
        deletePods,
        skippedPods,
        ...(deletePods.some((p) => p.escaped) && !sameRound ? { escapeRound: rounds + 1 } : {}),
        ...(escapedPodsStarted ? { escapedPodsStarted } : {}),
      };
    }
  }
  const rolls = ownerRollsOutEveryPod(w);
  // Started pods without hooks are missed, unless the owner's rollout replaces them with hooked pods.
  const missed = withoutHooks
    .filter((p) => !p.stillPending && !(rolls && replacedByRollout(w, p)))
    .map((p) => ({ name: p.name, reason: 'AppContainersStarted' as const }));

  if (w.templateHooks === 'missing') {
    if (w.pods.length > 0 && withoutHooks.length === 0) return keep('PodsAlreadyHaveHooks');
    if (!rolls) return { template: 'inject', reason: 'InjectHooks', deletePods: [], skippedPods: missed };
    const awaitingHooks = withoutHooks.some((p) => p.stillPending && p.createdDuringRestore);
    if (w.pods.length > 0 && !awaitingHooks) {
      return keep(
        'RolloutWouldDisturbRunningPods',
        withoutHooks
          .filter((p) => !p.stillPending)
          .map((p) => ({ name: p.name, reason: 'AppContainersStarted' as const })),
      );
    }
    // Data Velero restored into a pod's emptyDir exists in that pod only: a rollout would throw it away.
    if (w.pods.some((p) => p.holdsRestoredData && replacedByRollout(w, p)))
      return keep(
        'RolloutWouldLoseRestoredData',
        withoutHooks.map((p) => ({
          name: p.name,
          reason: p.stillPending
            ? ('RolloutWouldLoseRestoredData' as const)
            : ('AppContainersStarted' as const),
        })),
      );
    // The rollout would delete a pod whose file-system restore is still running: wait until it has started.
    if (w.pods.some((p) => p.stillPending && p.restoreWait && replacedByRollout(w, p)))
      return keep('WaitingForFileSystemRestore');
    return { template: 'inject', reason: 'InjectHooks', deletePods: [], skippedPods: missed };
  }

  // The template has the hooks: make sure pending pods of the old template get replaced.
  const skippedPods: Array<WorkloadDecision['skippedPods'][number]> = [...missed];
  const deletePods: Array<{ name: string; uid: string }> = [];
  if (!ownerReplacesPendingPods(w)) {
    for (const pod of withoutHooks.filter((p) => p.stillPending)) {
      if (pod.atCurrentRevision) continue;
      if (pod.restoreWait) skippedPods.push({ name: pod.name, reason: 'RestoreWait' });
      else if (w.kind === 'StatefulSet' && (pod.ordinal ?? 0) < (w.partition ?? 0)) {
        skippedPods.push({ name: pod.name, reason: 'BelowPartition' });
      } else deletePods.push({ name: pod.name, uid: pod.uid });
    }
  }
  const waiting = w.restore.finished && w.injectedByUs && w.cleanupPolicy === 'RemoveAfterRestore';
  return {
    template: 'keep',
    reason: waiting ? 'WaitingForPodsToInitialize' : 'HooksInPlace',
    deletePods,
    skippedPods,
  };
}

/** Why hooks reach a workload through its template although the admission webhooks are served. */
export type AdmissionBypass =
  /** The workload carries the admission mark, but some of its pods were created without their hooks. */
  | 'PodsEscaped'
  /** The workload was created without the admission mark. */
  | 'Unmarked';

export interface AdmissionBypassFacts {
  /** The admission webhooks are served (configured and this controller serves them). */
  readonly admissionServed: boolean;
  readonly restoreActive: boolean;
  /** This reconcile is about to write the hooks into the template. */
  readonly patching: boolean;
  /** The template carries the admission mark and no hooks of ours (see WorkloadFacts.admitted). */
  readonly admitted: boolean;
  /** What the workload's admission-bypassed annotation records for this restore, if anything. */
  readonly recorded?: AdmissionBypass;
  /** Escaped pods deleted for this restore so far (WorkloadFacts.escapeRounds): a bypass too, made good at admission. */
  readonly escapeRounds?: number;
  /** Pods that escaped admission started before this controller saw them (WorkloadDecision.escapedPodsStarted). */
  readonly escapedPodsStarted?: boolean;
}

/**
 * Whether (and why) admission was bypassed for a workload although it is served: its hooks come through its template
 * (at the patch, from the mark; afterwards, from the record the patch wrote), or escaped pods of it were deleted to
 * come back through admission (from the escape record, written before the deletion), or pods of it that escaped admission started before this
 * controller saw them (from those pods, while they exist). Derived anew on every reconcile within the restore's
 * window, so the AdmissionBypassed report is at least once: a report lost with a killed replica (or a failed Event
 * write) is made again by the next reconcile, on whichever replica leads.
 */
export function admissionBypass(f: AdmissionBypassFacts): AdmissionBypass | undefined {
  if (!f.restoreActive) return undefined;
  if (f.recorded) return f.recorded;
  if ((f.escapeRounds ?? 0) > 0) return 'PodsEscaped';
  if (!f.admissionServed) return undefined;
  if (f.escapedPodsStarted) return 'PodsEscaped';
  if (!f.patching) return undefined;
  return f.admitted ? 'PodsEscaped' : 'Unmarked';
}

/** The admission-bypassed annotation's value for a restore (`<why>/<restore key>`); undefined for another restore. */
export function parseAdmissionBypass(
  value: string | undefined,
  restoreKey: string,
): AdmissionBypass | undefined {
  if (value === undefined) return undefined;
  const slash = value.indexOf('/');
  const why = value.slice(0, slash);
  if (slash < 0 || value.slice(slash + 1) !== restoreKey) return undefined;
  return why === 'PodsEscaped' || why === 'Unmarked' ? why : undefined;
}

/** An escape round as the workload records it: how many so far, and the uids of the pods the last one deletes. */
export interface EscapeRecord {
  readonly rounds: number;
  readonly pods: readonly string[];
}

/**
 * The escaped-pods-deleted annotation for a restore (`<rounds>/<restore key>;<uid>,<uid>…`, the uids of the pods the
 * last round deletes; without them, as written before they were): no rounds for another restore or a value that is
 * not one.
 */
export function parseEscapeRecord(value: string | undefined, restoreKey: string): EscapeRecord {
  const none: EscapeRecord = { rounds: 0, pods: [] };
  if (value === undefined) return none;
  const semicolon = value.indexOf(';');
  const head = semicolon < 0 ? value : value.slice(0, semicolon);
  const slash = head.indexOf('/');
  if (slash < 0 || head.slice(slash + 1) !== restoreKey || !/^[1-9][0-9]{0,5}$/.test(head.slice(0, slash)))
    return none;
  const pods =
    semicolon < 0
      ? []
      : value
          .slice(semicolon + 1)
          .split(',')
          .filter((uid) => uid !== '');
  return { rounds: Number(head.slice(0, slash)), pods };
}

/** The annotation's value for round `rounds` of a restore, deleting `pods` (uids): what parseEscapeRecord reads. */
export function formatEscapeRecord(restoreKey: string, record: EscapeRecord): string {
  return `${record.rounds}/${restoreKey};${[...record.pods].sort().join(',')}`;
}

/**
 * After this controller deleted pending pods so that their owner recreates them (through admission, or from the
 * hooked template), whether to look at the workload again soon: until the owner has its pods back (as many as it
 * wants, none being deleted), for at most `watchMs`. The pod informer reports the replacements too, but behind every
 * other pending pod of the restore; a replacement whose admission failed open must meet the fallback within seconds,
 * before it starts. Undefined `pods`: the reconcile did not read them, so they cannot change its decision.
 */
export function awaitsReplacements(w: {
  readonly deletedAtMs: number | undefined;
  readonly nowMs: number;
  readonly watchMs: number;
  readonly pods: readonly Pick<PodFacts, 'deletedBeforeStart'>[] | undefined;
  readonly desired: number;
}): boolean {
  if (w.deletedAtMs === undefined || w.nowMs - w.deletedAtMs >= w.watchMs || w.pods === undefined)
    return false;
  return w.pods.filter((p) => !p.deletedBeforeStart).length < w.desired;
}
