import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../hooks/applied-record.ts';
import { INIT_CONTAINER_IMAGE } from '../../hooks/annotations.ts';
import { controllerOf } from '../../kube/owners.ts';
import { splitObjectKey as splitKey } from '../machinery/kube-object.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import { podReference } from '../events.ts';
import { SeenOnce } from '../seen-once.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import { RESTORE_LABEL } from '../marks.ts';
import { restoreKey } from '../restore-key.ts';
import { emitEffects } from './effects.ts';
import { barePodReplaced } from './init-hook-messages.ts';
import { ownHooksMayMissTemplate, planBarePod, planHooksNotInTemplate, planJobPod } from './pod-plan.ts';
import type { PodObservation, PodPlan } from './pod-plan.ts';
import { journalStep } from './replacement-journal.ts';
import type { JournalEntry } from './replacement-journal.ts';
import type { ReplacementJournalStore } from './replacement-journal-store.ts';
import type { InitHookDeps } from './init-hook-deps.ts';

export interface PodReconcilerDeps extends InitHookDeps {
  /** The pending pod from the informer cache. */
  readonly getPendingPod: (namespace: string, name: string) => Pod | undefined;
  readonly journal: ReplacementJournalStore;
}

const WAIT_FOR_TERMINATION_MS = 1000;

/**
 * Reconciles one pending pod. A pod with a workload owner is handed to that workload's reconcile; a bare pod
 * whose hooks are missing is replaced through the journal: record, delete (uid + resourceVersion
 * preconditions), create, forget. Journal entries left by a crash are driven to their end the same way.
 */
export class PodReconciler {
  readonly #deps: PodReconcilerDeps;
  /** Journal entries by `namespace/name`, loaded at start and kept by this process (the only writer). */
  readonly #journal = new Map<string, JournalEntry>();
  readonly #skips = new SeenOnce();

  constructor(deps: PodReconcilerDeps) {
    this.#deps = deps;
  }

  /** Loads the journal; returns the pod keys that have an unfinished replacement, to be enqueued. */
  async loadJournal(): Promise<string[]> {
    const entries = await this.#deps.journal.entries();
    for (const e of entries) this.#journal.set(`${e.namespace}/${e.name}`, e);
    return [...this.#journal.keys()];
  }

  /**
   * The order the work queue hands out pod keys in (lowest first): replacements under way before anything else
   * (their pod may already be deleted and waiting for its copy), then pending pods oldest first, the pod closest
   * to starting on its own (after a failover or during a backlog a new leader would otherwise walk its queue in
   * the informer's list order, namespace by namespace), then keys of pods no longer pending.
   */
  rank(key: string): number {
    if (this.#journal.has(key)) return -Infinity;
    const { namespace, name } = splitKey(key);
    const created = Date.parse(
      this.#deps.getPendingPod(namespace ?? '', name)?.metadata.creationTimestamp ?? '',
    );
    return Number.isNaN(created) ? Infinity : created;
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    if (namespace === undefined) return;
    const entry = this.#journal.get(key);
    if (entry) return this.#drive(entry, ctx);

    const pod = this.#deps.getPendingPod(namespace, name);
    if (!pod) return;
    const owner = controllerOf(pod.metadata);
    const logger = ctx.logger.child({ namespace, name });
    if (!owner) return this.#reconcileBarePod(key, pod, ctx, logger);
    if (owner.kind === 'Job') return this.#reportJobPod(pod, owner.name, owner.uid, logger);
    // The pod's event reaches its restored workloads' controller too (wiring/event-mapping.ts).
    const concerned = this.#deps.owners.restoredWorkloadsConcerned(pod);
    // Before it patches a template, the workload reconcile proves which pods are its own through their ReplicaSet:
    // read that now, off its path, while a template still awaits our hooks.
    // Templates marked at admission never get hooks: their pods get them from the pod webhook.
    if (
      concerned.some(
        ({ workload }) =>
          !workload.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION] &&
          workload.spec.template.metadata?.labels?.[RESTORE_LABEL] === undefined,
      )
    )
      this.#deps.owners.warm(pod);
    if (ownHooksMayMissTemplate(pod)) {
      const reached = await this.#deps.owners.restoredTopOwner(pod);
      if (reached) this.#apply(planHooksNotInTemplate({ ...this.#observe(pod), ...reached }), logger);
    }
  }

  /** What the pod plans read from the caches: the Restore the pod's label names, the time, the settings. */
  #observe(pod: Pod, labelled: Pod | Workload = pod): PodObservation {
    const labelValue = labelled.metadata.labels?.[RESTORE_NAME_LABEL];
    return {
      pod,
      lookup: labelValue ? this.#deps.restores.byLabelValue(labelValue) : undefined,
      nowMs: this.#deps.now(),
      settings: this.#deps.settings,
    };
  }

