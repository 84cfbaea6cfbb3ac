/**
 * What the exec reconciler does about one pod, decided from what it observed (pure): whether the pod is a Restore's
 * with exec hooks of ours (`execGate`), then the record write (a claim, or outcomes and failures), the commands to
 * start, the Events, metrics and logs, the Restore whose status may change, and the requeue. `execStep` decides the
 * hooks' next step; this module turns it into writes and reports.
 */
import type { Settings } from '../../config/settings.ts';
import type { ExecHook, HookPlan } from '../../hooks/hook-plan.ts';
import { mayHaveExecHooks, planHooks } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { hasErrors } from '../../hooks/problems.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import { DEFAULT_EXEC_TIMEOUT_MS } from '../../hooks/validate.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { podReference, restoreReference } from '../events.ts';
import type { Effect } from '../init-hooks/effects.ts';
import { changedThroughItsDeployment } from '../init-hooks/workload-plan.ts';
import {
  CLEANED_UP_ANNOTATION,
  EXEC_HOOKS_ANNOTATION,
  EXEC_RETRIES_ANNOTATION,
  RESTORE_LABEL,
} from '../marks.ts';
import { createdDuringRestore, restoreMembership } from '../membership.ts';
import { restoreActivity } from '../restore-activity.ts';
import type { RestoreLookup, RestoreObject } from '../restore-directory.ts';
import { restoreKey } from '../restore-key.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import * as messages from './exec-messages.ts';
import type { ExecRecord, HookEntry, RetryPolicy } from './exec-record.ts';
import { failedEntry, isFinal, parseExecRecord } from './exec-record.ts';
import type { PodFacts } from './exec-step.ts';
import { execStep } from './exec-step.ts';

export interface ExecPlanSettings {
  readonly hookWindowMs: number;
  readonly policy: HookPolicy;
  readonly exec: Settings['exec'];
}

/** The restored workload at the top of the pod's controller chain, once read (a read only some pods need). */
export type OwnerRead = { readonly read: false } | { readonly read: true; readonly workload?: Workload };

/** What the exec plan starts from: one pod, and everything read about it. */
export interface ExecObservation {
  readonly pod: Pod;
  /** The pod was deleted: `pod` is its last state, and nothing can be written on it any more. */
  readonly gone: boolean;
  readonly owner: OwnerRead;
  /** The Restore a `velero.io/restore-name` label value names (the Restore cache). */
  readonly restoreOf: (labelValue: string) => RestoreLookup;
  /** The hooks of the Restores within their hook window: a pod of no known restore may get exec hooks from these. */
  readonly activeHooks: readonly RestoreHooks[];
  /** Entries of our last record write that the cached pod does not show yet (`OwnWrites`). */
  readonly ownWrite?: Readonly<Record<string, HookEntry>>;
  /** Attempts that ended in this process and are not recorded yet, by hook id. */
  readonly finished: Readonly<Record<string, HookEntry>>;
  /** Hook ids with an exec under way in this process. */
  readonly inFlight: ReadonlySet<string>;
  /** The process stops: no exec starts any more. */
  readonly stopping: boolean;
  readonly nowMs: number;
  readonly settings: ExecPlanSettings;
}

