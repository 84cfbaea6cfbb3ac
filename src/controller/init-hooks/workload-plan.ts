/**
 * What one reconcile of a restored workload does, decided from what it observed (pure): the writes in order, the
 * Events, metrics and logs that follow each, the outcome for the Restore's status and when to look again. The
 * decisions themselves are `decideWorkload` (the template and the pods the owner will not replace) and
 * `decideReplicaSets` (a Deployment whose roll-out would race its pending pods); this module turns them into steps.
 *
 * One step per reconcile: where a step waits for another controller (a Deployment paused, its ReplicaSets hooked,
 * resumed), the plan ends and the object's next event (or `requeueAfterMs`) brings the next step.
 */
import { shortHash } from '../../hooks/names.ts';
import { hasErrors } from '../../hooks/problems.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { EventSpec } from '../events.ts';
import type { Effect } from './effects.ts';
import { objectReference, podReference, restoreReference } from '../events.ts';
import type { SkipReason, WorkloadLabels } from '../../telemetry/metrics.ts';
import {
  ADMISSION_BYPASSED_ANNOTATION,
  ESCAPED_PODS_DELETED_ANNOTATION,
  PAUSED_FOR_HOOKS_ANNOTATION,
  TEMPLATE_PATCH_REFUSED_ANNOTATION,
} from '../marks.ts';
import { restoreMembership } from '../membership.ts';
import { msUntilWindowCloses } from '../restore-activity.ts';
import type { RestoreLookup } from '../restore-directory.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import * as messages from './init-hook-messages.ts';
import type { BypassHow } from './init-hook-messages.ts';
import { decideReplicaSets, pausesForInjection } from './replicaset-decision.ts';
import type { ReplicaSetsDecision } from './replicaset-decision.ts';
import { initHooksSkip, initHooksState } from './template-hooks.ts';
import { cleanupPatch, escapeRoundPatch, injectionPatch, resumePatch } from './template-patch.ts';
import type { MergePatch } from './template-patch.ts';
import {
  appliedRecord,
  deploymentFacts,
  desiredPods,
  podsNeeded,
  replicaSetsNeeded,
  templatePlan,
  workloadBasis,
  workloadFacts,
} from './workload-facts.ts';
import type { WorkloadBasis } from './workload-facts.ts';
import {
  admissionBypass,
  awaitsReplacements,
  decideWorkload,
  parseAdmissionBypass,
  parseEscapeRecord,
} from './workload-decision.ts';
import type {
  AdmissionBypass,
  AdmissionBypassFacts,
  PodSkipReason,
  WorkloadDecision,
  WorkloadFacts,
} from './workload-decision.ts';
import { POD_TEMPLATE_HASH_LABEL as POD_TEMPLATE_HASH } from './replicaset-template.ts';
import type { HookPolicy } from '../../hooks/policy.ts';

/** While another controller has to catch up (a pause seen, a ReplicaSet template observed), re-check this often. */
export const OTHER_CONTROLLER_RECHECK_MS = 500;
/** A pod leaving Pending drops out of the pod informer, so a wait for a file-system restore is polled. */
export const FILE_SYSTEM_RESTORE_RECHECK_MS = 5000;
export const OWN_WRITE_RECHECK_MS = 1000;
/** After deleting pending pods, re-check this soon (their deletion events also enqueue the workload). */
export const DELETED_PODS_RECHECK_MS = 1000;
/** After deleting pending pods, re-check this often until their replacements are there (awaitsReplacements)… */
export const REPLACEMENTS_RECHECK_MS = 2000;
/** …for at most this long (a webhook call may take its timeoutSeconds, up to 30 s, before it fails open). */
export const REPLACEMENTS_WATCH_MS = 60_000;

export interface InitHookSettings {
  readonly hookWindowMs: number;
  readonly cleanupPolicy: 'RemoveAfterRestore' | 'Retain';
  readonly policy: HookPolicy;
  /** How often a finished restore's hooked workloads are re-checked for cleanup. */
  readonly cleanupPollMs: number;
  /**
   * The admission webhooks are on and configured: a workload that needs the template path missed them (a Warning
   * says so).
   */
  readonly admission?: () => boolean;
}

/** What one workload reconcile concluded, for the Restore's status and conditions. */
export interface WorkloadOutcome {
  readonly restore: string;
  readonly workload: string;
  readonly decision: WorkloadDecision['reason'];
  /** `namespace/name` of the pods that will not run their init hooks. */
  readonly skippedPods: readonly string[];
  /** For InvalidHooks on a valid Restore: why this workload's own hooks (its annotations) are not applied. */
  readonly invalidHooks?: string;
}

/**
 * A template patch the API server refused as invalid (422), as the workload records it: for which restore, and which
 * patch (a hash of the template it was refused for and of the init containers it would have set), until either
 * changes. Not the generation: a Deployment's annotations are part of what bumps it (kube-apiserver's strategy).
 */
