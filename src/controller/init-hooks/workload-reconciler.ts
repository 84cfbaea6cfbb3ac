import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../hooks/applied-record.ts';
import { planHooks } from '../../hooks/plan.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { hasErrors } from '../../hooks/problems.ts';
import type { RestoreHooks } from '../../hooks/validate.ts';
import { labelSelectorString } from '../../kube/label-selector-string.ts';
import { controllerOf } from '../../kube/owners.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { Cluster } from '../cluster.ts';
import type { OwnerChain } from '../owner-chain.ts';
import type { EventRecorder } from '../events.ts';
import { objectReference, podReference, restoreReference } from '../events.ts';
import type { HookMetrics, SkipReason } from '../../telemetry/metrics.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import { CLEANED_UP_ANNOTATION } from '../marks.ts';
import { createdDuringRestore } from '../membership.ts';
import { msUntilWindowCloses, restoreActivity, restoreFinished } from '../restore-activity.ts';
import type { RestoreDirectory, RestoreObject } from '../restore-directory.ts';
import { podFacts } from './pod-facts.ts';
import { OwnWrites } from '../own-writes.ts';
import { SeenOnce } from '../seen-once.ts';
import { initHooksState } from './template-hooks.ts';
import { cleanupPatch, injectionPatch } from './template-patch.ts';
import type { MergePatch } from './template-patch.ts';
import { isConflict } from '../machinery/api-errors.ts';
import { retryOnConflict } from '../machinery/retry.ts';
import type { RestoreIdentity } from './template-patch.ts';
import { decideWorkload, podsAffectDecision } from './workload-decision.ts';
import type { PodSkipReason, WorkloadDecision, WorkloadFacts, WorkloadKind } from './workload-decision.ts';

const POD_TEMPLATE_HASH = 'pod-template-hash';
/** A pod leaving Pending drops out of the pod informer, so a wait for a file-system restore is polled. */
const FILE_SYSTEM_RESTORE_RECHECK_MS = 5000;
const OWN_WRITE_RECHECK_MS = 1000;

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
];