/** A command to start, once the plan's write is made. */
export interface ExecCommand {
  readonly hook: ExecHook;
  readonly attempt: number;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

export type RecordWrite =
  /** A recreated pod of a restored workload becomes ours: our mark and an empty record, in one patch. */
  | { readonly claim: string; readonly restore: string }
  /** Entries merged into the record (guarded by resourceVersion, rebuilt from a fresh read on a conflict). */
  | { readonly restore: string; readonly updates: Readonly<Record<string, HookEntry>> };

export interface ExecPodPlan {
  /** The Restore, `namespace/name`, when the pod is one of its (for the logs). */
  readonly restore?: string;
  /** Reported before anything is written. */
  readonly effects: readonly Effect[];
  readonly write?: RecordWrite;
  /** Reported once the write is made (at once when there is none); not when the pod turned out gone. */
  readonly ifWritten: readonly Effect[];
  /** Started once the write is made. */
  readonly run: readonly ExecCommand[];
  readonly requeueAfterMs?: number;
}

/** Why a pod has no exec hooks of ours, or what it is to its Restore. */
export type ExecGate =
  | { readonly none: string }
  /** The answer depends on the restored workload at the top of the pod's chain: read it, then ask again. */
  | { readonly needs: 'owner' }
  | {
      readonly restore: RestoreObject;
      readonly hooks: RestoreHooks;
      /** Velero restored the pod (its label); else the pod has our mark, or is to be claimed. */
      readonly velero: boolean;
      /** The pod carries no mark: to be claimed with this label value. */
      readonly claim?: string;
      /** Past its hook window: only the outcomes of attempts started within it are recorded. */
      readonly inactive?: boolean;
    };

const MAX_RETRY_ATTEMPTS = 100;
/** A requeue is never sooner than this, and lands this long after the wait it is for. */
const REQUEUE_SLACK_MS = 50;

const ended = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/**
 * Whether an exec hook could apply to a pod of no known restore, before anything is read to find its restore: its
 * own exec-hook annotation (the template's) during some active restore, or an active Restore declaring post hooks
 * in spec.hooks. A restore with init hooks only costs its pods no owner lookups.
 */
export function execHooksPossible(pod: Pod, activeHooks: readonly RestoreHooks[]): boolean {
  const annotations = pod.metadata.annotations ?? {};
  return activeHooks.some((hooks) => mayHaveExecHooks(hooks, annotations));
}

type GateInput = Pick<
  ExecObservation,
  'pod' | 'owner' | 'restoreOf' | 'activeHooks' | 'nowMs' | 'settings' | 'finished'
>;

/** The pod's Restore and how the pod is its, or why it has no exec hooks of ours. Planning is left to the caller. */
export function execGate(obs: GateInput): ExecGate {
  const { pod, owner } = obs;
  const labels = pod.metadata.labels ?? {};
  const veleroValue = labels[RESTORE_NAME_LABEL];
  const ourValue = labels[RESTORE_LABEL];
  let labelValue = veleroValue ?? ourValue;
  const claim = labelValue === undefined;
  let workload: Workload | undefined;
  if (claim) {
    if (!execHooksPossible(pod, obs.activeHooks)) return { none: 'no active restore with exec hooks' };
    if (ended(pod) || pod.metadata.deletionTimestamp) return { none: 'pod ended' };
    if (!owner.read) return { needs: 'owner' };
    workload = owner.workload;
    labelValue = workload?.metadata.labels?.[RESTORE_NAME_LABEL];
    if (!workload || labelValue === undefined) return { none: 'no restored owner' };
    // Pods of the cleanup rollout no longer belong to the restore.
    if (workload.metadata.annotations?.[CLEANED_UP_ANNOTATION] !== undefined)
      return { none: 'cleanup rollout' };
  }
  const lookup = obs.restoreOf(labelValue!);
  if (!lookup.found) return { none: 'no such restore' };
  const { restore, hooks } = lookup;
  if (hasErrors(hooks.problems)) return { none: 'invalid hooks' };
  // Planning costs more than everything else here; a restore with init hooks only needs none of it.
  if (!mayHaveExecHooks(hooks, pod.metadata.annotations ?? {})) return { none: 'no exec hooks' };
  const inactive = !restoreActivity(restore.status, obs.nowMs, obs.settings.hookWindowMs).active;
  if (inactive && Object.keys(obs.finished).length === 0) return { none: 'restore inactive' };
  if (!claim && veleroValue === undefined) {
    // Only our mark, which anyone may copy into a template or put on a pod: the pod is the Restore's when the
    // workload at the top of its chain is (the pod webhook removes a mark it refuses; this holds without it).
    if (!owner.read) return { needs: 'owner' };
    workload = owner.workload;
    if (workload?.metadata.labels?.[RESTORE_NAME_LABEL] !== ourValue) return { none: 'no restored owner' };
  }
  const podVerdict = restoreMembership(pod.metadata, restore, hooks);
  if (podVerdict !== 'Member') return { none: `pod: ${podVerdict}` };
  const workloadVerdict = workload ? restoreMembership(workload.metadata, restore, hooks) : 'Member';
  if (workloadVerdict !== 'Member') return { none: `workload: ${workloadVerdict}` };
  return {
    restore,
    hooks,
    velero: veleroValue !== undefined,
    ...(claim ? { claim: labelValue } : {}),
    ...(inactive ? { inactive } : {}),
  };
}

/** A pod of a Restore with exec hooks for it. */
interface Member {
  readonly restore: RestoreObject;
  readonly restoreKey: string;
  readonly plan: HookPlan;
  /** The kind the hook reaches the pod through, for metric labels. */
  readonly kind: string;
}

const nothing = (effects: readonly Effect[] = []): ExecPodPlan => ({ effects, ifWritten: [], run: [] });

/** The plan for one reconcile of a pod key. */
export function planExecPod(obs: ExecObservation): ExecPodPlan {
  const { pod } = obs;
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  if (obs.gone && !labelled(pod)) return nothing();
  const gate = execGate(obs);
  const member = 'restore' in gate ? memberOf(gate, obs) : undefined;
  if (!member || !('restore' in gate)) {
    if (obs.gone) return nothing();
    const why = 'none' in gate ? gate.none : 'needs' in gate ? 'owner not read' : 'no exec hooks';
    return nothing([
      { log: 'debug', message: 'no exec hooks to run here', fields: { namespace, name, why } },
    ]);
  }
  if (obs.gone) return gate.velero && skippedForVelero(obs) ? nothing() : planGonePod(obs, member);
  if (gate.velero && skippedForVelero(obs)) {
    const labels = { restore: member.restore.metadata.name ?? '', namespace, kind: member.kind };
    return {
      ...nothing([
        {
          once: `${pod.metadata.uid ?? `${namespace}/${name}`}/velero-skip`,
          effects: [
            {
              log: 'debug',
              message:
                'Velero restored this pod and runs its exec hooks; left to Velero (exec.veleroRestoredPods: Skip)',
            },
            { metric: 'hookSkipped', labels: { ...labels, reason: 'velero-runs-exec-hooks' } },
          ],
        },
      ]),
      restore: member.restoreKey,
    };
  }
  if (gate.claim !== undefined && gate.inactive) return nothing();
  if (gate.claim !== undefined)
    return {
      ...nothing(),
      restore: member.restoreKey,
      write: { claim: gate.claim, restore: member.restoreKey },
      ifWritten: [
        {
          log: 'info',
          message: 'claimed a recreated pod of a restored workload for its exec hooks',
          fields: { hooks: member.plan.execHooks.map((h) => h.id) },
        },
      ],
    };
  return planMemberPod(obs, member, gate.inactive === true);
}

const labelled = (pod: Pod): boolean =>
  pod.metadata.labels?.[RESTORE_LABEL] !== undefined ||
  pod.metadata.labels?.[RESTORE_NAME_LABEL] !== undefined;

const skippedForVelero = (obs: ExecObservation): boolean => obs.settings.exec.veleroRestoredPods === 'Skip';

function memberOf(
  gate: { restore: RestoreObject; hooks: RestoreHooks },
  obs: ExecObservation,
): Member | undefined {
  const { pod } = obs;
  const plan = planHooks(
    gate.hooks,
    {
      namespace: pod.metadata.namespace ?? '',
      labels: pod.metadata.labels ?? {},
      annotations: pod.metadata.annotations ?? {},
      podSpec: pod.spec,
    },
    { policy: obs.settings.policy },
  );
  if (plan.execHooks.length === 0) return undefined;
  return { restore: gate.restore, restoreKey: restoreKey(gate.restore), plan, kind: topKind(pod) };
}

/**
 * A pod of the Restore with our record (or none yet): the hooks' next step. Once the Restore is past its hook window
 * (`inactive`), only the outcomes of attempts that ended are recorded: nothing else is decided or started.
 */
function planMemberPod(obs: ExecObservation, member: Member, inactive: boolean): ExecPodPlan {
  const { pod, nowMs } = obs;
  const restore = member.restoreKey;
  const parsed = parseExecRecord(pod.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
  if (!parsed.ok)
    return {
      ...nothing([
        {
          log: 'warn',
          message: 'unreadable exec-hook record; no exec hooks run in this pod',
          fields: { error: parsed.error },
        },
        {
          event: {
            regarding: podReference(pod.metadata),
            type: 'Warning',
            reason: 'HookFailed',
            action: 'Exec',
            note: messages.unreadableRecord(EXEC_HOOKS_ANNOTATION, pod.metadata.name ?? '', parsed.error),
          },
        },
      ]),
      restore,
    };
  if (parsed.record && parsed.record.restore !== restore) return { ...nothing(), restore };
  const entries = { ...parsed.record?.hooks, ...obs.ownWrite, ...obs.finished };
  const step = execStep({
    pod: podFacts(pod),
    groups: member.plan.execHooksByContainer,
    entries,
    inFlight: obs.inFlight,
    nowMs,
    defaultWaitTimeoutMs: obs.settings.exec.defaultWaitTimeout,
  });
  const effects: Effect[] = [
    {
      log: 'debug',
      message: 'exec step',
      fields: {
        run: step.run.map((r) => r.hook.id),
        fail: step.fail.map((f) => `${f.hook.id}:${f.reason}`),
        waitUntil: step.waitUntilMs,
        done: step.done,
      },
    },
  ];
  const updates: Record<string, HookEntry> = { ...obs.finished };
  const failures = inactive ? [] : step.fail;
  for (const { hook, reason } of failures) updates[hook.id] = failedEntry(entries[hook.id], reason, nowMs);
  const hooks = member.plan.execHooks.filter((h) => updates[h.id] !== undefined);
  const reports = hooks.map((hook) => reportOf(pod, member, hook, updates[hook.id]!, true));
  const base: ExecPodPlan = {
    restore,
    effects,
    ...(hooks.length > 0 ? { write: { restore, updates } } : {}),
    ifWritten: reports.flat(),
    run: [],
  };
  // A failure is recorded before anything else starts; the write's event brings the next step.
  if (step.done || step.fail.length > 0 || obs.stopping || inactive) return base;
  const { retry, problem } = retryPolicy(pod, obs.settings.exec);
  if (problem) effects.push(...problem);
  return {
    ...base,
    run: step.run.map(({ hook, attempt }) => ({ hook, attempt, retry, timeoutMs: timeoutOf(hook, obs) })),
    ...(step.waitUntilMs !== undefined
      ? { requeueAfterMs: Math.max(REQUEUE_SLACK_MS, step.waitUntilMs - nowMs + REQUEUE_SLACK_MS) }
      : {}),
  };
}

/** The engine resolves an unset execTimeout to Velero's 30s; exec.defaultExecTimeout takes its place. */
function timeoutOf(hook: ExecHook, obs: ExecObservation): number {
  return hook.execTimeoutMs === DEFAULT_EXEC_TIMEOUT_MS
    ? obs.settings.exec.defaultExecTimeout
    : hook.execTimeoutMs;
}

/**
 * A deleted pod: nothing can be written on it any more, so the hooks it never finished are counted (as failed with
 * PodDeleted; an attempt that ended meanwhile with its own outcome). A pod deleted before anything started is left to
 * the pod its owner creates next; hooks still running are counted when their attempt ends.
 */
function planGonePod(obs: ExecObservation, member: Member): ExecPodPlan {
  const { pod } = obs;
  const parsed = parseExecRecord(pod.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
  if (!parsed.ok) return nothing();
  const recorded = { ...parsed.record?.hooks, ...obs.ownWrite };
  const tried =
    Object.keys(recorded).length > 0 || obs.inFlight.size > 0 || Object.keys(obs.finished).length > 0;
  if (!tried && ownerRecreates(pod))
    return nothing([
      {
        log: 'debug',
        message: 'deleted before anything started: the pod its owner creates next runs the exec hooks',
        fields: { namespace: pod.metadata.namespace, name: pod.metadata.name },
      },
    ]);
  const reports: Effect[] = [];
  for (const hook of member.plan.execHooks) {
    if (obs.inFlight.has(hook.id)) continue;
    const ended = obs.finished[hook.id];
    const previous = ended ?? recorded[hook.id];
    if (ended === undefined && isFinal(previous)) continue;
    const final = isFinal(previous) ? previous! : failedEntry(previous, 'PodDeleted', obs.nowMs);
    reports.push(...reportOf(pod, member, hook, final, false));
  }
  return {
    ...nothing(),
    restore: member.restoreKey,
    ifWritten: reports,
  };
}

/**
 * What a written entry reports: for a final outcome, metrics, a log line and Events, once per pod and hook in this
 * process (the pod's Event only while the pod exists); for a retry, a log line.
 */
function reportOf(pod: Pod, member: Member, hook: ExecHook, entry: HookEntry, podExists: boolean): Effect[] {
  if (!isFinal(entry))
    return [
      {
        log: 'info',
        message: 'exec hook failed; retrying after backoff',
        fields: {
          hook: hook.id,
          attempt: entry.attempts,
          reason: entry.reason,
          exitCode: entry.exitCode,
          nextAttemptAt: entry.nextAttemptAt,
        },
      },
    ];
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const labels = {
    restore: member.restore.metadata.name ?? '',
    namespace,
    kind: member.kind,
    source: hook.origin.source,
  };
  const failed = entry.result === 'Failed';
  const note = messages.describeOutcome({ pod: name, hook, entry });
  const effects: Effect[] = [{ metric: 'hookExecuted', labels }];
  if (failed) {
    effects.push(
      { metric: 'hookFailed', labels: { ...labels, type: 'exec' } },
      {
        log: 'warn',
        message: 'exec hook failed',
        fields: { hook: hook.id, reason: entry.reason, exitCode: entry.exitCode },
      },
    );
  } else
    effects.push({
      log: 'info',
      message: 'exec hook succeeded',
      fields: { hook: hook.id, attempts: entry.attempts },
    });
  const podRef = podReference(pod.metadata);
  const restoreRef = restoreReference(member.restore.metadata);
  if (podExists)
    effects.push({
      event: {
        regarding: podRef,
        related: restoreRef,
        type: failed ? 'Warning' : 'Normal',
        reason: failed ? 'HookFailed' : 'HookExecuted',
        action: 'Exec',
        note,
      },
    });
  if (failed)
    effects.push({
      event: {
        regarding: restoreRef,
        related: podRef,
        type: 'Warning',
        reason: 'HookFailed',
        action: 'Exec',
        note: messages.failedInPod(namespace, name, note),
      },
    });
  return [{ once: `${pod.metadata.uid ?? ''}/${hook.id}/final`, effects }];
}

/** Attempts per hook: the pod's `restore-hooks.dev/exec-retries` annotation, else exec.retries.attempts. */
export function retryAttempts(
  annotations: Readonly<Record<string, string>> | undefined,
  configured: number,
): { attempts: number; problem?: string } {
  const raw = annotations?.[EXEC_RETRIES_ANNOTATION];
  if (raw === undefined) return { attempts: configured };
  const n = Number(raw);
  if (/^\d+$/.test(raw.trim()) && Number.isInteger(n) && n >= 1 && n <= MAX_RETRY_ATTEMPTS)
    return { attempts: n };
  return {
    attempts: configured,
    problem: `metadata.annotations[${EXEC_RETRIES_ANNOTATION}]: Invalid value: ${JSON.stringify(raw)}: expected the number of attempts per exec hook, 1 to ${MAX_RETRY_ATTEMPTS}; using ${configured} (exec.retries.attempts)`,
  };
}

function retryPolicy(pod: Pod, exec: Settings['exec']): { retry: RetryPolicy; problem?: Effect[] } {
  const { attempts, problem } = retryAttempts(pod.metadata.annotations, exec.retries.attempts);
  const retry = { attempts, backoffBaseMs: exec.retries.backoffBase, backoffMaxMs: exec.retries.backoffMax };
  if (!problem) return { retry };
  return {
    retry,
    problem: [
      { log: 'warn', message: 'invalid exec-retries annotation', fields: { problem } },
      {
        event: {
          regarding: podReference(pod.metadata),
          type: 'Warning',
          reason: 'InvalidHook',
          action: 'Validate',
          note: messages.invalidRetries(problem),
        },
      },
    ],
  };
}

/**
 * The record after a write of `updates` to the pod as `current` shows it; throws when that record cannot be read
 * (what it says must never be guessed at, let alone overwritten).
 */
export function recordWith(
  current: Pod,
  restore: string,
  updates: Readonly<Record<string, HookEntry>>,
): ExecRecord {
  const parsed = parseExecRecord(current.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
  if (!parsed.ok)
    throw new Error(
      `the exec-hook record of pod ${current.metadata.namespace ?? ''}/${current.metadata.name ?? ''} became unreadable: ${parsed.error}`,
    );
  return { restore, hooks: { ...parsed.record?.hooks, ...updates } };
}

/** Whether the recorded entries show all of a write's (output tails aside: the record may drop them for size). */
export function showsEntries(
  cached: Readonly<Record<string, HookEntry>>,
  written: Readonly<Record<string, HookEntry>>,
): boolean {
  const identity = (e: HookEntry | undefined) =>
    e && JSON.stringify([e.result, e.attempts, e.reason, e.exitCode, e.finishedAt, e.nextAttemptAt]);
  return Object.entries(written).every(([id, entry]) => identity(cached[id]) === identity(entry));
}

/** What the step function needs to know about a pod. */
export function podFacts(pod: Pod): PodFacts {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  return {
    createdAtMs: Date.parse(pod.metadata.creationTimestamp ?? '') || 0,
    ended: ended(pod),
    terminating: pod.metadata.deletionTimestamp !== undefined,
    ownerRecreates: ownerRecreates(pod),
    containers: new Map(
      pod.spec.containers.map((c) => {
        const s = statuses.get(c.name);
        return [c.name, { running: s?.state?.running !== undefined, ready: s?.ready === true }];
      }),
    ),
  };
}

/** The kind the hook reaches the pod through, for metric labels: a Deployment's pods carry pod-template-hash. */
function topKind(pod: Pod): string {
  const owner = controllerOf(pod.metadata);
  if (!owner) return 'Pod';
  if (owner.kind === 'ReplicaSet' && pod.metadata.labels?.['pod-template-hash'] !== undefined)
    return 'Deployment';
  return owner.kind;
}

/** PodFacts.ownerRecreates: a workload's pod (not Velero's) in which no container has started. */
function ownerRecreates(pod: Pod): boolean {
  if (pod.metadata.labels?.[RESTORE_NAME_LABEL] !== undefined) return false;
  if (!pod.metadata.ownerReferences?.some((o) => o.controller)) return false;
  return ![...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].some(
    (c) =>
      c.state?.running !== undefined ||
      c.state?.terminated !== undefined ||
      c.lastState?.terminated !== undefined,
  );
}

/**
 * A restored workload whose pods may need exec hooks claimed: labelled, its Restore found, valid and active, a
 * member, changed through itself (not a Deployment's ReplicaSet), with exec hooks its pods may get.
 */
export function execSweepWanted(
  kind: WorkloadKind,
  workload: Workload,
  lookup: RestoreLookup | undefined,
  nowMs: number,
  hookWindowMs: number,
): lookup is RestoreLookup & { found: true } {
  if (!lookup?.found || changedThroughItsDeployment(kind, workload)) return false;
  if (workload.metadata.labels?.[RESTORE_NAME_LABEL] === undefined) return false;
  const { restore, hooks } = lookup;
  if (restoreMembership(workload.metadata, restore, hooks) !== 'Member') return false;
  if (!execSweepRestoreWanted(restore, hooks, nowMs, hookWindowMs)) return false;
  return mayHaveExecHooks(hooks, workload.spec.template.metadata?.annotations ?? {});
}

/** The Restore's part of `execSweepWanted`: within its hook window, its hooks valid. */
export function execSweepRestoreWanted(
  restore: RestoreObject,
  hooks: RestoreHooks,
  nowMs: number,
  hookWindowMs: number,
): boolean {
  return restoreActivity(restore.status, nowMs, hookWindowMs).active && !hasErrors(hooks.problems);
}

/**
 * The pods of a restored workload that may still need their exec hooks claimed: created during the restore, without
 * our mark or an exec record, neither ended nor being deleted, whatever their phase.
 */
export function execCandidates(pods: readonly Pod[], restore: RestoreObject): Pod[] {
  const start = restore.status?.startTimestamp;
  return pods.filter(
    (p) =>
      p.metadata.labels?.[RESTORE_LABEL] === undefined &&
      p.metadata.annotations?.[EXEC_HOOKS_ANNOTATION] === undefined &&
      !ended(p) &&
      p.metadata.deletionTimestamp === undefined &&
      createdDuringRestore(p.metadata, start),
  );
}
