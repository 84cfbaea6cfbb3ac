/**
 * The Deployment controller: one ReplicaSet per pod template (named <deployment>-<pod-template-hash>), revision
 * annotations, the Recreate strategy, and rolling updates that honour maxSurge and maxUnavailable; status as
 * kube-controller-manager writes it. As in Kubernetes (FindNewReplicaSet), the new ReplicaSet is the oldest owned one
 * whose template equals the Deployment's ignoring pod-template-hash, however it came to be equal (a restore, a
 * rollback, a template another client wrote); a name already taken by a different template bumps
 * status.collisionCount and hashes again; a paused Deployment creates no ReplicaSet.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import type { SharedInformers } from './informer.ts';
import {
  GVR,
  controllerOf,
  controllerRef,
  isConflictOrExists,
  isNotFound,
  labelSelectorMatcher,
  stableJson,
  templateHash,
  writeStatus,
  mergePatch,
} from './meta.ts';
import { adopt } from './ownership.ts';
import { QueuedController, owning, selectorMatches } from './queued-controller.ts';
import type { PodTemplate } from './replicaset.ts';
import { withoutZeros } from './replicaset.ts';
import type { ComponentEvents } from './events.ts';
import { ownerOf } from './events.ts';

const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  template?: PodTemplate;
  strategy?: {
    type?: string;
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
  };
  revisionHistoryLimit?: number;
  paused?: boolean;
}
interface RSLike extends KubeObject {
  spec?: { replicas?: number; selector?: unknown; template?: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

/** intstr: a number, or a percentage of `total` rounded up (surge) or down (unavailable). */
export function resolveIntOrPercent(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
  fallback: string,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function templateWithoutHash(template: PodTemplate | undefined): unknown {
  const labels = { ...template?.metadata?.labels };
  delete labels[HASH];
  return { ...template, metadata: { ...template?.metadata, labels } };
}

const revisionOf = (rs: KubeObject) => Number(rs.metadata.annotations?.[REVISION] ?? '0') || 0;

/** ReplicaSetsByCreationTimestamp: oldest first, ties (whole seconds) by name. */
function byCreation(a: KubeObject, b: KubeObject): number {
  const byTime =
    Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '');
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  const [x, y] = [a.metadata.name ?? '', b.metadata.name ?? ''];
  return x < y ? -1 : x > y ? 1 : 0;
}

export class DeploymentController extends QueuedController {
  constructor(api: AdmittedClient, informers: SharedInformers, events?: ComponentEvents) {
    super(api, informers, events, owning(GVR.deployments, GVR.replicasets, 'Deployment', selectorMatches));
  }

