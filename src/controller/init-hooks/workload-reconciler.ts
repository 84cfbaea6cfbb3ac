import { labelSelectorString } from '../../kube/label-selector-string.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import { PAUSED_FOR_HOOKS_ANNOTATION, TEMPLATE_PATCH_REFUSED_ANNOTATION } from '../marks.ts';
import { restoreKey } from '../restore-key.ts';
import { podsFromPendingCache } from './cached-pods.ts';
import { OwnWrites, showsGeneration } from '../own-writes.ts';
import { SeenOnce } from '../seen-once.ts';
import type { MergePatch } from './template-patch.ts';
import { apiErrorCode, describeApiError, isConflict } from '../machinery/api-errors.ts';
import { retryOnConflict } from '../machinery/retry.ts';
import type { WorkloadKind } from '../workload-kinds.ts';
import { isWorkloadKind } from '../workload-kinds.ts';
import { emitEffects } from './effects.ts';
import type { InitHookDeps } from './init-hook-deps.ts';
import { liveReadsNeeded, onTemplatePath, planWorkload } from './workload-plan.ts';
import type {
  DeletePodStep,
  Effect,
  PatchStep,
  PlanEnd,
  WorkloadObservation,
  WorkloadPlan,
} from './workload-plan.ts';

const MAX_REFUSALS = 10_000;

export { changedThroughItsDeployment, SKIP_METRIC_REASONS } from './workload-plan.ts';
export type { InitHookSettings, WorkloadOutcome } from './workload-plan.ts';