interface RefusedPatch {
  readonly restore: string;
  readonly patch: string;
  readonly summary: string;
}

/** What identifies a template patch: the template it is made for and the init containers it sets. */
function patchIdentity(b: Pick<WorkloadBasis, 'workload' | 'plan'>): string {
  return shortHash([b.workload.spec.template, b.plan.initContainers]);
}

/** The summary of the refusal of this very template patch for this restore, if the workload records one. */
export function refusedPatchSummary(
  b: Pick<WorkloadBasis, 'workload' | 'plan' | 'identity'>,
): string | undefined {
  const value = b.workload.metadata.annotations?.[TEMPLATE_PATCH_REFUSED_ANNOTATION];
  if (value === undefined) return undefined;
  let record: Partial<RefusedPatch>;
  try {
    record = JSON.parse(value) as Partial<RefusedPatch>;
  } catch {
    return undefined;
  }
  return record.restore === b.identity.key &&
    typeof record.summary === 'string' &&
    record.patch === patchIdentity(b)
    ? record.summary
    : undefined;
}

/** Long API answers are cut in the record: the Event and the log carry them whole. */
const MAX_REFUSED_SUMMARY = 1024;

/** Everything one reconcile read: the cached workload and Restore, and the live lists `observe` made when needed. */
export interface WorkloadObservation {
  readonly kind: WorkloadKind;
  readonly workload: Workload;
  /** The Restore the workload's label names (undefined: no label). */
  readonly lookup: RestoreLookup | undefined;
  /** The cache does not show a template write of ours yet (`OwnWrites`). */
  readonly ownWriteLags: boolean;
  /** Names of restored ReplicaSets the Deployment controller has yet to adopt. */
  readonly replicaSetsAwaitingAdoption: readonly string[];
  /** The workload's pods, read when `podsNeeded`. */
  readonly pods?: readonly Pod[];
  /** A Deployment's ReplicaSets, read when `replicaSetsNeeded`. */
  readonly replicaSets?: readonly Workload[];
  /** When this process last deleted pending pods of the workload, while it waits for their replacements. */
  readonly replacingSinceMs?: number;
  readonly admissionServed: boolean;
  readonly nowMs: number;
  readonly settings: Omit<InitHookSettings, 'admission'>;
}

export type { Effect } from './effects.ts';

/** Where a reconcile ends: the outcome reported and when to look again (undefined: on the next event only). */
export interface PlanEnd {
  readonly outcome?: WorkloadOutcome;
  readonly requeueAfterMs?: number;
}

/**
 * A merge patch of a workload with a resourceVersion precondition, rebuilt by `build` from a fresh read after a
 * conflict (undefined: the fresh object no longer needs it).
 */
export interface PatchStep {
  readonly do: 'patch';
  readonly what: 'injectTemplate' | 'cleanTemplate' | 'hookReplicaSet' | 'resume' | 'recordEscapeRound';
  readonly kind: WorkloadKind;
  readonly target: Workload;
  /** Remembered until the cache shows it (`OwnWrites`), under the target's workload key. */
  readonly ownWrite: boolean;
  readonly build: (current: Workload) => MergePatch | undefined;
  readonly ifWritten: readonly Effect[];
  /** Nothing written: the reconcile ends here, without an outcome (the object changed; its event comes). */
  readonly stopUnlessWritten?: boolean;
  /** Written: the reconcile ends here; the next step waits for another controller. */
  readonly endIfWritten?: PlanEnd;
  /**
   * The API server refused the patch as invalid (422): what to say and report instead, and the record of the refusal
   * to write on the target (a merge patch), from which every later plan knows it.
   */
  readonly ifRejected?: (why: string) => {
    readonly summary: string;
    readonly effects: readonly Effect[];
    readonly record: MergePatch;
  };
}

/** Deletes a pending pod (uid and resourceVersion preconditions); a deletion marks the workload as replacing. */
export interface DeletePodStep {
  readonly do: 'deletePod';
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion?: string;
  readonly ifDeleted: readonly Effect[];
}

export type WorkloadStep =
  PatchStep | DeletePodStep | { readonly do: 'effects'; readonly effects: readonly Effect[] };

export interface WorkloadPlan extends PlanEnd {
  readonly steps: readonly WorkloadStep[];
  /** The replacements of deleted pods are all there: stop watching for them. */
  readonly forgetReplacing?: boolean;
}

/** Skip reasons of the decision, as the restore_hooks_hooks_skipped_total reason label spells them. */
export const SKIP_METRIC_REASONS: Readonly<Record<PodSkipReason, SkipReason>> = {
  AppContainersStarted: 'already-running',
  RestoreWait: 'file-system-restore',
  BelowPartition: 'below-partition',
  RolloutWouldLoseRestoredData: 'would-lose-restored-data',
};