  /** Reports what the plan says; returns its requeue. */
  #apply(plan: PodPlan, logger: ReconcileContext['logger']): ReconcileResult | void {
    emitEffects(plan.effects, {
      events: this.#deps.events,
      metrics: this.#deps.metrics,
      seen: this.#skips,
      logger,
    });
    if (plan.requeueAfterMs !== undefined) return { requeueAfterMs: plan.requeueAfterMs };
  }

  /**
   * A bare pod whose hooks are missing is replaced through the journal. The cache holds only the fields the
   * controller reads; the replacement copies the whole pod, so it is built from the API's copy, planned again on it.
   * A pod gone or changed meanwhile comes back with its event.
   */
  async #reconcileBarePod(
    key: string,
    pod: Pod,
    ctx: ReconcileContext,
    podLogger: ReconcileContext['logger'],
  ): Promise<ReconcileResult | void> {
    const observation = this.#observe(pod);
    const lookup = observation.lookup;
    const logger = lookup?.found ? podLogger.child({ restore: restoreKey(lookup.restore) }) : podLogger;
    const plan = planBarePod(observation);
    const result = this.#apply(plan, logger);
    if (!plan.replace) return result;
    const { namespace = '', name = '' } = pod.metadata;
    const live = await this.#deps.api.getPod(namespace, name);
    if (!live || live.metadata.uid !== pod.metadata.uid) return;
    const replace = planBarePod({ ...observation, pod: live }).replace;
    if (!replace) return;
    const stored = await this.#deps.journal.put({
      namespace,
      name,
      replacedUID: live.metadata.uid ?? '',
      replacement: replace.replacement,
    });
    this.#journal.set(key, stored);
    logger.info('replacing bare pod to add init hooks', { hooks: replace.hooks });
    return this.#drive(stored, ctx, live);
  }

  /**
   * Takes a journal entry one step further. The step is decided from the pending-pod cache, which the pod's
   * update and deletion events keep current; every write it leads to is guarded by the API server (uid and
   * resourceVersion preconditions on the delete, the name's uniqueness on the create), and whenever a write
   * finds the cache wrong, the step is decided again from a live read.
   */
  async #drive(entry: JournalEntry, ctx: ReconcileContext, known?: Pod): Promise<ReconcileResult | void> {
    const { namespace, name } = entry;
    const logger = ctx.logger.child({ namespace, name });
    // A pod missing from the cache is gone or no longer Pending (it started): creating tells which.
    let current = known ?? this.#deps.getPendingPod(namespace, name);
    let step = journalStep(entry, current);
    if (step === 'create') {
      const created = await this.#deps.api.createPod(entry.replacement);
      if (created !== 'exists') return this.#replaced(entry, created, logger);
      current = await this.#deps.api.getPod(namespace, name);
      step = journalStep(entry, current);
      // Gone again already: the next attempt is the queue's to schedule.
      if (step === 'create') return { requeue: true };
    }
    switch (step) {
      case 'delete': {
        const result = await this.#deps.api.deletePod(namespace, name, {
          uid: entry.replacedUID,
          ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        });
        logger.debug('deleted pod being replaced', { result });
        // Whatever happened, the next step is decided from what the cluster shows next: the pod's update or
        // deletion event enqueues it at once; the delay is only a fallback. (A rate-limited requeue here went
        // through the queue's overall 10/s bucket and capped replacements at 10 pods per second.)
        return { requeueAfterMs: WAIT_FOR_TERMINATION_MS };
      }
      case 'wait':
        return { requeueAfterMs: WAIT_FOR_TERMINATION_MS };
      case 'done':
      case 'abandon':
        if (step === 'abandon') logger.warn('pod started before it could be replaced; left as it is');
        await this.#forget(entry);
        return;
    }
  }

  async #replaced(entry: JournalEntry, created: Pod, logger: ReconcileContext['logger']): Promise<void> {
    const { namespace, name } = entry;
    await this.#forget(entry);
    const restore = entry.replacement.metadata.labels?.[RESTORE_NAME_LABEL] ?? '';
    this.#deps.metrics?.podReplaced({ restore, namespace, kind: 'Pod' });
    // Annotation init hooks replace the spec's for a pod (Velero's precedence), so one source covers them all.
    const annotations = entry.replacement.metadata.annotations ?? {};
    const source = annotations[INIT_CONTAINER_IMAGE] ? 'annotation' : 'spec';
    const added = parseAppliedInitHooks(annotations[APPLIED_INIT_HOOKS_ANNOTATION])?.containers.length ?? 0;
    for (let i = 0; i < added; i++)
      this.#deps.metrics?.hookInjected({ restore, namespace, kind: 'Pod', source });
    logger.info('replaced bare pod with one that runs the init hooks');
    void this.#deps.events.record({
      regarding: podReference(created.metadata),
      type: 'Normal',
      reason: 'PodReplaced',
      action: 'ReplacePod',
      note: barePodReplaced(name),
    });
  }

  /** Job templates are immutable: a restored Job's pod whose hooks apply can only be reported. */
  async #reportJobPod(
    pod: Pod,
    jobName: string,
    jobUID: string,
    logger: ReconcileContext['logger'],
  ): Promise<void> {
    const job = await this.#deps.api.getJob(pod.metadata.namespace ?? '', jobName);
    if (!job || job.metadata.uid !== jobUID) return;
    const labelled = [pod, job].find((o) => o.metadata.labels?.[RESTORE_NAME_LABEL]) ?? pod;
    this.#apply(planJobPod({ ...this.#observe(pod, labelled), job }), logger);
  }

  async #forget(entry: JournalEntry): Promise<void> {
    await this.#deps.journal.remove(entry);
    this.#journal.delete(`${entry.namespace}/${entry.name}`);
  }
}
