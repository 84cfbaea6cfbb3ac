import {
  APPLIED_INIT_HOOKS_ANNOTATION,
  formatAppliedInitHooks,
  parseAppliedInitHooks,
} from '../../hooks/applied-record.ts';
import { INIT_COMMAND, INIT_CONTAINER_IMAGE, INIT_CONTAINER_NAME } from '../../hooks/annotations.ts';
import { addedHookContainers, planHooks } from '../../hooks/plan.ts';
import { hasErrors } from '../../hooks/problems.ts';
import { controllerOf } from '../../kube/owners.ts';
import { splitObjectKey as splitKey } from '../machinery/kube-object.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { Cluster } from '../cluster.ts';
import type { EventRecorder } from '../events.ts';
import { objectReference, podReference } from '../events.ts';
import type { HookMetrics, SkipReason } from '../../telemetry/metrics.ts';
import { SeenOnce } from '../seen-once.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import { RESTORE_LABEL } from '../marks.ts';
import type { OwnerChain } from '../owner-chain.ts';
import { isRestoreMember } from '../membership.ts';
import { hasRestoreWait, isStillPending } from '../pod-progress.ts';
import { restoreActivity } from '../restore-activity.ts';
import type { RestoreDirectory, RestoreObject } from '../restore-directory.ts';
import { restoreKey } from '../restore-key.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import { decidePod } from './pod-decision.ts';
import type { PodDecision } from './pod-decision.ts';
import { replacementPod } from './replacement.ts';
import { journalStep } from './replacement-journal.ts';
import type { JournalEntry } from './replacement-journal.ts';
import type { ReplacementJournalStore } from './replacement-journal-store.ts';
import { initHooksState } from './template-hooks.ts';
import type { InitHookSettings } from './workload-reconciler.ts';
import type { WorkloadKind } from '../workload-kinds.ts';

export interface PodReconcilerDeps {
  /** The pending pod from the informer cache. */
  readonly getPendingPod: (namespace: string, name: string) => Pod | undefined;
  readonly getWorkload: (kind: WorkloadKind, namespace: string, name: string) => Workload | undefined;
  /** Finds the restored workload at the top of a pod's controller chain. */
  readonly owners: OwnerChain;
  readonly restores: RestoreDirectory;
  readonly cluster: Cluster;
  readonly journal: ReplacementJournalStore;
  readonly events: EventRecorder;
  readonly settings: InitHookSettings;
  readonly now: () => number;
  readonly metrics?: HookMetrics;
  /** A pod of the restore (`namespace/name` of the Restore) will not run its init hooks: for the Restore's status. */
  readonly onSkippedPod?: (restore: string, pod: string) => void;
}

const SKIP_METRIC: Partial<Record<string, SkipReason>> = {
  RestoreWait: 'file-system-restore',
  AppContainersStarted: 'already-running',
  HookConflict: 'hook-conflict',
};

const WAIT_FOR_TERMINATION_MS = 1000;
const ADOPTION_RECHECK_MS = 2000;

/** Labels only workload controllers put on pods: a restored pod carrying one belongs to an owner yet to adopt it. */
const OWNED_POD_LABELS = [
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
];