/** A ReplicaSet of a Deployment (adopted, or restored and about to be) is changed only through its Deployment. */
export function changedThroughItsDeployment(kind: WorkloadKind, workload: Workload): boolean {
  return (
    kind === 'ReplicaSet' &&
    (controllerOf(workload.metadata) !== undefined ||
      workload.metadata.labels?.[POD_TEMPLATE_HASH] !== undefined)
  );
}

/** The workload is paused by us, or its template carries hooks of ours: steps of the template path may follow. */
export function onTemplatePath(workload: Workload): boolean {
  return (
    workload.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined ||
    appliedRecord(workload) !== undefined
  );
}

const effects = (...list: Effect[]): WorkloadStep => ({ do: 'effects', effects: list });

function resumeStep(deployment: Workload): PatchStep {
  return {
    do: 'patch',
    what: 'resume',
    kind: 'Deployment',
    target: deployment,
    ownWrite: true,
    build: (current) =>
      current.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined
        ? resumePatch(current)
        : undefined,
    ifWritten: [
      { log: 'info', message: 'resumed the Deployment paused while its ReplicaSets got the hooks' },
    ],
  };
}

/**
 * The gate before any decision: the workload's Restore, its membership, our own writes, adoption. Returns the plan
 * when the reconcile stops here, or the basis the decisions start from.
 */
export function gateWorkload(obs: WorkloadObservation): { plan: WorkloadPlan } | { basis: WorkloadBasis } {
  const { kind, workload, lookup } = obs;
  const labelValue = workload.metadata.labels?.[RESTORE_NAME_LABEL];
  if (!labelValue || !lookup || changedThroughItsDeployment(kind, workload)) return { plan: { steps: [] } };
  if (!lookup.found) {
    const steps: WorkloadStep[] = [];
    if (lookup.reason === 'Ambiguous')
      steps.push(
        effects({
          log: 'warn',
          message: 'restore label matches Restores in several Velero namespaces; no hooks applied',
          fields: { restore: labelValue },
        }),
      );
    // The Restore is gone: nothing more to bring to the ReplicaSets, but a Deployment we paused must roll again.
    if (kind === 'Deployment' && workload.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined)
      steps.push(resumeStep(workload));
    return { plan: { steps } };
  }
  const { restore, hooks } = lookup;
  const membership = restoreMembership(workload.metadata, restore, hooks);
  if (membership !== 'Member')
    return {
      plan: {
        steps: [
          effects({
            log: 'debug',
            message: 'not a member of the restore its label names; left alone',
            fields: { why: membership },
          }),
        ],
      },
    };
  if (obs.ownWriteLags)
    // Its update event enqueues the workload again; the delay is only a fallback.
    return {
      plan: {
        steps: [effects({ log: 'debug', message: 'the cache does not show our own template write yet' })],
        requeueAfterMs: OWN_WRITE_RECHECK_MS,
      },
    };
  const basis = workloadBasis({
    kind,
    workload,
    restore,
    hooks,
    labelValue,
    nowMs: obs.nowMs,
    settings: obs.settings,
  });
  return { basis };
}

/**
 * Velero restores a Deployment after its ReplicaSets, which the Deployment controller adopts on its next sync. Until
 * then their pods do not lead to the Deployment: it would seem to have no pods and no ReplicaSet of the restore, and
 * a template patch without the pause would roll it out.
 */
function awaitsAdoption(b: WorkloadBasis, obs: WorkloadObservation): boolean {
  return (
    b.kind === 'Deployment' &&
    b.activity.active &&
    !b.facts.cleanedUp &&
    obs.replicaSetsAwaitingAdoption.length > 0
  );
}

/** The plan for one reconcile of a restored workload. */
export function planWorkload(obs: WorkloadObservation): WorkloadPlan {
  const gate = gateWorkload(obs);
  if ('plan' in gate) return gate.plan;
  const b = gate.basis;
  if (awaitsAdoption(b, obs))
    return {
      steps: [
        effects({
          log: 'debug',
          message: 'waiting for the Deployment controller to adopt the restored ReplicaSets',
          fields: { replicaSets: obs.replicaSetsAwaitingAdoption },
        }),
      ],
      requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS,
    };
  const pods = obs.pods ?? [];
  const facts = workloadFacts(b, pods);
  const deployment =
    b.kind === 'Deployment' ? deploymentFacts(b, obs.replicaSets ?? [], pods, facts) : undefined;
  const plan =
    deployment && b.pausedByUs
      ? planPausedDeployment(b, obs, decideReplicaSets(deployment))
      : planDecision(b, obs, facts, deployment && pausesForInjection(deployment), deployment);
  return plan;
}

/** Names for the Events and metrics of one workload. */
function labelsOf(b: WorkloadBasis): WorkloadLabels {
  return {
    restore: b.restore.metadata.name ?? '',
    namespace: b.workload.metadata.namespace ?? '',
    kind: b.kind,
  };
}
const refOf = (b: WorkloadBasis) => objectReference('apps/v1', b.kind, b.workload.metadata);
const workloadName = (b: WorkloadBasis) =>
  `${b.kind}/${b.workload.metadata.namespace ?? ''}/${b.workload.metadata.name ?? ''}`;

