import PQueue from 'p-queue';
import type { Settings } from '../../config/settings.ts';
import type { ExecHook, HookPlan } from '../../hooks/hook-plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { mayHaveExecHooks, planHooks } from '../../hooks/plan.ts';
import { hasErrors } from '../../hooks/problems.ts';
import { DEFAULT_EXEC_TIMEOUT_MS } from '../../hooks/validate.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { HookMetrics } from '../../telemetry/metrics.ts';
import type { Cluster } from '../cluster.ts';
import type { EventRecorder } from '../events.ts';
import { podReference, restoreReference } from '../events.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import type { KubeJsonClient } from '../kube-json-client.ts';
import { describeApiError, isConflict, isNotFound } from '../machinery/api-errors.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import { splitObjectKey } from '../machinery/kube-object.ts';
import type { Logger } from '../machinery/logger.ts';
import {
  CLEANED_UP_ANNOTATION,
  EXEC_HOOKS_ANNOTATION,
  EXEC_RETRIES_ANNOTATION,
  RESTORE_LABEL,
} from '../marks.ts';
import { restoreMembership } from '../membership.ts';
import { restoreActivity } from '../restore-activity.ts';
import type { RestoreDirectory, RestoreObject } from '../restore-directory.ts';
import { restoreKey } from '../restore-key.ts';
import type { OwnerChain } from '../owner-chain.ts';
import { SeenOnce } from '../seen-once.ts';
import { describeOutcome } from './exec-messages.ts';
import type { ExecRecord, HookEntry, RetryPolicy } from './exec-record.ts';
import { entryAfterAttempt, failedEntry, formatExecRecord, isFinal, parseExecRecord } from './exec-record.ts';
import type { ExecFunc } from './exec-runner.ts';
import type { PodFacts } from './exec-step.ts';
import { execStep } from './exec-step.ts';

export interface ExecHookSettings {
  readonly hookWindowMs: number;
  readonly policy: HookPolicy;
  readonly exec: Settings['exec'];
  /** Exec hooks running at once, across all pods. */
  readonly concurrency: number;
}

export interface ExecHookReconcilerDeps {
  /** A pod from the informer caches (labelled, Velero-restored, pending). */
  readonly getPod: (namespace: string, name: string) => Pod | undefined;
  readonly getWorkload: (kind: WorkloadKind, namespace: string, name: string) => Workload | undefined;
  /** Finds the restored workload at the top of a pod's controller chain. */
  readonly owners: OwnerChain;
  readonly restores: RestoreDirectory;
  /** The Restores within their hook window: a pending pod is worth an owner lookup only if one can give it exec hooks. */
  readonly activeRestores: () => readonly RestoreObject[];
  readonly cluster: Cluster;
  readonly client: KubeJsonClient;
  readonly events: EventRecorder;
  readonly exec: ExecFunc;
  /** Re-enqueues a pod key on the exec controller. */
  readonly enqueue: (key: string) => void;
  readonly settings: ExecHookSettings;
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics?: HookMetrics;
  /** A hook of a pod reached a final outcome (or a pod's hooks were counted after it was deleted). */
  readonly onOutcome?: (restoreKey: string) => void;
}

interface Member {
  readonly restore: RestoreObject;
  readonly restoreKey: string;
  readonly plan: HookPlan;
  /** The top of the pod's owner chain, for metric labels. */
  readonly kind: string;
}

type Membership =
  | { readonly kind: 'none'; readonly why: string }
  | { readonly kind: 'velero'; readonly member: Member }
  | { readonly kind: 'claim'; readonly member: Member; readonly labelValue: string }
  | { readonly kind: 'member'; readonly member: Member };

const WRITE_ATTEMPTS = 8;
const MAX_REMEMBERED = 10_000;
const MAX_RETRY_ATTEMPTS = 100;

