import PQueue from 'p-queue';
import { labelSelectorString } from '../../kube/label-selector-string.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { HookMetrics } from '../../telemetry/metrics.ts';
import type { RestoredObjectsApi } from '../restored-objects-api.ts';
import type { EventRecorder } from '../events.ts';
import type { Effect, EffectSinks } from '../init-hooks/effects.ts';
import { emitEffects } from '../init-hooks/effects.ts';
import { podsFromPendingCache } from '../init-hooks/cached-pods.ts';
import { parseWorkloadKey } from '../init-hooks/workload-reconciler.ts';
import { describeApiError, isConflict, isNotFound } from '../machinery/api-errors.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import { splitObjectKey } from '../machinery/kube-object.ts';
import type { Logger } from '../machinery/logger.ts';
import { retryOnConflict } from '../machinery/retry.ts';
import { EXEC_HOOKS_ANNOTATION, RESTORE_LABEL } from '../marks.ts';
import { OwnWrites } from '../own-writes.ts';
import type { OwnerChain } from '../owner-chain.ts';
import type { RestoreDirectory, RestoreObject } from '../restore-directory.ts';
import { SeenOnce } from '../seen-once.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import type {
  ExecCommand,
  ExecObservation,
  ExecPlanSettings,
  ExecPodPlan,
  RecordWrite,
} from './exec-plan.ts';
import {
  execCandidates,
  execGate,
  execHooksPossible,
  execSweepWanted,
  planExecPod,
  recordWith,
  showsEntries,
} from './exec-plan.ts';
import type { HookEntry } from './exec-record.ts';
import { entryAfterAttempt, formatExecRecord, parseExecRecord } from './exec-record.ts';
import type { ExecFunc } from './exec-runner.ts';

export interface ExecHookSettings extends ExecPlanSettings {
  /** Exec hooks running at once, across all pods. */
  readonly concurrency: number;
}

export interface ExecHookReconcilerDeps {
  /** A pod from the informer caches (labelled, Velero-restored, pending). */
  readonly getPod: (namespace: string, name: string) => Pod | undefined;
  readonly getWorkload: (kind: WorkloadKind, namespace: string, name: string) => Workload | undefined;
  /** The pending pods of a namespace, from the pending-pod cache. */
  readonly pendingPodsIn: (namespace: string) => readonly Pod[];
  /** Finds the restored workload at the top of a pod's controller chain. */
  readonly owners: OwnerChain;
  readonly restores: RestoreDirectory;
  /** The Restores within their hook window: a pending pod is worth an owner lookup only if one can give it exec hooks. */
  readonly activeRestores: () => readonly RestoreObject[];
  readonly api: RestoredObjectsApi;
  readonly events: EventRecorder;
  readonly exec: ExecFunc;
  /** Re-enqueues a key on the exec controller. */
  readonly enqueue: (key: string) => void;
  readonly settings: ExecHookSettings;
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics?: HookMetrics;
}

/** The record entries of our last write to a pod, by uid. */
interface RecordWritten {
  readonly uid: string;
  readonly hooks: Readonly<Record<string, HookEntry>>;
}

/** Attempts that ended in this process and are not recorded yet, for one pod key. */
interface Finished {
  readonly uid: string;
  /** The pod as the attempts were started on (what is counted if it is gone). */
  readonly pod: Pod;
  readonly entries: Record<string, HookEntry>;
}

/** The pod a key names now, or the last state of the pod it named (`gone`). */
interface FoundPod {
  readonly pod: Pod;
  readonly gone: boolean;
  /** Another pod took the name: the key is reconciled again for it. */
  readonly again?: boolean;
}

const MAX_REMEMBERED = 10_000;

/** A deleted pod as it was before its deletion began: whose it was is decided as for a live pod. */
const lastState = (pod: Pod): Pod => ({
  ...pod,
  metadata: { ...pod.metadata, deletionTimestamp: undefined },
});

/**
 * Runs the exec hooks of restored pods (the `exec` controller, keyed by pod `namespace/name`, and by workload
 * `Kind/namespace/name` for the pods a restored workload may have that no cache holds). Level-triggered:
 * `#observe` reads the pod (cache, else live), its record, our own writes the cache does not show yet, the attempts
 * that ended and the owner when needed; `planExecPod` decides (pure); `#apply` writes the record (the only writer of
 * `restore-hooks.dev/exec-hooks`), reports, and submits the commands to a global queue limited by
 * `concurrency.execHooks`. A reconcile never waits for a command: when one ends, its outcome is kept and the pod
 * enqueued again, and the next reconcile records it.
 */