/** We paused the Deployment: finish what the paused template patch started before anything else. */
function planPausedDeployment(
  b: WorkloadBasis,
  obs: WorkloadObservation,
  rs: ReplicaSetsDecision,
): WorkloadPlan {
  return {
    steps: [
      effects({
        log: 'debug',
        message: 'replicaset decision',
        fields: { patch: rs.patchReplicaSets, resume: rs.resume, waitingFor: rs.waitingFor },
      }),
      // Pods whose ReplicaSet already has the hooks go first: a failed resume must not hold them up.
      ...deleteSteps(b, rs.deletePods, obs.pods ?? []),
      ...replicaSetSteps(b, rs, obs.replicaSets ?? []),
    ],
    outcome: { restore: b.identity.key, workload: workloadName(b), decision: 'InjectHooks', skippedPods: [] },
    // Resumed, or waiting for the Deployment controller: the Deployment's update event brings the ReplicaSets' pods
    // next; the delay is only a fallback.
    requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS,
  };
}

/**
 * Brings the hooks to the ReplicaSets the decision names (each patch rebuilt from a fresh read on conflict, so a hook
 * is never added twice), then resumes the Deployment if we paused it. A failed patch throws before the resume: the
 * Deployment stays paused and the reconcile is retried.
 */
function replicaSetSteps(
  b: WorkloadBasis,
  decision: ReplicaSetsDecision,
  replicaSets: readonly Workload[],
): WorkloadStep[] {
  const steps: WorkloadStep[] = [];
  for (const name of decision.patchReplicaSets) {
    const rs = replicaSets.find((r) => r.metadata.name === name);
    if (!rs) continue;
    const build = (current: Workload): MergePatch | undefined => {
      if (controllerOf(current.metadata)?.uid !== b.workload.metadata.uid) return undefined;
      const plan = templatePlan(current, b.hooks, b.policy, b.workload);
      if (initHooksState(plan, hasErrors(b.hooks.problems)) !== 'missing') return undefined;
      return injectionPatch(current, plan, b.identity);
    };
    const inserted = templatePlan(rs, b.hooks, b.policy, b.workload)
      .initHooks.filter((h) => h.state === 'insert')
      .map((h) => h.container.name);
    steps.push({
      do: 'patch',
      what: 'hookReplicaSet',
      kind: 'ReplicaSet',
      target: rs,
      ownWrite: false,
      build,
      ifWritten: [
        // `kind` is the workload the hooks reach the pods through: the Deployment.
        { metric: 'templatePatched', labels: labelsOf(b) },
        {
          log: 'info',
          message: 'injected init hooks into the pod template of a ReplicaSet of the Deployment',
          fields: { replicaSet: name, hooks: inserted },
        },
        {
          event: {
            regarding: objectReference('apps/v1', 'ReplicaSet', rs.metadata),
            related: restoreReference(b.restore.metadata),
            type: 'Normal',
            reason: 'HookInjected',
            action: 'PatchTemplate',
            note: messages.replicaSetInjected(inserted, b.identity.key, name, b.workload.metadata.name ?? ''),
          },
        },
      ],
    });
  }
  if (decision.resume) steps.push(resumeStep(b.workload));
  return steps;
}