export function awaitsAdoption(pod: Pod): boolean {
  return OWNED_POD_LABELS.some((label) => pod.metadata.labels?.[label] !== undefined);
}

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
    if (owner) {
      if (owner.kind === 'Job') return this.#reportJobPod(pod, owner.name, owner.uid);
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
      if (pod.metadata.annotations?.[INIT_CONTAINER_IMAGE]) {
        const reached = await this.#deps.owners.restoredTopOwner(pod);
        if (reached) this.#reportHooksNotInTemplate(pod, reached.kind, reached.workload);
      }
      return;
    }

    const labelValue = pod.metadata.labels?.[RESTORE_NAME_LABEL];
    if (!labelValue) return;
    if (awaitsAdoption(pod)) {
      // Velero strips ownerReferences; the restored owner adopts the pod. It is not a bare pod.
      ctx.logger.debug('restored pod awaits adoption by its owner', { namespace, name });
      return { requeueAfterMs: ADOPTION_RECHECK_MS };
    }
    const lookup = this.#deps.restores.byLabelValue(labelValue);
    if (!lookup.found) return;
    const { restore, hooks } = lookup;
    const restoreRef = restoreKey(restore);
    const logger = ctx.logger.child({ restore: restoreRef, namespace, name });
    const { decision } = this.#decideBarePod(pod, restore, hooks);
    logger.debug('pod decision', { decision });
    const metricLabels = { restore: restore.metadata.name ?? '', namespace, kind: 'Pod' };
    if (decision.action === 'none') {
      const skipReason = SKIP_METRIC[decision.reason];
      if (skipReason && this.#skips.first(`${pod.metadata.uid ?? key}/${decision.reason}`)) {
        this.#deps.metrics?.hookSkipped({ ...metricLabels, reason: skipReason });
      }
      if (decision.reason === 'RestoreWait' || decision.reason === 'AppContainersStarted')
        this.#deps.onSkippedPod?.(restoreRef, key);
      if (
        decision.reason === 'RestoreWait' ||
        decision.reason === 'AppContainersStarted' ||
        decision.reason === 'HookConflict'
      ) {
        void this.#deps.events.record({
          regarding: podReference(pod.metadata),
          type: 'Warning',
          reason: decision.reason === 'HookConflict' ? 'HookConflict' : 'HookSkipped',
          action: 'Skip',
          note:
            decision.reason === 'RestoreWait'
              ? `Pod ${name} will not get the init hooks of Restore ${restoreRef}: it has Velero's restore-wait init container (a file-system restore is in progress), so it is never replaced.`
              : decision.reason === 'AppContainersStarted'
                ? `Pod ${name} will not get the init hooks of Restore ${restoreRef}: its application containers already started.`
                : `Pod ${name} already has an init container with the name of a hook of Restore ${restoreRef} but different content; it is left as it is.`,
        });
      }
      return;
    }
    if (decision.action !== 'replace') return;

    // The cache holds only the fields the controller reads; the replacement copies the whole pod, so it is built
    // from the API's copy, planned and decided again on it. A pod gone or changed meanwhile comes back with its event.
    const live = await this.#deps.cluster.getPod(namespace, name);
    if (!live || live.metadata.uid !== pod.metadata.uid) return;
    const { decision: liveDecision, plan } = this.#decideBarePod(live, restore, hooks);
    if (liveDecision.action !== 'replace') return;
    const added = addedHookContainers(plan);
    const replacement = replacementPod(live, plan.initContainers, {
      labels: { [RESTORE_LABEL]: labelValue },
      annotations: {
        [APPLIED_INIT_HOOKS_ANNOTATION]: formatAppliedInitHooks({
          restore: restoreRef,
          restoreUID: restore.metadata.uid ?? '',
          containers: added,
        }),
      },
    });
    const stored = await this.#deps.journal.put({
      namespace,
      name,
      replacedUID: live.metadata.uid ?? '',
      replacement,
    });
    this.#journal.set(key, stored);
    logger.info('replacing bare pod to add init hooks', { hooks: added.map((c) => c.name) });
    return this.#drive(stored, ctx, live);
  }

  /** The plan and decision for a bare restored pod. */
  #decideBarePod(
    pod: Pod,
    restore: RestoreObject,
    hooks: RestoreHooks,
  ): { plan: HookPlan; decision: PodDecision } {
    const plan = planHooks(
      hooks,
      {
        namespace: pod.metadata.namespace ?? '',
        labels: pod.metadata.labels ?? {},
        annotations: pod.metadata.annotations ?? {},
        podSpec: pod.spec,
      },
      { policy: this.#deps.settings.policy },
    );
    const decision = decidePod({
      topOwnerKind: 'Pod',
      restoreActive: restoreActivity(restore.status, this.#deps.now(), this.#deps.settings.hookWindowMs)
        .active,
      createdDuringRestore: isRestoreMember(pod.metadata, restore, hooks),
      hooks: initHooksState(plan, hasErrors(hooks.problems)),
      stillPending: isStillPending(pod),
      restoreWait: hasRestoreWait(pod),
    });
    return { plan, decision };
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
      const created = await this.#deps.cluster.createPod(entry.replacement);
      if (created !== 'exists') return this.#replaced(entry, created, logger);
      current = await this.#deps.cluster.getPod(namespace, name);
      step = journalStep(entry, current);
      // Gone again already: the next attempt is the queue's to schedule.
      if (step === 'create') return { requeue: true };
    }
    switch (step) {
      case 'delete': {
        const result = await this.#deps.cluster.deletePod(namespace, name, {
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
      note: `Replaced pending pod ${name} with a copy that runs the restore's init hooks; everything else in its metadata and spec is unchanged.`,
    });
  }

  /** Job templates are immutable: a restored Job's pod whose hooks apply can only be reported. */
  async #reportJobPod(pod: Pod, jobName: string, jobUID: string): Promise<void> {
    const namespace = pod.metadata.namespace ?? '';
    const job = await this.#deps.cluster.getJob(namespace, jobName);
    if (!job || job.metadata.uid !== jobUID) return;
    const labelled = [pod, job].find((o) => o.metadata.labels?.[RESTORE_NAME_LABEL]);
    const labelValue = labelled?.metadata.labels?.[RESTORE_NAME_LABEL];
    if (!labelled || !labelValue) return;
    const lookup = this.#deps.restores.byLabelValue(labelValue);
    if (!lookup.found) return;
    const { restore, hooks } = lookup;
    if (!isRestoreMember(labelled.metadata, restore, hooks)) return;
    if (!restoreActivity(restore.status, this.#deps.now(), this.#deps.settings.hookWindowMs).active) return;
    const plan = planHooks(
      hooks,
      {
        namespace,
        labels: pod.metadata.labels ?? {},
        annotations: job.spec.template.metadata?.annotations ?? {},
        podSpec: pod.spec,
      },
      { policy: this.#deps.settings.policy },
    );
    if (initHooksState(plan, hasErrors(hooks.problems)) !== 'missing') return;
    const name = pod.metadata.name ?? '';
    this.#deps.onSkippedPod?.(restoreKey(restore), `${namespace}/${name}`);
    if (this.#skips.first(`${pod.metadata.uid ?? name}/JobTemplateImmutable`)) {
      this.#deps.metrics?.hookSkipped({
        restore: restore.metadata.name ?? '',
        namespace,
        kind: 'Job',
        reason: 'job-owned',
      });
    }
    void this.#deps.events.record({
      regarding: podReference(pod.metadata),
      related: { apiVersion: 'batch/v1', kind: 'Job', namespace, name: jobName, uid: jobUID },
      type: 'Warning',
      reason: 'HookSkipped',
      action: 'Skip',
      note: `Pod ${name} of Job ${jobName} will not run the init hooks of Restore ${restoreKey}: a Job's pod template is immutable. Add the init containers to the Job in the backup, or run the setup another way.`,
    });
  }

  async #forget(entry: JournalEntry): Promise<void> {
    await this.#deps.journal.remove(entry);
    this.#journal.delete(`${entry.namespace}/${entry.name}`);
  }

  /**
   * A restored pod's own init hook annotations never reach its owner's template (a user who can create pods must
   * not change a workload they cannot edit). When the template lacks them, the hook will not run: say so, once.
   */
  #reportHooksNotInTemplate(pod: Pod, kind: WorkloadKind, workload: Workload): void {
    const own = pod.metadata.annotations ?? {};
    if (!own[INIT_CONTAINER_IMAGE]) return;
    const inTemplate = workload.spec.template.metadata?.annotations ?? {};
    if ([INIT_CONTAINER_IMAGE, INIT_CONTAINER_NAME, INIT_COMMAND].every((k) => own[k] === inTemplate[k]))
      return;
    const labelValue = pod.metadata.labels?.[RESTORE_NAME_LABEL];
    if (!labelValue) return;
    const lookup = this.#deps.restores.byLabelValue(labelValue);
    if (!lookup.found) return;
    const { restore, hooks } = lookup;
    if (!isRestoreMember(pod.metadata, restore, hooks)) return;
    if (!restoreActivity(restore.status, this.#deps.now(), this.#deps.settings.hookWindowMs).active) return;
    const namespace = pod.metadata.namespace ?? '';
    const plan = planHooks(
      hooks,
      { namespace, labels: pod.metadata.labels ?? {}, annotations: own, podSpec: pod.spec },
      { policy: this.#deps.settings.policy },
    );
    const missing = plan.initHooks.filter((h) => h.origin.source === 'annotation' && h.state === 'insert');
    if (missing.length === 0) return;
    const name = pod.metadata.name ?? '';
    this.#deps.onSkippedPod?.(restoreKey(restore), `${namespace}/${name}`);
    if (this.#skips.first(`${pod.metadata.uid ?? name}/NotInTemplate`)) {
      this.#deps.metrics?.hookSkipped({
        restore: restore.metadata.name ?? '',
        namespace,
        kind,
        reason: 'not-in-template',
      });
    }
    const workloadName = workload.metadata.name ?? '';
    void this.#deps.events.record({
      regarding: podReference(pod.metadata),
      related: objectReference('apps/v1', kind, workload.metadata),
      type: 'Warning',
      reason: 'HookSkipped',
      action: 'Skip',
      note: `Pod ${name} will not run its annotation init hook ${missing.map((h) => h.container.name).join(', ')} of Restore ${restoreKey}: the annotations are on the pod only, not on the pod template of ${kind} ${workloadName}, and a pod's own annotations never change its workload. Put them on the template in the backup, or declare the hook in the Restore's spec.hooks.`,
    });
  }
}