/** What the step function needs to know about a pod. */
export function podFacts(pod: Pod): PodFacts {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  return {
    createdAtMs: Date.parse(pod.metadata.creationTimestamp ?? '') || 0,
    ended: pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed',
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

/**
 * Runs the exec hooks of restored pods (the `exec` controller, keyed by pod `namespace/name`). Level-triggered:
 * each reconcile reads the pod and its progress record (annotation), decides with `execStep`, records failures
 * that need no exec, and submits the hooks to run to a global queue limited by `concurrency.execHooks`. A reconcile
 * never waits for a command: when one finishes, its outcome is written to the record and the pod is enqueued again.
 */
export class ExecHookReconciler {
  readonly #deps: ExecHookReconcilerDeps;
  readonly #queue: PQueue;
  /** Hook ids with an exec under way, by pod uid. */
  readonly #inFlight = new Map<string, Set<string>>();
  /** The last state of labelled pods that were deleted, until their remaining hooks are counted. */
  readonly #deleted = new Map<string, Pod>();
  readonly #once = new SeenOnce();
  /** Pods seen pending without our label, by key, as last seen, until they are claimed or found not to be members. */
  readonly #candidates = new Map<string, Pod>();
  /**
   * Entries this process wrote, by pod uid, until the informer cache shows them: the cache lags behind our own
   * writes, and a hook must not look unfinished (and run again) in that gap. Only the leader writes records.
   */
  readonly #written = new Map<string, Map<string, HookEntry>>();
  #stopping = false;

  constructor(deps: ExecHookReconcilerDeps) {
    this.#deps = deps;
    this.#queue = new PQueue({ concurrency: deps.settings.concurrency });
  }

  /**
   * A pod was seen pending. Pods of restored workloads whose template we did not patch carry no label of ours, so
   * no informer keeps them once they leave Pending (often within milliseconds); remember the key so that the
   * reconcile reads it from the API if the cache has already dropped it.
   */
  podSeenPending(pod: Pod): void {
    if (pod.metadata.labels?.[RESTORE_LABEL] !== undefined) return;
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    if (this.#candidates.size >= MAX_REMEMBERED) this.#candidates.clear();
    this.#candidates.set(key, pod);
    this.#deps.enqueue(key);
  }

  /** A watched pod was deleted: keep its last state so that its remaining hooks are counted as failed. */
  podDeleted(pod: Pod): void {
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    if (this.#deleted.size >= MAX_REMEMBERED) this.#deleted.clear();
    this.#deleted.set(key, pod);
    this.#deps.enqueue(key);
  }

  /** Starts no more execs and resolves once those under way have finished and their outcomes are recorded. */
  async drain(): Promise<void> {
    this.#stopping = true;
    this.#queue.clear();
    await this.#queue.onIdle();
  }

  /** Exec hooks of this pod under way in this process. */
  #inFlightOf(uid: string): ReadonlySet<string> {
    return this.#inFlight.get(uid) ?? new Set();
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    if (namespace === undefined) return;
    let pod = this.#deps.getPod(namespace, name);
    const candidate = this.#candidates.get(key);
    this.#candidates.delete(key);
    if (!pod && candidate !== undefined && this.#execHooksPossible(candidate)) {
      const live = await this.#deps.cluster.getPod(namespace, name);
      if (live?.metadata.uid === candidate.metadata.uid) pod = live;
    }
    if (!pod) {
      const gone = this.#deleted.get(key);
      this.#deleted.delete(key);
      if (gone) {
        await this.#countDeleted(gone, ctx.logger);
        this.#written.delete(gone.metadata.uid ?? '');
      }
      return;
    }
    const membership = await this.#membership(pod);
    if (membership.kind === 'none') {
      ctx.logger.debug('no exec hooks to run here', { namespace, name, why: membership.why });
      return;
    }
    const { member } = membership;
    const logger = ctx.logger.child({ restore: member.restoreKey, namespace, name });
    if (membership.kind === 'velero') {
      if (this.#once.first(`${pod.metadata.uid ?? key}/velero-skip`)) {
        logger.debug(
          'Velero restored this pod and runs its exec hooks; left to Velero (exec.veleroRestoredPods: Skip)',
        );
        this.#deps.metrics?.hookSkipped({
          restore: member.restore.metadata.name ?? '',
          namespace,
          kind: member.kind,
          reason: 'velero-runs-exec-hooks',
        });
      }
      return;
    }
    if (membership.kind === 'claim') {
      const result = await this.#claim(pod, membership.labelValue, member, logger);
      // Lost a race with another write: try again, from the API if the pod has left the pending cache by then.
      if (result?.requeue) this.#candidates.set(key, pod);
      return result;
    }

    const parsed = parseExecRecord(pod.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
    if (!parsed.ok) {
      logger.warn('unreadable exec-hook record; no exec hooks run in this pod', { error: parsed.error });
      void this.#deps.events.record({
        regarding: podReference(pod.metadata),
        type: 'Warning',
        reason: 'HookFailed',
        action: 'Exec',
        note: `The annotation ${EXEC_HOOKS_ANNOTATION} of pod ${name} cannot be read (${parsed.error}), so its exec hooks are not run: restore-hooks never guesses whether a hook already ran. Fix or remove the annotation (removing it runs every hook again).`,
      });
      return;
    }
    if (parsed.record && parsed.record.restore !== member.restoreKey) return;
    const entries = this.#withOwnWrites(pod.metadata.uid ?? '', parsed.record?.hooks ?? {});
    const now = this.#deps.now();
    const step = execStep({
      pod: podFacts(pod),
      groups: member.plan.execHooksByContainer,
      entries,
      inFlight: this.#inFlightOf(pod.metadata.uid ?? ''),
      nowMs: now,
      defaultWaitTimeoutMs: this.#deps.settings.exec.defaultWaitTimeout,
    });
    logger.debug('exec step', {
      run: step.run.map((r) => r.hook.id),
      fail: step.fail.map((f) => `${f.hook.id}:${f.reason}`),
      waitUntil: step.waitUntilMs,
      done: step.done,
    });
    if (step.done) return;
    if (step.fail.length > 0) {
      const updates: Record<string, HookEntry> = {};
      for (const { hook, reason } of step.fail) updates[hook.id] = failedEntry(entries[hook.id], reason, now);
      const written = await this.#write(pod, member.restoreKey, updates);
      if (written === 'gone') return;
      for (const { hook } of step.fail) this.#reportFinal(pod, member, hook, updates[hook.id]!, logger);
      return;
    }
    if (!this.#stopping) {
      const retry = this.#retryPolicy(pod, logger);
      for (const { hook, attempt } of step.run) this.#submit(pod, member, hook, attempt, retry, logger);
    }
    if (step.waitUntilMs !== undefined) return { requeueAfterMs: Math.max(50, step.waitUntilMs - now + 50) };
  }

  #withOwnWrites(uid: string, cached: Readonly<Record<string, HookEntry>>): Record<string, HookEntry> {
    const own = this.#written.get(uid);
    if (!own) return { ...cached };
    for (const [id, entry] of own) if (JSON.stringify(cached[id]) === JSON.stringify(entry)) own.delete(id);
    if (own.size === 0) this.#written.delete(uid);
    return { ...cached, ...Object.fromEntries(own) };
  }

  #remember(uid: string, updates: Record<string, HookEntry>): void {
    let own = this.#written.get(uid);
    if (!own) this.#written.set(uid, (own = new Map()));
    for (const [id, entry] of Object.entries(updates)) own.set(id, entry);
  }

  #retryPolicy(pod: Pod, logger: Logger): RetryPolicy {
    const { retries } = this.#deps.settings.exec;
    const { attempts, problem } = retryAttempts(pod.metadata.annotations, retries.attempts);
    if (problem) {
      logger.warn('invalid exec-retries annotation', { problem });
      void this.#deps.events.record({
        regarding: podReference(pod.metadata),
        type: 'Warning',
        reason: 'InvalidHook',
        action: 'Validate',
        note: `${problem}. Fix the annotation on the pod template.`,
      });
    }
    return { attempts, backoffBaseMs: retries.backoffBase, backoffMaxMs: retries.backoffMax };
  }

  #submit(
    pod: Pod,
    member: Member,
    hook: ExecHook,
    attempt: number,
    retry: RetryPolicy,
    logger: Logger,
  ): void {
    const uid = pod.metadata.uid ?? '';
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    let running = this.#inFlight.get(uid);
    if (!running) this.#inFlight.set(uid, (running = new Set()));
    running.add(hook.id);
    // The engine resolves an unset execTimeout to Velero's 30s; exec.defaultExecTimeout takes its place.
    const timeoutMs =
      hook.execTimeoutMs === DEFAULT_EXEC_TIMEOUT_MS
        ? this.#deps.settings.exec.defaultExecTimeout
        : hook.execTimeoutMs;
    const job = async (): Promise<void> => {
      if (this.#stopping) return;
      logger.info('running exec hook', { hook: hook.id, container: hook.container, attempt });
      const started = this.#deps.now();
      const result = await this.#deps.exec({
        namespace,
        pod: name,
        container: hook.container,
        command: hook.command,
        timeoutMs,
      });
      const seconds = (this.#deps.now() - started) / 1000;
      this.#deps.metrics?.execAttemptFinished(
        result.kind === 'exited' ? (result.exitCode === 0 ? 'success' : 'failure') : result.kind,
        seconds,
      );
      const entry = entryAfterAttempt(attempt, result, this.#deps.now(), retry);
      const current = this.#deps.getPod(namespace, name) ?? pod;
      const written =
        current.metadata.uid === uid
          ? await this.#write(current, member.restoreKey, { [hook.id]: entry })
          : 'gone';
      if (written === 'gone') {
        // The pod is gone: the outcome can only be counted.
        const final =
          entry.result === 'Retrying' ? failedEntry(entry, 'PodDeleted', this.#deps.now()) : entry;
        this.#reportFinal(pod, member, hook, final, logger, false);
        return;
      }
      if (entry.result === 'Retrying')
        logger.info('exec hook failed; retrying after backoff', {
          hook: hook.id,
          attempt,
          reason: entry.reason,
          exitCode: entry.exitCode,
          nextAttemptAt: entry.nextAttemptAt,
        });
      else this.#reportFinal(pod, member, hook, entry, logger);
    };
    void this.#queue
      .add(job)
      .catch((error: unknown) =>
        logger.error('exec hook outcome not recorded; it runs again (at-least-once)', {
          hook: hook.id,
          error: describeApiError(error),
        }),
      )
      .finally(() => {
        running.delete(hook.id);
        if (running.size === 0) this.#inFlight.delete(uid);
        this.#deps.enqueue(`${namespace}/${name}`);
      });
  }

  /**
   * Merges `updates` into the pod's record with a merge patch of that one annotation, guarded by resourceVersion;
   * on a conflict the pod is read again and the merge redone. 'gone' when the pod no longer exists (or is another
   * pod of the same name).
   */
  async #write(
    pod: Pod,
    restoreKey: string,
    updates: Record<string, HookEntry>,
  ): Promise<'written' | 'gone'> {
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    const uid = pod.metadata.uid;
    let current: Pod | undefined = pod;
    for (let attempt = 1; ; attempt++) {
      const parsed = parseExecRecord(current.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
      if (!parsed.ok)
        throw new Error(
          `the exec-hook record of pod ${namespace}/${name} became unreadable: ${parsed.error}`,
        );
      const record: ExecRecord = {
        restore: restoreKey,
        hooks: { ...this.#withOwnWrites(uid ?? '', parsed.record?.hooks ?? {}), ...updates },
      };
      try {
        await this.#patchPodMetadata(current, {
          annotations: { [EXEC_HOOKS_ANNOTATION]: formatExecRecord(record) },
        });
        this.#remember(uid ?? '', updates);
        return 'written';
      } catch (error) {
        if (isNotFound(error)) return 'gone';
        if (attempt >= WRITE_ATTEMPTS) throw error;
        if (!isConflict(error)) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        current = await this.#deps.cluster.getPod(namespace, name);
        if (!current || current.metadata.uid !== uid) return 'gone';
      }
    }
  }

  /** A merge patch of the pod's labels and annotations, guarded by the resourceVersion it was read at. */
  async #patchPodMetadata(
    pod: Pod,
    metadata: { labels?: Record<string, string>; annotations: Record<string, string> },
  ): Promise<void> {
    await this.#deps.client.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${pod.metadata.namespace ?? ''}/pods/${pod.metadata.name ?? ''}`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: pod.metadata.resourceVersion, ...metadata } },
      query: { fieldManager: 'restore-hooks' },
    });
  }

  async #claim(
    pod: Pod,
    labelValue: string,
    member: Member,
    logger: Logger,
  ): Promise<ReconcileResult | void> {
    try {
      await this.#patchPodMetadata(pod, {
        labels: { [RESTORE_LABEL]: labelValue },
        annotations: { [EXEC_HOOKS_ANNOTATION]: formatExecRecord({ restore: member.restoreKey, hooks: {} }) },
      });
      logger.info('claimed a recreated pod of a restored workload for its exec hooks', {
        hooks: member.plan.execHooks.map((h) => h.id),
      });
    } catch (error) {
      if (isNotFound(error)) return;
      if (isConflict(error)) return { requeue: true };
      throw error;
    }
  }

  /**
   * Whether an exec hook could apply to a pod of no known restore, before anything is read to find its restore: its
   * own exec-hook annotation (the template's) during some active restore, or an active Restore declaring post hooks
   * in spec.hooks. A restore with init hooks only costs its pods no owner lookups.
   */
  #execHooksPossible(pod: Pod): boolean {
    const active = this.#deps.activeRestores();
    if (active.length === 0) return false;
    const annotations = pod.metadata.annotations ?? {};
    return active.some((r) => mayHaveExecHooks(this.#deps.restores.hooksOf(r), annotations));
  }

  async #membership(pod: Pod): Promise<Membership> {
    const labels = pod.metadata.labels ?? {};
    const veleroValue = labels[RESTORE_NAME_LABEL];
    const ourValue = labels[RESTORE_LABEL];
    let labelValue = veleroValue ?? ourValue;
    let claimed = false;
    let workload: Workload | undefined;
    if (labelValue === undefined) {
      if (!this.#execHooksPossible(pod)) return { kind: 'none', why: 'no active restore with exec hooks' };
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp)
        return { kind: 'none', why: 'pod ended' };
      workload = (await this.#deps.owners.restoredTopOwner(pod))?.workload;
      labelValue = workload?.metadata.labels?.[RESTORE_NAME_LABEL];
      if (!workload || labelValue === undefined) return { kind: 'none', why: 'no restored owner' };
      // Pods of the cleanup rollout no longer belong to the restore.
      if (workload.metadata.annotations?.[CLEANED_UP_ANNOTATION] !== undefined)
        return { kind: 'none', why: 'cleanup rollout' };
      claimed = true;
    }
    const lookup = this.#deps.restores.byLabelValue(labelValue);
    if (!lookup.found) return { kind: 'none', why: 'no such restore' };
    const { restore, hooks } = lookup;
    if (hasErrors(hooks.problems)) return { kind: 'none', why: 'invalid hooks' };
    // Planning costs more than everything else here; a restore with init hooks only needs none of it.
    if (!mayHaveExecHooks(hooks, pod.metadata.annotations ?? {}))
      return { kind: 'none', why: 'no exec hooks' };
    if (!restoreActivity(restore.status, this.#deps.now(), this.#deps.settings.hookWindowMs).active)
      return { kind: 'none', why: 'restore inactive' };
    if (!claimed && veleroValue === undefined) {
      // Only our mark, which anyone may copy into a template or put on a pod: the pod is the Restore's when the
      // workload at the top of its chain is (the pod webhook removes a mark it refuses; this holds without it).
      workload = (await this.#deps.owners.restoredTopOwner(pod))?.workload;
      if (workload?.metadata.labels?.[RESTORE_NAME_LABEL] !== ourValue)
        return { kind: 'none', why: 'no restored owner' };
    }
    const podVerdict = restoreMembership(pod.metadata, restore, hooks);
    if (podVerdict !== 'Member') return { kind: 'none', why: `pod: ${podVerdict}` };
    const workloadVerdict = workload ? restoreMembership(workload.metadata, restore, hooks) : 'Member';
    if (workloadVerdict !== 'Member') return { kind: 'none', why: `workload: ${workloadVerdict}` };
    const plan = planHooks(
      hooks,
      {
        namespace: pod.metadata.namespace ?? '',
        labels,
        annotations: pod.metadata.annotations ?? {},
        podSpec: pod.spec,
      },
      { policy: this.#deps.settings.policy },
    );
    if (plan.execHooks.length === 0) return { kind: 'none', why: 'no exec hooks' };
    const member: Member = {
      restore,
      restoreKey: restoreKey(restore),
      plan,
      kind: topKind(pod),
    };
    if (veleroValue !== undefined && this.#deps.settings.exec.veleroRestoredPods === 'Skip')
      return { kind: 'velero', member };
    return claimed ? { kind: 'claim', member, labelValue } : { kind: 'member', member };
  }

  /** Counts the hooks a deleted pod never finished; nothing can be written on it any more. */
  async #countDeleted(pod: Pod, logger: Logger): Promise<void> {
    if (
      pod.metadata.labels?.[RESTORE_LABEL] === undefined &&
      pod.metadata.labels?.[RESTORE_NAME_LABEL] === undefined
    )
      return;
    const membership = await this.#membership({
      ...pod,
      metadata: { ...pod.metadata, deletionTimestamp: undefined },
    });
    if (membership.kind !== 'member') return;
    const parsed = parseExecRecord(pod.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
    if (!parsed.ok) return;
    const running = this.#inFlightOf(pod.metadata.uid ?? '');
    const tried = Object.keys(parsed.record?.hooks ?? {}).length > 0 || running.size > 0;
    if (!tried && ownerRecreates(pod)) {
      logger.debug('deleted before anything started: the pod its owner creates next runs the exec hooks', {
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
      });
      return;
    }
    const now = this.#deps.now();
    for (const hook of membership.member.plan.execHooks) {
      const previous = parsed.record?.hooks[hook.id];
      if (isFinal(previous) || running.has(hook.id)) continue;
      this.#reportFinal(
        pod,
        membership.member,
        hook,
        failedEntry(previous, 'PodDeleted', now),
        logger,
        false,
      );
    }
  }

  /** Metrics, Events and logs for a hook's final outcome, once per pod and hook in this process. */
  #reportFinal(
    pod: Pod,
    member: Member,
    hook: ExecHook,
    entry: HookEntry,
    logger: Logger,
    podExists = true,
  ): void {
    if (!this.#once.first(`${pod.metadata.uid ?? ''}/${hook.id}/final`)) return;
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    const labels = {
      restore: member.restore.metadata.name ?? '',
      namespace,
      kind: member.kind,
      source: hook.origin.source,
    };
    this.#deps.metrics?.hookExecuted(labels);
    const failed = entry.result === 'Failed';
    if (failed) this.#deps.metrics?.hookFailed({ ...labels, type: 'exec' });
    const message = describeOutcome({ pod: name, hook, entry });
    if (failed)
      logger.warn('exec hook failed', { hook: hook.id, reason: entry.reason, exitCode: entry.exitCode });
    else logger.info('exec hook succeeded', { hook: hook.id, attempts: entry.attempts });
    if (podExists)
      void this.#deps.events.record({
        regarding: podReference(pod.metadata),
        related: restoreReference(member.restore.metadata),
        type: failed ? 'Warning' : 'Normal',
        reason: failed ? 'HookFailed' : 'HookExecuted',
        action: 'Exec',
        note: message,
      });
    if (failed)
      void this.#deps.events.record({
        regarding: restoreReference(member.restore.metadata),
        related: podReference(pod.metadata),
        type: 'Warning',
        reason: 'HookFailed',
        action: 'Exec',
        note: `In pod ${namespace}/${name}: ${message}`,
      });
    this.#deps.onOutcome?.(member.restoreKey);
  }
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