/** Deletes pending pods without hooks so that their owner recreates them hooked. */
function deleteSteps(
  b: WorkloadBasis,
  victims: readonly { readonly name: string; readonly uid: string; readonly escaped?: true }[],
  pods: readonly Pod[],
): WorkloadStep[] {
  const ref = refOf(b);
  return victims.map((victim) => {
    const pod = pods.find((p) => p.metadata.uid === victim.uid);
    const namespace = pod?.metadata.namespace ?? ref.namespace ?? '';
    const replicaSet = pod ? (controllerOf(pod.metadata)?.name ?? '') : '';
    return {
      do: 'deletePod',
      namespace,
      name: victim.name,
      uid: victim.uid,
      ...(pod?.metadata.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
      ifDeleted: [
        { metric: 'podReplaced', labels: { ...labelsOf(b), namespace } },
        {
          event: {
            regarding: podReference({ namespace, name: victim.name, uid: victim.uid }),
            related: ref,
            type: 'Normal',
            reason: 'PodReplaced',
            action: 'DeletePod',
            note: victim.escaped
              ? messages.escapedPodDeleted(victim.name, b.kind, b.identity.key)
              : messages.pendingPodDeleted(victim.name, b.kind, b.identity.key, replicaSet),
          },
        },
      ],
    };
  });
}

/**
 * The Warning that admission was bypassed although the webhooks are on: the workload took the template path, or
 * (`how.template` false) pods that escaped the pod webhook were deleted to come back through it.
 */
function admissionBypassedEffects(b: WorkloadBasis, bypass: AdmissionBypass, how: BypassHow): Effect[] {
  const ref = refOf(b);
  const { template, escapeRounds, escapedPodsStarted } = how;
  return [
    {
      once: `bypass/${ref.uid ?? ref.name}/${b.identity.key}/${bypass}/${template}/${escapeRounds}/${escapedPodsStarted}`,
      effects: [
        {
          log: 'warn',
          message: template
            ? 'admission was bypassed: hooks come through the pod template'
            : 'admission was bypassed: pods escaped the pod webhook',
          fields: { kind: b.kind, admitted: bypass === 'PodsEscaped', escapeRounds, escapedPodsStarted },
        },
      ],
    },
    {
      event: {
        regarding: ref,
        related: restoreReference(b.restore.metadata),
        type: 'Warning',
        reason: 'AdmissionBypassed',
        action: template ? 'PatchTemplate' : 'DeletePod',
        note: messages.admissionBypassed(b.kind, b.identity.key, bypass, how),
      },
    },
  ];
}

/**
 * Records escape round `round` on the workload, with the uids of the escaped pods it deletes, before they are
 * deleted, so the bound holds whichever replica is killed in between. Nothing written (the workload already records
 * that round or a later one: the cache lags another writer): the reconcile stops there, and the escaped pods wait
 * for the workload's next event.
 */
function escapeRoundStep(
  b: WorkloadBasis,
  round: number,
  pods: readonly string[],
  escapedPodsStarted: boolean,
): PatchStep {
  return {
    do: 'patch',
    what: 'recordEscapeRound',
    kind: b.kind,
    target: b.workload,
    ownWrite: true,
    build: (current) =>
      parseEscapeRecord(current.metadata.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION], b.identity.key)
        .rounds >= round
        ? undefined
        : escapeRoundPatch(current, { rounds: round, pods }, b.identity.key),
    stopUnlessWritten: true,
    ifWritten: admissionBypassedEffects(b, 'PodsEscaped', {
      template: false,
      escapeRounds: round,
      escapedPodsStarted,
    }),
  };
}

/** What the AdmissionBypassed report is derived from (`admissionBypass`), but whether this reconcile patches. */
function bypassFactsOf(
  b: WorkloadBasis,
  obs: WorkloadObservation,
  facts: WorkloadFacts,
  decision: WorkloadDecision,
): Omit<AdmissionBypassFacts, 'patching'> & { escapeRounds: number; escapedPodsStarted: boolean } {
  return {
    admissionServed: obs.admissionServed,
    restoreActive: b.activity.active,
    admitted: facts.admitted === true,
    recorded: parseAdmissionBypass(
      b.workload.metadata.annotations?.[ADMISSION_BYPASSED_ANNOTATION],
      b.identity.key,
    ),
    escapeRounds: facts.escapeRounds ?? 0,
    escapedPodsStarted: decision.escapedPodsStarted === true,
  };
}

/**
 * A template patched by the fallback earlier, or escaped pods deleted (maybe by a replica killed before it reported
 * it): reported again, on every reconcile within the window (the recorder dedupes the Event).
 */
function bypassedBeforeSteps(
  b: WorkloadBasis,
  f: ReturnType<typeof bypassFactsOf>,
  decision: WorkloadDecision,
): WorkloadStep[] {
  const bypassed = decision.template === 'inject' ? undefined : admissionBypass({ ...f, patching: false });
  if (!bypassed) return [];
  const how = {
    template: f.recorded !== undefined,
    escapeRounds: f.escapeRounds,
    escapedPodsStarted: f.escapedPodsStarted,
  };
  return [effects(...admissionBypassedEffects(b, bypassed, how))];
}

/**
 * The pods the decisions delete and skip. Escaped pods go last, after the escape round is recorded on the workload:
 * a round not written stops the reconcile before them. Escaped pods of the last recorded round seen again (no new
 * round) are deleted again under that round's record.
 */
function podSteps(
  b: WorkloadBasis,
  obs: WorkloadObservation,
  decision: WorkloadDecision,
  deletePods: readonly { readonly name: string; readonly uid: string; readonly escaped?: true }[],
  skippedPods: readonly { readonly name: string; readonly reason: PodSkipReason }[],
): WorkloadStep[] {
  const escaped = deletePods.filter((p) => p.escaped);
  const steps = [
    ...deleteSteps(
      b,
      deletePods.filter((p) => !p.escaped),
      obs.pods ?? [],
    ),
    ...skippedPodSteps(b, skippedPods),
  ];
  if (escaped.length > 0 && decision.escapeRound !== undefined)
    steps.push(
      escapeRoundStep(
        b,
        decision.escapeRound,
        escaped.map((p) => p.uid),
        decision.escapedPodsStarted === true,
      ),
    );
  if (escaped.length > 0) steps.push(...deleteSteps(b, escaped, obs.pods ?? []));
  return steps;
}