export function workloadKey(kind: WorkloadKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function parseWorkloadKey(
  key: string,
): { kind: WorkloadKind; namespace: string; name: string } | undefined {
  const [kind, namespace, name, ...rest] = key.split('/');
  if (rest.length > 0 || !kind || !namespace || !name || !isWorkloadKind(kind)) return undefined;
  return { kind, namespace, name };
}

export interface WorkloadReconcilerDeps extends InitHookDeps {
  /** The pending pods of a namespace, from the pending-pod cache. */
  readonly pendingPodsIn: (namespace: string) => readonly Pod[];
}

type Logger = ReconcileContext['logger'];

/**
 * Reconciles one restored workload's pod template with the init hooks of its Restore, and the pending pods its
 * owner will not replace by itself: `#observe` reads (the cache, and live lists only when the plan needs them),
 * `planWorkload` decides (pure), `#apply` writes and reports. Level-triggered: every call starts from what it
 * observes, a second call on the same state changes nothing, and a step that waits for another controller ends the
 * reconcile (the object's next event, or the plan's requeue, brings the next step).
 */
export class WorkloadReconciler {
  readonly #deps: WorkloadReconcilerDeps;
  /** Skips counted and warnings logged by this process (the Event recorder dedupes the Events itself). */
  readonly #seen = new SeenOnce();
  /** When this process last deleted pending pods of a workload, by workload key, while it waits for their replacements. */
  readonly #replacing = new Map<string, number>();
  readonly #ownWrites = new OwnWrites(showsGeneration);
  /** Refusals this process recorded on workloads (the annotation's value), by workload key, until the cache shows them. */
  readonly #refusals = new Map<string, string>();

  constructor(deps: WorkloadReconcilerDeps) {
    this.#deps = deps;
  }

  /**
   * The order the work queue hands out workload keys in (lowest first): a workload on the template path (our pause,
   * or hooks of ours in its template) before the rest. Each of its steps waits for another controller and comes
   * back with that controller's write, while its pending pods may start without hooks: the next step must not wait
   * behind a backlog of settled workloads.
   */
  rank(key: string): number {
    const parsed = parseWorkloadKey(key);
    const workload = parsed && this.#deps.getWorkload(parsed.kind, parsed.namespace, parsed.name);
    return workload && onTemplatePath(workload) ? -1 : 0;
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const parsed = parseWorkloadKey(key);
    if (!parsed) {
      ctx.logger.error('dropping malformed workload key', { key });
      return;
    }
    const { kind, namespace, name } = parsed;
    const workload = this.#deps.getWorkload(kind, namespace, name);
    if (!workload) {
      this.#replacing.delete(key);
      return;
    }
    const observation = await this.#observe(key, kind, workload);
    const plan = planWorkload(observation);
    const lookup = observation.lookup;
    const logger = ctx.logger.child({
      ...(lookup?.found ? { restore: restoreKey(lookup.restore) } : {}),
      namespace,
      name,
    });
    return this.#apply(key, plan, logger);
  }

  /** Every read of one reconcile: the caches, then the live lists of pods and ReplicaSets the plan needs. */
  async #observe(key: string, kind: WorkloadKind, cachedWorkload: Workload): Promise<WorkloadObservation> {
    const cacheLags = this.#ownWrites.cacheLags(key, cachedWorkload.metadata);
    // Mid-way through the template path (our last write not in the cache yet, or our pause while the other
    // controllers catch up), or before the cache shows a refusal we recorded, the workload is read live: its next
    // step must not wait for a watch that lags (nor send the refused patch again).
    const live =
      cacheLags ||
      this.#refusalLags(key, cachedWorkload) ||
      cachedWorkload.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION] !== undefined
        ? await this.#deps.api.getWorkload(
            kind,
            cachedWorkload.metadata.namespace ?? '',
            cachedWorkload.metadata.name ?? '',
          )
        : undefined;
    const workload = live ?? cachedWorkload;
    const labelValue = workload.metadata.labels?.[RESTORE_NAME_LABEL];
    const { admission, ...settings } = this.#deps.settings;
    const cached: WorkloadObservation = {
      kind,
      workload,
      lookup: labelValue ? this.#deps.restores.byLabelValue(labelValue) : undefined,
      ownWriteLags: cacheLags && live === undefined,
      replicaSetsAwaitingAdoption:
        kind === 'Deployment'
          ? this.#deps.owners.replicaSetsAwaitingAdoption(workload).map((rs) => rs.metadata.name ?? '')
          : [],
      replacingSinceMs: this.#replacing.get(key),
      admissionServed: admission?.() ?? false,
      nowMs: this.#deps.now(),
      settings,
    };
    const needed = liveReadsNeeded(cached);
    if (!needed.pods) return cached;
    const pods = await this.#podsOf(kind, workload);
    if (!needed.replicaSets(pods)) return { ...cached, pods };
    return { ...cached, pods, replicaSets: await this.#replicaSetsOf(workload) };
  }

  /** Whether the cached workload does not show the refusal this process recorded on it yet. */
  #refusalLags(key: string, cached: Workload): boolean {
    const recorded = this.#refusals.get(key);
    if (recorded === undefined) return false;
    if (cached.metadata.annotations?.[TEMPLATE_PATCH_REFUSED_ANNOTATION] !== recorded) return true;
    this.#refusals.delete(key);
    return false;
  }

  /** Applies the plan's steps in order, then reports its outcome and returns its requeue. */
  async #apply(key: string, plan: WorkloadPlan, logger: Logger): Promise<ReconcileResult | void> {
    let invalidHooks: string | undefined;
    for (const step of plan.steps) {
      if (step.do === 'effects') this.#emit(step.effects, logger);
      else if (step.do === 'deletePod') await this.#deletePod(key, step, logger);
      else {
        const result = await this.#patch(key, step, logger);
        if (result === 'stop') return;
        if (typeof result === 'object') return this.#end(result);
        if (typeof result === 'string') invalidHooks = result;
      }
    }
    if (plan.forgetReplacing) this.#replacing.delete(key);
    const outcome = plan.outcome && invalidHooks ? { ...plan.outcome, invalidHooks } : plan.outcome;
    return this.#end({ ...plan, ...(outcome ? { outcome } : {}) });
  }

  #end(end: PlanEnd): ReconcileResult | void {
    if (end.requeueAfterMs !== undefined) return { requeueAfterMs: end.requeueAfterMs };
  }

  /**
   * One patch of the plan. Resolves 'stop' when nothing was written and the plan ends there, the plan's end when the
   * write ends it, the summary of a refused patch (422), or undefined to go on.
   */
  async #patch(key: string, step: PatchStep, logger: Logger): Promise<'stop' | PlanEnd | string | undefined> {
    const { namespace = '', name = '' } = step.target.metadata;
    let written: boolean;
    try {
      const ownWriteKey = step.ownWrite ? workloadKey(step.kind, namespace, name) : undefined;
      written = await this.#patchFresh(ownWriteKey, step.kind, step.target, step.build);
    } catch (error) {
      if (!step.ifRejected || apiErrorCode(error) !== 422) throw error;
      const rejected = step.ifRejected(describeApiError(error));
      // Recorded on the workload: no replica sends the refused patch again for this generation, and the Restore's
      // status reads why from there.
      const recorded = await this.#deps.api.patchWorkload(step.kind, namespace, name, rejected.record);
      if (this.#refusals.size >= MAX_REFUSALS) this.#refusals.clear();
      this.#refusals.set(key, recorded.metadata.annotations?.[TEMPLATE_PATCH_REFUSED_ANNOTATION] ?? '');
      this.#emit(rejected.effects, logger);
      return rejected.summary;
    }
    if (!written) return step.stopUnlessWritten ? 'stop' : undefined;
    this.#emit(step.ifWritten, logger);
    return step.endIfWritten;
  }

  /** Deletes a pending pod (uid + resourceVersion preconditions) so that its owner recreates it hooked. */
  async #deletePod(key: string, step: DeletePodStep, logger: Logger): Promise<void> {
    const result = await this.#deps.api.deletePod(step.namespace, step.name, {
      uid: step.uid,
      ...(step.resourceVersion ? { resourceVersion: step.resourceVersion } : {}),
    });
    logger.info('deleted pending pod so that its owner recreates it with the hooks', {
      pod: step.name,
      result,
    });
    if (result !== 'deleted') return;
    this.#replacing.set(key, this.#deps.now());
    this.#emit(step.ifDeleted, logger);
  }

  #emit(effects: readonly Effect[], logger: Logger): void {
    emitEffects(effects, {
      events: this.#deps.events,
      metrics: this.#deps.metrics,
      seen: this.#seen,
      logger,
    });
  }

  /**
   * Patches with a resourceVersion precondition, rebuilding the patch from a fresh read after each conflict
   * (workload status changes often, so the cached version is frequently stale). `build` returns undefined when the
   * fresh object no longer needs the change. Resolves false when nothing was written. A write under `ownWriteKey` is
   * remembered until the cache shows it (`OwnWrites`).
   */
  async #patchFresh(
    ownWriteKey: string | undefined,
    kind: WorkloadKind,
    cached: Workload,
    build: (current: Workload) => MergePatch | undefined,
  ): Promise<boolean> {
    const namespace = cached.metadata.namespace ?? '';
    const name = cached.metadata.name ?? '';
    let current: Workload | undefined = cached;
    return retryOnConflict(async () => {
      if (current === undefined) return false;
      const patch = build(current);
      if (!patch) return false;
      try {
        const written = await this.#deps.api.patchWorkload(kind, namespace, name, patch);
        if (ownWriteKey !== undefined) this.#ownWrites.record(ownWriteKey, written.metadata);
        return true;
      } catch (error) {
        if (isConflict(error)) current = await this.#deps.api.getWorkload(kind, namespace, name);
        throw error;
      }
    });
  }

  /** The workload's pods: those matching its selector whose controller chain leads to it, or that await adoption. */
  async #podsOf(kind: WorkloadKind, workload: Workload): Promise<Pod[]> {
    const namespace = workload.metadata.namespace ?? '';
    const cached = podsFromPendingCache(kind, workload, this.#deps.pendingPodsIn(namespace), (pod) =>
      this.#deps.owners.knownTopOwner(pod),
    );
    if (cached) return cached;
    const candidates = await this.#deps.api.listPods(namespace, labelSelectorString(workload.spec.selector));
    const uid = workload.metadata.uid;
    const pods: Pod[] = [];
    for (const pod of candidates) {
      const owner = controllerOf(pod.metadata);
      if (!owner) {
        // Restored pods have no owner until adopted; one the selector matches will be this workload's.
        pods.push(pod);
        continue;
      }
      if (kind !== 'Deployment') {
        if (owner.uid === uid) pods.push(pod);
        continue;
      }
      if (owner.kind !== 'ReplicaSet') continue;
      const top = await this.#deps.owners.topOwner(pod);
      if (top?.kind === 'Deployment' && top.uid === uid) pods.push(pod);
    }
    return pods;
  }

  /** The ReplicaSets a Deployment controls, read from the API (most carry no label an informer could select). */
  async #replicaSetsOf(deployment: Workload): Promise<Workload[]> {
    const all = await this.#deps.api.listReplicaSets(
      deployment.metadata.namespace ?? '',
      labelSelectorString(deployment.spec.selector),
    );
    return all.filter((rs) => controllerOf(rs.metadata)?.uid === deployment.metadata.uid);
  }
}