export function workloadKey(kind: WorkloadKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function parseWorkloadKey(
  key: string,
): { kind: WorkloadKind; namespace: string; name: string } | undefined {
  const [kind, namespace, name, ...rest] = key.split('/');
  if (rest.length > 0 || !kind || !namespace || !name || !WORKLOAD_KINDS.includes(kind as WorkloadKind))
    return undefined;
  return { kind: kind as WorkloadKind, namespace, name };
}

export interface InitHookSettings {
  readonly hookWindowMs: number;
  readonly cleanupPolicy: 'RemoveAfterRestore' | 'Retain';
  readonly policy: HookPolicy;
  /** How often a finished restore's hooked workloads are re-checked for cleanup. */
  readonly cleanupPollMs: number;
}

/** What one workload reconcile concluded, for the Restore's status and conditions. */
/** A ReplicaSet of a Deployment (adopted, or restored and about to be) is changed only through its Deployment. */
export function changedThroughItsDeployment(kind: WorkloadKind, workload: Workload): boolean {
  return (
    kind === 'ReplicaSet' &&
    (controllerOf(workload.metadata) !== undefined ||
      workload.metadata.labels?.[POD_TEMPLATE_HASH] !== undefined)
  );
}

export interface WorkloadOutcome {
  readonly restore: string;
  readonly workload: string;
  readonly decision: WorkloadDecision['reason'];
  /** `namespace/name` of the pods that will not run their init hooks. */
  readonly skippedPods: readonly string[];
}

export interface WorkloadReconcilerDeps {
  readonly getWorkload: (kind: WorkloadKind, namespace: string, name: string) => Workload | undefined;
  /** Finds the Deployment of a pod's ReplicaSet (shared with the pod and exec reconcilers). */
  readonly owners: OwnerChain;
  readonly restores: RestoreDirectory;
  readonly cluster: Cluster;
  readonly events: EventRecorder;
  readonly settings: InitHookSettings;
  readonly now: () => number;
  readonly onOutcome?: (outcome: WorkloadOutcome) => void;
  readonly metrics?: HookMetrics;
}

/** Skip reasons of the decision, as the restore_hooks_hooks_skipped_total reason label spells them. */
export const SKIP_METRIC_REASONS: Readonly<Record<PodSkipReason, SkipReason>> = {
  AppContainersStarted: 'already-running',
  RestoreWait: 'file-system-restore',
  BelowPartition: 'below-partition',
  RolloutWouldLoseRestoredData: 'would-lose-restored-data',
};

function restoreIdentity(restore: RestoreObject, labelValue: string): RestoreIdentity {
  return {
    key: `${restore.metadata.namespace}/${restore.metadata.name}`,
    uid: restore.metadata.uid ?? '',
    labelValue,
  };
}

function templatePlan(workload: Workload, hooks: RestoreHooks, policy: HookPolicy): HookPlan {
  return planHooks(
    hooks,
    {
      namespace: workload.metadata.namespace ?? '',
      labels: workload.spec.template.metadata?.labels ?? {},
      annotations: workload.spec.template.metadata?.annotations ?? {},
      podSpec: workload.spec.template.spec,
      specPath: 'spec.template.spec',
      metadataPath: 'spec.template.metadata',
    },
    { policy },
  );
}

function updateStrategy(kind: WorkloadKind, workload: Workload): WorkloadFacts['updateStrategy'] {
  const spec = workload.spec as Record<string, { type?: string } | undefined>;
  const type = kind === 'Deployment' ? spec.strategy?.type : spec.updateStrategy?.type;
  return type === 'OnDelete' || type === 'Recreate' ? type : 'RollingUpdate';
}

const SKIP_NOTES: Record<PodSkipReason, string> = {
  AppContainersStarted:
    'its application containers already started, so init containers can no longer be added',
  RestoreWait:
    "it has Velero's restore-wait init container (a file-system restore is in progress), so it is never deleted",
  BelowPartition: 'its ordinal is below the StatefulSet rollout partition, so it stays at the old template',
  RolloutWouldLoseRestoredData:
    "the rollout that would bring the hooks would also replace a pod holding data Velero's file-system restore put into an emptyDir volume, which lives only in that pod; run the setup by hand, or move the data to a PersistentVolumeClaim",
};

/**
 * Reconciles one restored workload's pod template with the init hooks of its Restore, and the pending pods its
 * owner will not replace by itself. Level-triggered: every call starts from the cached workload and the live
 * pod list, and a second call on the same state changes nothing.
 */
export class WorkloadReconciler {
  readonly #deps: WorkloadReconcilerDeps;
  readonly #skips = new SeenOnce();
  readonly #ownWrites = new OwnWrites();

  constructor(deps: WorkloadReconcilerDeps) {
    this.#deps = deps;
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const parsed = parseWorkloadKey(key);
    if (!parsed) {
      ctx.logger.error('dropping malformed workload key', { key });
      return;
    }
    const { kind, namespace, name } = parsed;
    const workload = this.#deps.getWorkload(kind, namespace, name);
    if (!workload) return;
    const labelValue = workload.metadata.labels?.[RESTORE_NAME_LABEL];
    if (!labelValue) return;
    if (changedThroughItsDeployment(kind, workload)) return;
    const lookup = this.#deps.restores.byLabelValue(labelValue);
    if (!lookup.found) {
      if (lookup.reason === 'Ambiguous') {
        ctx.logger.warn('restore label matches Restores in several Velero namespaces; no hooks applied', {
          namespace,
          name,
          restore: labelValue,
        });
      }
      return;
    }
    const { restore, hooks } = lookup;
    const logger = ctx.logger.child({
      restore: `${restore.metadata.namespace}/${restore.metadata.name}`,
      namespace,
      name,
    });
    if (!createdDuringRestore(workload.metadata, restore.status?.startTimestamp)) return;
    if (this.#ownWrites.cacheLags(key, workload.metadata)) {
      // Its update event enqueues the workload again; the delay is only a fallback.
      logger.debug('the cache does not show our own template write yet');
      return { requeueAfterMs: OWN_WRITE_RECHECK_MS };
    }

    const { settings } = this.#deps;
    const now = this.#deps.now();
    const identity = restoreIdentity(restore, labelValue);
    const activity = restoreActivity(restore.status, now, settings.hookWindowMs);
    const plan = templatePlan(workload, hooks, settings.policy);
    const templateHooks = initHooksState(plan, hasErrors(hooks.problems));
    const record = parseAppliedInitHooks(
      workload.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
    );
    const injectedByUs = record?.restore === identity.key;
    const cleanedUp = workload.metadata.annotations?.[CLEANED_UP_ANNOTATION] === identity.key;
    const finished = restoreFinished(restore.status?.phase);

    const spec = workload.spec as Record<string, unknown>;
    const workloadFacts: Omit<WorkloadFacts, 'pods'> = {
      kind,
      updateStrategy: updateStrategy(kind, workload),
      ...(spec.podManagementPolicy === 'Parallel'
        ? { podManagementPolicy: 'Parallel' as const }
        : { podManagementPolicy: 'OrderedReady' as const }),
      ...(typeof workload.spec.updateStrategy?.rollingUpdate?.partition === 'number'
        ? { partition: workload.spec.updateStrategy.rollingUpdate.partition }
        : {}),
      templateHooks,
      injectedByUs,
      cleanedUp,
      restore: { active: activity.active, finished },
      cleanupPolicy: settings.cleanupPolicy,
    };
    // A live list, not the caches: only pending pods are cached, and the decision must see the running ones before
    // it patches a template (the rollout would replace them) or removes the hooks after the restore.
    const pods = podsAffectDecision(workloadFacts) ? await this.#podsOf(kind, workload) : [];
    const facts: WorkloadFacts = {
      ...workloadFacts,
      pods: pods.map((p) => {
        const f = podFacts(p, workload.spec.template, hooks, settings.policy, restore.status?.startTimestamp);
        const updateRevision = (workload.status as { updateRevision?: string } | undefined)?.updateRevision;
        const atCurrentRevision =
          kind === 'StatefulSet' &&
          !!updateRevision &&
          p.metadata.labels?.['controller-revision-hash'] === updateRevision;
        return atCurrentRevision ? { ...f, atCurrentRevision } : f;
      }),
    };
    const decision = decideWorkload(facts);
    logger.debug('workload decision', { decision: decision.reason, template: decision.template });
    const ref = objectReference('apps/v1', kind, workload.metadata);
    const restoreRef = restoreReference(restore.metadata);

    if (decision.template === 'inject') {
      const written = await this.#patchFresh(key, kind, workload, (current) => {
        const currentPlan = current === workload ? plan : templatePlan(current, hooks, settings.policy);
        return currentPlan.initContainersChanged ? injectionPatch(current, currentPlan, identity) : undefined;
      });
      if (!written) return;
      const inserted = plan.initHooks.filter((h) => h.state === 'insert');
      const names = inserted.map((h) => h.container.name);
      const labels = { restore: restore.metadata.name ?? '', namespace, kind };
      this.#deps.metrics?.templatePatched(labels);
      for (const h of inserted) this.#deps.metrics?.hookInjected({ ...labels, source: h.origin.source });
      logger.info('injected init hooks into pod template', { hooks: names });
      void this.#deps.events.record({
        regarding: ref,
        related: restoreRef,
        type: 'Normal',
        reason: 'HookInjected',
        action: 'PatchTemplate',
        note: `Added init hooks ${names.join(', ')} of Restore ${identity.key} to the pod template; the ${kind} rolls out pods that run them.`,
      });
    } else if (decision.template === 'remove' && record) {
      const cleanup = cleanupPatch(workload, record);
      const written = await this.#patchFresh(key, kind, workload, (current) => {
        const currentRecord = parseAppliedInitHooks(
          current.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
        );
        return currentRecord?.restore === identity.key
          ? cleanupPatch(current, currentRecord).patch
          : undefined;
      });
      if (!written) return;
      this.#deps.metrics?.templateCleaned({ restore: restore.metadata.name ?? '', namespace, kind });
      logger.info('removed init hooks from pod template after the restore', {
        removed: cleanup.removed,
        kept: cleanup.kept,
      });
      void this.#deps.events.record({
        regarding: ref,
        related: restoreRef,
        type: 'Normal',
        reason: 'HookRemoved',
        action: 'PatchTemplate',
        note:
          `Removed init hooks ${cleanup.removed.join(', ') || '(none left)'} of Restore ${identity.key} from the pod template now that the restore is over (templateCleanup: RemoveAfterRestore).` +
          (cleanup.kept.length > 0
            ? ` Left in place because they changed: ${cleanup.kept.map((k) => k.name).join(', ')}.`
            : ''),
      });
    } else if (decision.reason === 'HookConflict') {
      const conflicts = plan.initHooks.filter((h) => h.state === 'conflict').map((h) => h.container.name);
      void this.#deps.events.record({
        regarding: ref,
        related: restoreRef,
        type: 'Warning',
        reason: 'HookConflict',
        action: 'Skip',
        note: `The pod template already has init container(s) ${conflicts.join(', ')} that differ from the hooks of the same name in Restore ${identity.key}; rename the hook or remove the container.`,
      });
    }

    for (const victim of decision.deletePods) {
      const pod = pods.find((p) => p.metadata.uid === victim.uid);
      const result = await this.#deps.cluster.deletePod(namespace, victim.name, {
        uid: victim.uid,
        ...(pod?.metadata.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
      });
      logger.info('deleted pending pod so that its owner recreates it with the hooks', {
        pod: victim.name,
        result,
      });
      if (result === 'deleted') {
        this.#deps.metrics?.podReplaced({ restore: restore.metadata.name ?? '', namespace, kind });
        void this.#deps.events.record({
          regarding: podReference({ namespace, name: victim.name, uid: victim.uid }),
          related: ref,
          type: 'Normal',
          reason: 'PodReplaced',
          action: 'DeletePod',
          note: `Deleted pending pod ${victim.name}, which its ${kind} would not replace by itself, so that it comes back with the init hooks of Restore ${identity.key}.`,
        });
      }
    }
    for (const skipped of decision.skippedPods) {
      if (this.#skips.first(`${identity.uid}/${namespace}/${skipped.name}/${skipped.reason}`)) {
        this.#deps.metrics?.hookSkipped({
          restore: restore.metadata.name ?? '',
          namespace,
          kind,
          reason: SKIP_METRIC_REASONS[skipped.reason],
        });
      }
      void this.#deps.events.record({
        regarding: podReference({ namespace, name: skipped.name }),
        related: restoreRef,
        type: 'Warning',
        reason: 'HookSkipped',
        action: 'Skip',
        note: `Pod ${skipped.name} will not run the init hooks of Restore ${identity.key}: ${SKIP_NOTES[skipped.reason]}.`,
      });
    }
    this.#deps.onOutcome?.({
      restore: identity.key,
      workload: `${kind}/${namespace}/${name}`,
      decision: decision.reason,
      skippedPods: decision.skippedPods.map((p) => `${namespace}/${p.name}`),
    });

    if (decision.deletePods.length > 0) return { requeueAfterMs: 1000 };
    if (decision.reason === 'WaitingForFileSystemRestore')
      return { requeueAfterMs: FILE_SYSTEM_RESTORE_RECHECK_MS };
    if (
      injectedByUs &&
      finished &&
      settings.cleanupPolicy === 'RemoveAfterRestore' &&
      decision.template !== 'remove'
    ) {
      const closes = msUntilWindowCloses(restore.status, now, settings.hookWindowMs);
      return { requeueAfterMs: Math.min(settings.cleanupPollMs, (closes ?? 0) + 1000) };
    }
    if (decision.template === 'inject' && activity.reason === 'FinishedWithinWindow') {
      return {
        requeueAfterMs: (msUntilWindowCloses(restore.status, now, settings.hookWindowMs) ?? 0) + 1000,
      };
    }
  }

  /**
   * Patches with a resourceVersion precondition, rebuilding the patch from a fresh read after each conflict
   * (workload status changes often, so the cached version is frequently stale). `build` returns undefined when the
   * fresh object no longer needs the change. Resolves false when nothing was written.
   */
  async #patchFresh(
    key: string,
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
        this.#ownWrites.record(
          key,
          (await this.#deps.cluster.patchWorkload(kind, namespace, name, patch)).metadata,
        );
        return true;
      } catch (error) {
        if (isConflict(error)) current = await this.#deps.cluster.getWorkload(kind, namespace, name);
        throw error;
      }
    });
  }

  /** The workload's pods: those matching its selector whose controller chain leads to it, or that await adoption. */
  async #podsOf(kind: WorkloadKind, workload: Workload): Promise<Pod[]> {
    const namespace = workload.metadata.namespace ?? '';
    const candidates = await this.#deps.cluster.listPods(
      namespace,
      labelSelectorString(workload.spec.selector),
    );
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
}