/** The decision on the template and the pods, as steps. */
function planDecision(
  b: WorkloadBasis,
  obs: WorkloadObservation,
  facts: WorkloadFacts,
  pause: boolean | undefined,
  deployment: ReturnType<typeof deploymentFacts> | undefined,
): WorkloadPlan {
  const decision = decideWorkload(facts);
  const steps: WorkloadStep[] = [
    effects({
      log: 'debug',
      message: 'workload decision',
      fields: { decision: decision.reason, template: decision.template, pods: facts.pods.length },
    }),
  ];
  const bypassFacts = bypassFactsOf(b, obs, facts, decision);
  steps.push(...bypassedBeforeSteps(b, bypassFacts, decision));

  const template = templateSteps(b, obs, decision, deployment, {
    pause: pause === true,
    bypassed:
      decision.template === 'inject' ? admissionBypass({ ...bypassFacts, patching: true }) : undefined,
    escapeRounds: bypassFacts.escapeRounds,
    pausedOutcome: {
      restore: b.identity.key,
      workload: workloadName(b),
      decision: decision.reason,
      skippedPods: [],
    },
  });
  const outcome = (reason: WorkloadDecision['reason'], skippedPods: readonly string[]): WorkloadOutcome => ({
    restore: b.identity.key,
    workload: workloadName(b),
    decision: reason,
    skippedPods,
    ...(template.invalidHooks ? { invalidHooks: template.invalidHooks } : {}),
  });
  steps.push(...template.steps);
  const rsDecision = template.rsDecision;

  const deletePods = [...decision.deletePods, ...(rsDecision?.deletePods ?? [])];
  const skippedPods = [...decision.skippedPods, ...(rsDecision?.skippedPods ?? [])];
  const namespace = b.workload.metadata.namespace ?? '';
  steps.push(...podSteps(b, obs, decision, deletePods, skippedPods));
  const workLeft = rsDecision !== undefined && replicaSetWorkLeft(rsDecision);
  const requeue = requeuePolicy(b, obs, facts, { decision, deletedPods: deletePods.length > 0, workLeft });
  return {
    steps,
    // Pods still to be replaced through their ReplicaSets keep the workload in progress.
    outcome: outcome(
      workLeft && decision.reason === 'HooksInPlace' ? 'InjectHooks' : decision.reason,
      skippedPods.map((p) => `${namespace}/${p.name}`),
    ),
    ...requeue,
  };
}

/** What the decision does to the pod template (or, for a Deployment, to its ReplicaSets), as steps. */
function templateSteps(
  b: WorkloadBasis,
  obs: WorkloadObservation,
  decision: WorkloadDecision,
  deployment: ReturnType<typeof deploymentFacts> | undefined,
  inject: {
    pause: boolean;
    bypassed: AdmissionBypass | undefined;
    escapeRounds: number;
    pausedOutcome: WorkloadOutcome;
  },
): { steps: WorkloadStep[]; rsDecision?: ReplicaSetsDecision; invalidHooks?: string } {
  const refused = decision.template === 'inject' ? refusedPatchSummary(b) : undefined;
  if (refused !== undefined)
    // The API server refused this very patch for this version of the workload: it stays refused.
    return { steps: [], invalidHooks: refused };
  if (decision.template === 'inject') return { steps: [injectStep(b, inject)] };
  if (decision.template === 'remove' && b.record) return { steps: [cleanStep(b)] };
  if (deployment && decision.template === 'keep' && b.templateHooks === 'present') {
    const rsDecision = decideReplicaSets(deployment);
    const log = effects({
      log: 'debug',
      message: 'replicaset decision',
      fields: {
        patch: rsDecision.patchReplicaSets,
        deletePods: rsDecision.deletePods.map((p) => p.name),
        waitingFor: rsDecision.waitingFor,
      },
    });
    return { steps: [log, ...replicaSetSteps(b, rsDecision, obs.replicaSets ?? [])], rsDecision };
  }
  if (decision.reason === 'InvalidHooks' && !hasErrors(b.hooks.problems) && b.activity.active) {
    const invalid = invalidHooksEffects(b);
    return invalid ? { steps: [effects(...invalid.effects)], invalidHooks: invalid.summary } : { steps: [] };
  }
  if (decision.reason === 'HookConflict') {
    const conflicts = b.plan.initHooks.filter((h) => h.state === 'conflict').map((h) => h.container.name);
    const event: EventSpec = {
      regarding: refOf(b),
      related: restoreReference(b.restore.metadata),
      type: 'Warning',
      reason: 'HookConflict',
      action: 'Skip',
      note: messages.templateHookConflict(conflicts, b.identity.key),
    };
    return { steps: [effects({ event })] };
  }
  return { steps: [] };
}

/** Whether the ReplicaSets of a Deployment still have something to do before its pods all have their hooks. */
function replicaSetWorkLeft(d: ReplicaSetsDecision): boolean {
  return d.patchReplicaSets.length > 0 || d.resume || d.deletePods.length > 0 || d.waitingFor !== undefined;
}