export class ExecHookReconciler {
  readonly #deps: ExecHookReconcilerDeps;
  readonly #queue: PQueue;
  /** Hook ids with an exec under way, by pod uid. */
  readonly #inFlight = new Map<string, Set<string>>();
  /** Attempts that ended and are not recorded yet, by pod key. */
  readonly #finished = new Map<string, Finished>();
  /** The last state of watched pods that were deleted, until their remaining hooks are counted. */
  readonly #deleted = new Map<string, Pod>();
  /** Pods seen pending without our label, by key, as last seen, until they are claimed or found not to be members. */
  readonly #candidates = new Map<string, Pod>();
  /**
   * The cache lags behind our own record writes, and a hook must not look unfinished (and run again) in that gap.
   * Only the leader writes records.
   */
  readonly #ownWrites = new OwnWrites<RecordWritten>(
    (cached, written) => cached.uid !== written.uid || showsEntries(cached.hooks, written.hooks),
  );
  /** Where the plans' Events and metrics go; what is reported once is remembered there. */
  readonly #sinks: Omit<EffectSinks, 'logger'>;
  readonly #swept = new SeenOnce();
  #stopping = false;

  constructor(deps: ExecHookReconcilerDeps) {
    this.#deps = deps;
    this.#sinks = { events: deps.events, metrics: deps.metrics, seen: new SeenOnce() };
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

  /**
   * Starts no more execs and resolves once those under way have finished and their outcomes are recorded (the
   * controller has stopped: the outcomes' reconciles run here).
   */
  async drain(): Promise<void> {
    this.#stopping = true;
    this.#queue.clear();
    await this.#queue.onIdle();
    for (const key of [...this.#finished.keys()]) {
      const logger = this.#deps.logger.child({ key });
      const ctx = { reconcileID: 'drain', logger, signal: new AbortController().signal };
      await this.reconcile(key, ctx).catch((error: unknown) =>
        logger.error('exec hook outcome not recorded; it runs again (at-least-once)', {
          error: describeApiError(error),
        }),
      );
    }
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const workload = parseWorkloadKey(key);
    if (workload) return this.#sweep(workload.kind, workload.namespace, workload.name);
    const found = await this.#findPod(key);
    if (!found) return;
    const observation = await this.#observe(key, found);
    const result = await this.#apply(key, observation, planExecPod(observation), ctx.logger);
    if (found.again) this.#deps.enqueue(key);
    return result;
  }

  /** The pod the key names: the cache, else the API for a pod seen pending or with attempts to record, else gone. */
  async #findPod(key: string): Promise<FoundPod | undefined> {
    const { namespace, name } = splitObjectKey(key);
    if (namespace === undefined) return undefined;
    const cached = this.#deps.getPod(namespace, name);
    const candidate = this.#candidates.get(key);
    this.#candidates.delete(key);
    const finished = this.#finished.get(key);
    if (cached && finished && finished.uid !== cached.metadata.uid)
      return { pod: lastState(finished.pod), gone: true, again: true };
    if (cached) return { pod: cached, gone: false };
    const wanted =
      finished?.uid ?? (candidate && this.#execHooksPossible(candidate) ? candidate.metadata.uid : undefined);
    if (wanted !== undefined) {
      const live = await this.#deps.api.getPod(namespace, name);
      if (live && live.metadata.uid === wanted) return { pod: live, gone: false };
    }
    const last = this.#deleted.get(key) ?? finished?.pod;
    if (!last) return undefined;
    return { pod: lastState(last), gone: true };
  }

  #execHooksPossible(pod: Pod): boolean {
    return execHooksPossible(pod, this.#activeHooks());
  }

  #activeHooks() {
    return this.#deps.activeRestores().map((r) => this.#deps.restores.hooksOf(r));
  }

  /** Every read of one pod's reconcile: the caches and this process's state, then its owner if the gate needs it. */
  async #observe(key: string, { pod, gone }: FoundPod): Promise<ExecObservation> {
    const uid = pod.metadata.uid ?? '';
    const finished = this.#finished.get(key);
    const cached = parseExecRecord(pod.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
    const ownWrite = this.#ownWrites.pending(uid, {
      uid,
      hooks: (cached.ok ? cached.record?.hooks : undefined) ?? {},
    });
    const observation: ExecObservation = {
      pod,
      gone,
      owner: { read: false },
      restoreOf: (labelValue) => this.#deps.restores.byLabelValue(labelValue),
      activeHooks: this.#activeHooks(),
      ...(ownWrite ? { ownWrite: ownWrite.hooks } : {}),
      finished: finished?.uid === uid ? { ...finished.entries } : {},
      inFlight: new Set(this.#inFlight.get(uid)),
      stopping: this.#stopping,
      nowMs: this.#deps.now(),
      settings: this.#deps.settings,
    };
    if (!('needs' in execGate(observation))) return observation;
    const owner = await this.#deps.owners.restoredTopOwner(pod);
    return { ...observation, owner: { read: true, workload: owner?.workload } };
  }

  /** Writes what the plan says, then reports it, then starts its commands; returns its requeue. */
  async #apply(
    key: string,
    obs: ExecObservation,
    plan: ExecPodPlan,
    ctxLogger: Logger,
  ): Promise<ReconcileResult | void> {
    const { pod } = obs;
    const { namespace, name } = pod.metadata;
    const logger = plan.restore ? ctxLogger.child({ restore: plan.restore, namespace, name }) : ctxLogger;
    this.#emit(plan.effects, logger);
    if (plan.write) {
      const written = await this.#write(pod, plan.write);
      // A claim lost a race with another write: try again, from the API if the pod has left the pending cache.
      if (written === 'conflict') {
        this.#candidates.set(key, pod);
        return { requeue: true };
      }
      // The pod is gone: its deletion (or the next look) counts what was not recorded.
      if (written === 'gone') return Object.keys(obs.finished).length > 0 ? { requeue: true } : undefined;
      if ('updates' in plan.write) this.#recorded(key, plan.write.updates);
    }
    this.#emit(plan.ifWritten, logger);
    if (obs.gone) this.#forgetGone(key, pod);
    for (const command of plan.run) this.#submit(key, pod, command, logger);
    if (plan.requeueAfterMs !== undefined) return { requeueAfterMs: plan.requeueAfterMs };
  }

  #emit(effects: readonly Effect[], logger: Logger): void {
    emitEffects(effects, { ...this.#sinks, logger });
  }

  /** The attempts just written need no more keeping. */
  #recorded(key: string, updates: Readonly<Record<string, HookEntry>>): void {
    const finished = this.#finished.get(key);
    if (!finished) return;
    for (const [id, entry] of Object.entries(updates))
      if (finished.entries[id] === entry) delete finished.entries[id];
    if (Object.keys(finished.entries).length === 0) this.#finished.delete(key);
  }

  /** A deleted pod's hooks are counted: keep its last state only while an attempt on it is still under way. */
  #forgetGone(key: string, pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (this.#finished.get(key)?.uid === uid) this.#finished.delete(key);
    if (this.#inFlight.has(uid)) return;
    if (this.#deleted.get(key)?.metadata.uid === uid) this.#deleted.delete(key);
    this.#ownWrites.forget(uid);
  }

  /**
   * The record write: a claim (our mark and an empty record, one patch; 'conflict' when the pod changed since), or
   * entries merged into the record, guarded by resourceVersion and rebuilt from a fresh read after a conflict.
   * 'gone' when the pod no longer exists (or is another pod of the same name).
   */
  async #write(pod: Pod, write: RecordWrite): Promise<'written' | 'gone' | 'conflict'> {
    if ('claim' in write) {
      try {
        await this.#deps.api.patchPodMetadata(pod, {
          labels: { [RESTORE_LABEL]: write.claim },
          annotations: { [EXEC_HOOKS_ANNOTATION]: formatExecRecord({ restore: write.restore, hooks: {} }) },
        });
        return 'written';
      } catch (error) {
        if (isNotFound(error)) return 'gone';
        if (isConflict(error)) return 'conflict';
        throw error;
      }
    }
    const { namespace = '', name = '', uid = '' } = pod.metadata;
    let current: Pod | undefined = pod;
    return retryOnConflict(async () => {
      if (current?.metadata.uid !== uid) return 'gone';
      const record = recordWith(current, write.restore, write.updates);
      try {
        await this.#deps.api.patchPodMetadata(current, {
          annotations: { [EXEC_HOOKS_ANNOTATION]: formatExecRecord(record) },
        });
      } catch (error) {
        if (isNotFound(error)) return 'gone';
        if (isConflict(error)) current = await this.#deps.api.getPod(namespace, name);
        throw error;
      }
      this.#ownWrites.record(uid, { uid, hooks: record.hooks });
      return 'written';
    });
  }

  /**
   * Starts one command on the global queue. Its outcome is kept (`#finished`) and the pod enqueued: the reconcile
   * records it, never the command's job.
   */
  #submit(key: string, pod: Pod, command: ExecCommand, logger: Logger): void {
    const { hook, attempt, timeoutMs, retry } = command;
    const uid = pod.metadata.uid ?? '';
    let running = this.#inFlight.get(uid);
    if (!running) this.#inFlight.set(uid, (running = new Set()));
    running.add(hook.id);
    const job = async (): Promise<void> => {
      if (this.#stopping) return;
      logger.info('running exec hook', { hook: hook.id, container: hook.container, attempt });
      const started = this.#deps.now();
      const result = await this.#deps.exec({
        namespace: pod.metadata.namespace ?? '',
        pod: pod.metadata.name ?? '',
        container: hook.container,
        command: hook.command,
        timeoutMs,
      });
      this.#deps.metrics?.execAttemptFinished(
        result.kind === 'exited' ? (result.exitCode === 0 ? 'success' : 'failure') : result.kind,
        (this.#deps.now() - started) / 1000,
      );
      this.#finish(key, pod, hook.id, entryAfterAttempt(attempt, result, this.#deps.now(), retry));
    };
    void this.#queue
      .add(job)
      .catch((error: unknown) =>
        logger.error('exec hook attempt did not end; it runs again (at-least-once)', {
          hook: hook.id,
          error: describeApiError(error),
        }),
      )
      .finally(() => {
        running.delete(hook.id);
        if (running.size === 0) this.#inFlight.delete(uid);
        this.#deps.enqueue(key);
      });
  }

  #finish(key: string, pod: Pod, id: string, entry: HookEntry): void {
    const uid = pod.metadata.uid ?? '';
    let finished = this.#finished.get(key);
    if (finished?.uid !== uid) {
      if (this.#finished.size >= MAX_REMEMBERED) this.#finished.clear();
      this.#finished.set(key, (finished = { uid, pod, entries: {} }));
    }
    finished.entries[id] = entry;
  }

  /**
   * The pods of a restored workload that left Pending before this controller saw them (its informers were syncing,
   * the leader changed, the Restore was invalid meanwhile) are in no cache of ours: once per workload, Restore and
   * process, the workload's pods (from the pending-pod cache when it proves it holds them all, else one list by its
   * label selector) created during the restore without an exec record, whatever their phase, are claimed like any
   * pending pod.
   */
  async #sweep(kind: WorkloadKind, namespace: string, name: string): Promise<void> {
    const workload = this.#deps.getWorkload(kind, namespace, name);
    const labelValue = workload?.metadata.labels?.[RESTORE_NAME_LABEL];
    if (!workload || labelValue === undefined) return;
    const lookup = this.#deps.restores.byLabelValue(labelValue);
    if (!execSweepWanted(kind, workload, lookup, this.#deps.now(), this.#deps.settings.hookWindowMs)) return;
    // Not per generation: without a status subresource every status write bumps the Restore's generation.
    const sweep = `${lookup.restore.metadata.uid ?? ''}/${workload.metadata.uid ?? ''}`;
    if (!this.#swept.first(sweep)) return;
    let pods: readonly Pod[];
    try {
      pods =
        podsFromPendingCache(kind, workload, this.#deps.pendingPodsIn(namespace), (pod) =>
          this.#deps.owners.knownTopOwner(pod),
        ) ?? (await this.#deps.api.listPods(namespace, labelSelectorString(workload.spec.selector)));
    } catch (error) {
      // The queue tries again, with backoff.
      this.#swept.forget(sweep);
      throw error;
    }
    for (const pod of execCandidates(pods, lookup.restore)) this.podSeenPending(pod);
  }
}