  protected async sync(key: string): Promise<void> {
    const d = this.informers.for(GVR.deployments).byKey(key);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = (d.spec ?? {}) as DeploymentSpec;
    const namespace = d.metadata.namespace!;
    const sets = this.informers.for(GVR.replicasets);
    const selects = labelSelectorMatcher(spec.selector);
    // Read owned ReplicaSets fresh: the decisions below must not act twice on a stale cache.
    const owned = sets
      .byIndex('controller', d.metadata.uid ?? '')
      .map((rs) => this.fresh(rs))
      .filter((rs): rs is RSLike => rs !== undefined);
    for (const rs of sets.byIndex('namespace', namespace) as RSLike[]) {
      if (!controllerOf(rs) && !rs.metadata.deletionTimestamp && selects(rs.metadata.labels)) {
        const adopted = await adopt(this.api, GVR.replicasets, rs, d, { ifUnchanged: false });
        if (adopted) owned.push(adopted as RSLike);
      }
    }
    const wanted = stableJson(templateWithoutHash(spec.template));
    const equalsWanted = (rs: RSLike) => stableJson(templateWithoutHash(rs.spec?.template)) === wanted;
    let newRS = [...owned].sort(byCreation).find(equalsWanted);
    const olds = owned.filter((rs) => rs !== newRS);
    const maxRevision = Math.max(0, ...owned.map(revisionOf));
    const replicas = spec.replicas ?? 1;
    if (spec.paused) return await this.writeStatus(d, newRS, olds);
    const recreate = spec.strategy?.type === 'Recreate';
    const surge = recreate
      ? 0
      : resolveIntOrPercent(spec.strategy?.rollingUpdate?.maxSurge, replicas, true, '25%');
    let unavailable = recreate
      ? replicas
      : resolveIntOrPercent(spec.strategy?.rollingUpdate?.maxUnavailable, replicas, false, '25%');
    if (surge === 0 && unavailable === 0) unavailable = 1;

    if (!newRS) {
      const oldPods = olds.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      const initial = recreate
        ? 0
        : olds.length === 0
          ? replicas
          : Math.max(0, Math.min(replicas, replicas + surge - oldPods));
      const created = await this.createNewReplicaSet(d, spec, {
        initial,
        revision: maxRevision + 1,
        maxReplicas: replicas + surge,
        equalsWanted,
      });
      if (!created) return;
      if (initial > 0)
        this.events.event(
          d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled up replica set ${created.metadata.name} from 0 to ${initial}`,
        );
      newRS = created;
    } else if (revisionOf(newRS) < maxRevision || revisionOf(newRS) === 0) {
      // Rolling back to an older template makes its ReplicaSet the newest revision.
      const annotations = { [REVISION]: String(maxRevision + 1) };
      newRS = ((await mergePatch(this.api, GVR.replicasets, newRS, { metadata: { annotations } })) ??
        newRS) as RSLike;
    }

    if (recreate) {
      for (const rs of olds) if ((rs.spec?.replicas ?? 0) > 0) await this.scale(rs, 0);
      const oldRunning = olds.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
      if (oldRunning === 0 && (newRS.spec?.replicas ?? 0) !== replicas) await this.scale(newRS, replicas);
    } else {
      // Scale up the new ReplicaSet within maxSurge.
      const total =
        owned.reduce((n, rs) => n + (rs === newRS ? 0 : (rs.spec?.replicas ?? 0)), 0) +
        (newRS.spec?.replicas ?? 0);
      const newReplicas = newRS.spec?.replicas ?? 0;
      if (newReplicas > replicas) await this.scale(newRS, replicas);
      else if (newReplicas < replicas && total < replicas + surge) {
        await this.scale(newRS, Math.min(replicas, newReplicas + (replicas + surge - total)));
      }
      // Scale down old ReplicaSets within maxUnavailable, unhealthy replicas first.
      const minAvailable = replicas - unavailable;
      const newUnavailable = Math.max(
        0,
        (newRS.spec?.replicas ?? 0) - (newRS.status?.availableReplicas ?? 0),
      );
      const allPods = owned.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      let budget = Math.max(0, allPods - minAvailable - newUnavailable);
      const byAge = [...olds].sort((a, b) => revisionOf(a) - revisionOf(b));
      const scaledTo = new Map<RSLike, number>();
      for (const rs of byAge) {
        if (budget <= 0) break;
        const current = rs.spec?.replicas ?? 0;
        const unhealthy = Math.max(0, current - (rs.status?.availableReplicas ?? 0));
        const cut = Math.min(unhealthy, budget);
        if (cut > 0) {
          await this.scale(rs, current - cut);
          scaledTo.set(rs, current - cut);
          budget -= cut;
        }
      }
      const available = owned.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
      let down = Math.max(0, available - minAvailable - newUnavailable);
      for (const rs of byAge) {
        if (down <= 0) break;
        const current = scaledTo.get(rs) ?? rs.spec?.replicas ?? 0;
        const cut = Math.min(current, down);
        if (cut > 0) {
          await this.scale(rs, current - cut, current);
          down -= cut;
        }
      }
    }
    await this.cleanup(spec, olds);
    await this.writeStatus(d, newRS, olds);
  }

  /**
   * Creates the ReplicaSet for the Deployment's template, named after its hash. When that name is taken: an owned
   * ReplicaSet with the same template is the new one; any other bumps status.collisionCount, which changes the hash
   * (Kubernetes does the same, one collision per sync; here the next name is tried at once). Undefined when the
   * Deployment is gone.
   */
  private async createNewReplicaSet(
    d: KubeObject,
    spec: DeploymentSpec,
    plan: { initial: number; revision: number; maxReplicas: number; equalsWanted: (rs: RSLike) => boolean },
  ): Promise<RSLike | undefined> {
    const namespace = d.metadata.namespace!;
    let collisionCount = (d.status as { collisionCount?: number } | undefined)?.collisionCount ?? 0;
    for (;;) {
      const hash = templateHash(spec.template, collisionCount);
      const template = structuredClone(spec.template ?? {});
      template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH]: hash } };
      const selector = structuredClone(spec.selector ?? {});
      selector.matchLabels = { ...selector.matchLabels, [HASH]: hash };
      const name = `${d.metadata.name}-${hash}`;
      try {
        return (await this.api.create(GVR.replicasets, namespace, {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name,
            namespace,
            labels: { ...template.metadata.labels },
            annotations: {
              [REVISION]: String(plan.revision),
              'deployment.kubernetes.io/desired-replicas': String(spec.replicas ?? 1),
              'deployment.kubernetes.io/max-replicas': String(plan.maxReplicas),
            },
            ownerReferences: [controllerRef(d)],
          },
          spec: { replicas: plan.initial, selector, template },
        })) as RSLike;
      } catch (e) {
        if (!isConflictOrExists(e)) throw e;
      }
      const existing = this.fresh({ metadata: { namespace, name } } as KubeObject);
      if (existing && controllerOf(existing)?.uid === d.metadata.uid && plan.equalsWanted(existing))
        return existing;
      collisionCount++;
      try {
        const current = this.api.get(GVR.deployments, namespace, d.metadata.name!);
        await writeStatus(this.api, GVR.deployments, current, { ...(current.status ?? {}), collisionCount });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }
  }

  private async cleanup(spec: DeploymentSpec, olds: RSLike[]): Promise<void> {
    const limit = spec.revisionHistoryLimit ?? 10;
    const idle = olds
      .filter(
        (rs) =>
          (rs.spec?.replicas ?? 0) === 0 &&
          (rs.status?.replicas ?? 0) === 0 &&
          !rs.metadata.deletionTimestamp,
      )
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await this.api.delete(GVR.replicasets, rs.metadata.namespace, rs.metadata.name!);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  private collisionCountOf(d: KubeObject): number {
    try {
      const current = this.api.get(GVR.deployments, d.metadata.namespace, d.metadata.name!);
      return (current.status as { collisionCount?: number } | undefined)?.collisionCount ?? 0;
    } catch (e) {
      if (isNotFound(e)) return 0;
      throw e;
    }
  }

  private fresh(rs: KubeObject): RSLike | undefined {
    try {
      return this.api.get(GVR.replicasets, rs.metadata.namespace, rs.metadata.name!) as RSLike;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Scales a ReplicaSet and records ScalingReplicaSet on its Deployment, as kube-controller-manager does. */
  private async scale(rs: RSLike, replicas: number, from = rs.spec?.replicas ?? 0): Promise<void> {
    const scaled = await mergePatch(this.api, GVR.replicasets, rs, { spec: { replicas } });
    const owner = ownerOf(rs);
    if (!scaled || !owner || from === replicas) return;
    const direction = from < replicas ? 'up' : 'down';
    this.events.event(
      owner,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${direction} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
    );
  }

  private async writeStatus(d: KubeObject, newRS: RSLike | undefined, olds: RSLike[]): Promise<void> {
    const spec = (d.spec ?? {}) as DeploymentSpec;
    const all = newRS ? [newRS, ...olds] : olds;
    const sum = (f: (rs: RSLike) => number | undefined) => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
    const desired = spec.replicas ?? 1;
    const replicas = sum((rs) => rs.status?.replicas);
    const available = sum((rs) => rs.status?.availableReplicas);
    const updated = newRS?.status?.replicas ?? 0;
    const counts = withoutZeros(
      {
        observedGeneration: d.metadata.generation ?? 1,
        replicas,
        updatedReplicas: updated,
        readyReplicas: sum((rs) => rs.status?.readyReplicas),
        availableReplicas: available,
        unavailableReplicas: Math.max(0, desired - available),
      },
      [],
    );
    const previous = (d.status ?? {}) as {
      conditions?: {
        type: string;
        status: string;
        reason?: string;
        lastTransitionTime?: string;
        lastUpdateTime?: string;
        message?: string;
      }[];
    };
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const condition = (type: string, status: string, reason: string, message: string) => {
      const before = previous.conditions?.find((c) => c.type === type);
      const same = before?.status === status && before.reason === reason && before.message === message;
      return {
        type,
        status,
        lastUpdateTime: same ? before!.lastUpdateTime : now,
        lastTransitionTime: before?.status === status ? before.lastTransitionTime : now,
        reason,
        message,
      };
    };
    const complete =
      updated === desired && replicas === desired && available === desired && newRS !== undefined;
    const conditions = [
      available >=
      desired - resolveIntOrPercent(spec.strategy?.rollingUpdate?.maxUnavailable, desired, false, '25%')
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
      complete
        ? condition(
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`,
          )
        : condition(
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            `ReplicaSet "${newRS?.metadata.name ?? ''}" is progressing.`,
          ),
    ];
    // A collision met during this sync was counted in the stored status, not in `d`.
    const collisionCount = this.collisionCountOf(d);
    const status = { ...counts, ...(collisionCount ? { collisionCount } : {}), conditions };
    const revision = newRS ? String(revisionOf(newRS)) : undefined;
    const strip = (s: unknown) => stableJson(s).replace(/"last(Update|Transition)Time":"[^"]*"/g, '');
    if (revision && d.metadata.annotations?.[REVISION] !== revision) {
      const annotated = await mergePatch(this.api, GVR.deployments, d, {
        metadata: { annotations: { [REVISION]: revision } },
      });
      if (!annotated) return;
      d = annotated;
    }
    if (strip(status) !== strip(d.status)) await writeStatus(this.api, GVR.deployments, d, status);
  }
}