function injectStep(
  b: WorkloadBasis,
  {
    pause,
    bypassed,
    escapeRounds,
    pausedOutcome,
  }: {
    pause: boolean;
    bypassed: AdmissionBypass | undefined;
    escapeRounds: number;
    pausedOutcome: WorkloadOutcome;
  },
): PatchStep {
  const inserted = b.plan.initHooks.filter((h) => h.state === 'insert');
  const names = inserted.map((h) => h.container.name);
  const labels = labelsOf(b);
  return {
    do: 'patch',
    what: 'injectTemplate',
    kind: b.kind,
    target: b.workload,
    ownWrite: true,
    build: (current) => {
      const plan = current === b.workload ? b.plan : templatePlan(current, b.hooks, b.policy);
      if (!plan.initContainersChanged) return undefined;
      return injectionPatch(current, plan, b.identity, {
        pause: pause && current.spec.paused !== true,
        ...(bypassed ? { bypassed } : {}),
      });
    },
    stopUnlessWritten: true,
    ifWritten: [
      ...(bypassed
        ? admissionBypassedEffects(b, bypassed, { template: true, escapeRounds, escapedPodsStarted: false })
        : []),
      { metric: 'templatePatched', labels },
      ...inserted.map((h): Effect => ({
        metric: 'hookInjected',
        labels: { ...labels, source: h.origin.source },
      })),
      {
        log: 'info',
        message: 'injected init hooks into pod template',
        fields: { hooks: names, paused: pause },
      },
      {
        event: {
          regarding: refOf(b),
          related: restoreReference(b.restore.metadata),
          type: 'Normal',
          reason: 'HookInjected',
          action: 'PatchTemplate',
          note: messages.templateInjected(names, b.identity.key, b.kind, pause),
        },
      },
    ],
    // Paused: the Deployment controller has to see the pause before the ReplicaSets get the hooks. Its status write
    // enqueues the Deployment; the delay is only a fallback.
    ...(pause
      ? { endIfWritten: { outcome: pausedOutcome, requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS } }
      : {}),
    ifRejected: (why) => rejectedEffects(b, why),
  };
}

/**
 * The API server refused the template patch as invalid (422, e.g. an annotation too long): never retried for this
 * version of the workload (a new generation tries again), said once on the workload, in the metric and the log.
 */
function rejectedEffects(
  b: WorkloadBasis,
  why: string,
): { summary: string; effects: Effect[]; record: MergePatch } {
  const labels = labelsOf(b);
  const summary = `${b.kind} ${labels.namespace}/${b.workload.metadata.name ?? ''} (rejected-by-api-server): ${why}`;
  const refused: RefusedPatch = {
    restore: b.identity.key,
    patch: patchIdentity(b),
    summary: summary.length > MAX_REFUSED_SUMMARY ? `${summary.slice(0, MAX_REFUSED_SUMMARY - 1)}…` : summary,
  };
  return {
    summary,
    record: { metadata: { annotations: { [TEMPLATE_PATCH_REFUSED_ANNOTATION]: JSON.stringify(refused) } } },
    effects: [
      { metric: 'hookSkipped', labels: { ...labels, reason: 'rejected-by-api-server' } },
      {
        log: 'warn',
        message: 'the API server refused the pod template patch; not retried for this generation',
        fields: { error: why },
      },
      {
        event: {
          regarding: refOf(b),
          related: restoreReference(b.restore.metadata),
          type: 'Warning',
          reason: 'HookSkipped',
          action: 'PatchTemplate',
          note: messages.templatePatchRejected(b.identity.key, b.kind, why),
        },
      },
    ],
  };
}

function cleanStep(b: WorkloadBasis): PatchStep {
  const cleanup = cleanupPatch(b.workload, b.record!);
  return {
    do: 'patch',
    what: 'cleanTemplate',
    kind: b.kind,
    target: b.workload,
    ownWrite: true,
    build: (current) => {
      const record = appliedRecord(current);
      return record?.restore === b.identity.key ? cleanupPatch(current, record).patch : undefined;
    },
    stopUnlessWritten: true,
    ifWritten: [
      { metric: 'templateCleaned', labels: labelsOf(b) },
      {
        log: 'info',
        message: 'removed init hooks from pod template after the restore',
        fields: { removed: cleanup.removed, kept: cleanup.kept },
      },
      {
        event: {
          regarding: refOf(b),
          related: restoreReference(b.restore.metadata),
          type: 'Normal',
          reason: 'HookRemoved',
          action: 'PatchTemplate',
          note: messages.templateCleaned(
            cleanup.removed,
            cleanup.kept.map((k) => k.name),
            b.identity.key,
          ),
        },
      },
    ],
  };
}

/**
 * The workload's own init hooks (its template's annotations) are invalid or refused by policy: nothing is written,
 * and it is said once per workload, Restore and set of problems, on the workload, in the metric and in the log.
 * The summary is what the Restore's InitHooksApplied condition shows.
 */
function invalidHooksEffects(b: WorkloadBasis): { summary: string; effects: Effect[] } | undefined {
  const skip = initHooksSkip(b.plan);
  if (!skip) return undefined;
  const labels = labelsOf(b);
  const name = b.workload.metadata.name ?? '';
  const summary = `${b.kind} ${labels.namespace}/${name} (${skip.reason}): ${skip.problems.join('; ')}`;
  const once: Effect = {
    once: `${b.identity.uid}/${b.workload.metadata.uid ?? name}/${summary}`,
    effects: [
      { metric: 'hookSkipped', labels: { ...labels, reason: skip.reason } },
      {
        log: 'warn',
        message: 'init hooks of the pod template not applied',
        fields: { reason: skip.reason, problems: skip.problems },
      },
      {
        event: {
          regarding: refOf(b),
          related: restoreReference(b.restore.metadata),
          type: 'Warning',
          reason: 'HookSkipped',
          action: 'Skip',
          note: messages.templateHooksInvalid(b.identity.key, b.kind, skip),
        },
      },
    ],
  };
  return { summary, effects: [once] };
}

/** Pods that will not run their init hooks: counted once each, and said on the pod (the recorder dedupes Events). */
function skippedPodSteps(
  b: WorkloadBasis,
  skipped: readonly { readonly name: string; readonly reason: PodSkipReason }[],
): WorkloadStep[] {
  const namespace = b.workload.metadata.namespace ?? '';
  return skipped.map((pod) =>
    effects(
      {
        once: `${b.identity.uid}/${namespace}/${pod.name}/${pod.reason}`,
        effects: [
          { metric: 'hookSkipped', labels: { ...labelsOf(b), reason: SKIP_METRIC_REASONS[pod.reason] } },
        ],
      },
      {
        event: {
          regarding: podReference({ namespace, name: pod.name }),
          related: restoreReference(b.restore.metadata),
          type: 'Warning',
          reason: 'HookSkipped',
          action: 'Skip',
          note: messages.workloadPodSkipped(pod.name, b.identity.key, pod.reason),
        },
      },
    ),
  );
}

/**
 * When to look at the workload again without an event: soon while pods it deleted come back or another controller
 * catches up, at the end of the hook window for a cleanup, never when nothing is left to do.
 */
export function requeuePolicy(
  b: WorkloadBasis,
  obs: WorkloadObservation,
  facts: WorkloadFacts,
  done: { decision: WorkloadDecision; deletedPods: boolean; workLeft: boolean },
): { requeueAfterMs?: number; forgetReplacing?: boolean } {
  const { settings, nowMs } = obs;
  const status = b.restore.status;
  if (done.deletedPods) return { requeueAfterMs: DELETED_PODS_RECHECK_MS };
  if (done.workLeft) return { requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS };
  const waiting = awaitsReplacements({
    deletedAtMs: obs.replacingSinceMs,
    nowMs,
    watchMs: REPLACEMENTS_WATCH_MS,
    pods: obs.pods !== undefined ? facts.pods : undefined,
    desired: desiredPods(b.kind, b.workload),
  });
  if (waiting) return { requeueAfterMs: REPLACEMENTS_RECHECK_MS };
  const forgetReplacing = obs.replacingSinceMs !== undefined ? { forgetReplacing: true } : {};
  if (done.decision.reason === 'WaitingForFileSystemRestore')
    return { ...forgetReplacing, requeueAfterMs: FILE_SYSTEM_RESTORE_RECHECK_MS };
  if (
    facts.injectedByUs &&
    facts.restore.finished &&
    settings.cleanupPolicy === 'RemoveAfterRestore' &&
    done.decision.template !== 'remove'
  ) {
    const closes = msUntilWindowCloses(status, nowMs, settings.hookWindowMs);
    return { ...forgetReplacing, requeueAfterMs: Math.min(settings.cleanupPollMs, (closes ?? 0) + 1000) };
  }
  if (done.decision.template === 'inject' && b.activity.reason === 'FinishedWithinWindow')
    return {
      ...forgetReplacing,
      requeueAfterMs: (msUntilWindowCloses(status, nowMs, settings.hookWindowMs) ?? 0) + 1000,
    };
  return forgetReplacing;
}

/** Whether `observe` must list the workload's pods, and then its ReplicaSets, for the plan. */
export function liveReadsNeeded(obs: WorkloadObservation): {
  pods: boolean;
  replicaSets: (pods: readonly Pod[]) => boolean;
} {
  const gate = gateWorkload(obs);
  if ('plan' in gate) return { pods: false, replicaSets: () => false };
  const b = gate.basis;
  if (awaitsAdoption(b, obs)) return { pods: false, replicaSets: () => false };
  return { pods: podsNeeded(b), replicaSets: (pods) => replicaSetsNeeded(b, workloadFacts(b, pods)) };
}
