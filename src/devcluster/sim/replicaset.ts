/**
 * The ReplicaSet controller: keeps spec.replicas active pods, adopts orphan pods that match the selector (what
 * follows a Velero restore), releases owned pods that stop matching, and writes status.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import type { SharedInformers } from './informer.ts';
import {
  GVR,
  controllerOf,
  controllerRef,
  isNotFound,
  isPodActive,
  isPodReady,
  labelSelectorMatcher,
  slowStartBatch,
  stableJson,
} from './meta.ts';
import { adopt, release } from './ownership.ts';
import { QueuedController, owning, selectorMatches } from './queued-controller.ts';
import type { ComponentEvents } from './events.ts';
import { ownerOf } from './events.ts';

/** Go's omitempty: zero counts are left out of status, except the fields listed in `keep`. */
export function withoutZeros(
  status: Record<string, number>,
  keep: readonly string[] = [],
): Record<string, number> {
  return Object.fromEntries(Object.entries(status).filter(([k, v]) => v !== 0 || keep.includes(k)));
}

interface ReplicaSetLike extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: unknown;
    template?: { metadata?: KubeObject['metadata']; spec?: unknown };
  };
  status?: Record<string, unknown>;
}

/** Deletion preference, most deletable first: unscheduled, pending, not ready, then the newest. */
function deletionRank(pod: KubeObject): number[] {
  const spec = pod.spec as { nodeName?: string } | undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return [
    spec?.nodeName ? 1 : 0,
    phase === 'Pending' ? 0 : 1,
    isPodReady(pod) ? 1 : 0,
    -Date.parse(pod.metadata.creationTimestamp ?? '0'),
  ];
}

export interface PodTemplate {
  metadata?: KubeObject['metadata'];
  spec?: unknown;
}

/** A pod for a workload: the template's labels, annotations and spec, owned by the workload. */
export function podFromTemplate(
  owner: KubeObject,
  template: PodTemplate | undefined,
  namePrefix: string,
): KubeObject {
  const meta = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: namePrefix,
      namespace: owner.metadata.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: structuredClone(template?.spec ?? {}),
  };
}

/**
 * Creates a workload's pod and records it as the ReplicaSet, DaemonSet and Job controllers do (SuccessfulCreate
 * `Created pod: NAME`, or FailedCreate `Error creating: ...` before the error propagates).
 */
export async function createPodFor(
  api: AdmittedClient,
  events: ComponentEvents,
  owner: KubeObject,
  pod: KubeObject,
): Promise<KubeObject> {
  try {
    const created = await api.create(GVR.pods, owner.metadata.namespace, pod);
    events.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    return created;
  } catch (e) {
    events.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
    throw e;
  }
}

/** Deletes a workload's pod (gone already is fine) and records SuccessfulDelete `Deleted pod: NAME` on its owner. */
export async function deletePodOf(
  api: AdmittedClient,
  events: ComponentEvents,
  pod: KubeObject,
  options?: Parameters<AdmittedClient['delete']>[3],
): Promise<void> {
  try {
    await api.delete(GVR.pods, pod.metadata.namespace, pod.metadata.name!, options);
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  const owner = ownerOf(pod);
  if (owner) events.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
}

export class ReplicaSetController extends QueuedController {
  constructor(api: AdmittedClient, informers: SharedInformers, events?: ComponentEvents) {
    super(api, informers, events, owning(GVR.replicasets, GVR.pods, 'ReplicaSet', selectorMatches));
  }

  protected async sync(key: string): Promise<void> {
    const rs = this.informers.for(GVR.replicasets).byKey(key) as ReplicaSetLike | undefined;
    if (!rs) return;
    const namespace = rs.metadata.namespace!;
    const pods = this.informers.for(GVR.pods);
    const selects = labelSelectorMatcher(rs.spec?.selector);
    const owned = pods.byIndex('controller', rs.metadata.uid ?? '');
    const deleting = !!rs.metadata.deletionTimestamp;
    // Adopt matching orphans; release owned pods that no longer match.
    if (!deleting) {
      for (const pod of pods.byIndex('namespace', namespace)) {
        if (!controllerOf(pod) && !pod.metadata.deletionTimestamp && selects(pod.metadata.labels)) {
          owned.push((await adopt(this.api, GVR.pods, pod, rs, { ifUnchanged: true })) ?? pod);
        }
      }
    }
    const mine: KubeObject[] = [];
    for (const pod of owned) {
      if (selects(pod.metadata.labels)) mine.push(pod);
      else await release(this.api, GVR.pods, pod, rs.metadata.uid ?? '', { ifUnchanged: true });
    }
    const active = mine.filter(isPodActive);
    const want = deleting ? active.length : (rs.spec?.replicas ?? 1);
    if (active.length < want) {
      await slowStartBatch(want - active.length, () =>
        createPodFor(
          this.api,
          this.events,
          rs,
          podFromTemplate(rs, rs.spec?.template, `${rs.metadata.name}-`),
        ),
      );
    } else if (active.length > want) {
      const victims = [...active].sort((a, b) => {
        const ra = deletionRank(a);
        const rb = deletionRank(b);
        for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
        return 0;
      });
      for (const pod of victims.slice(0, active.length - want)) {
        await this.deletePod(pod);
        active.splice(active.indexOf(pod), 1);
      }
    }
    const ready = active.filter(isPodReady).length;
    const status = withoutZeros(
      {
        replicas: active.length,
        fullyLabeledReplicas: active.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: rs.metadata.generation ?? 1,
      },
      ['replicas'],
    );
    const { conditions: _conditions, ...previous } = rs.status ?? {};
    if (stableJson(status) !== stableJson(previous)) await this.writeStatus(rs, status);
  }

  private async deletePod(pod: KubeObject): Promise<void> {
    await deletePodOf(this.api, this.events, pod);
  }

  private async writeStatus(rs: KubeObject, status: Record<string, number>): Promise<void> {
    try {
      const current = this.api.get(GVR.replicasets, rs.metadata.namespace, rs.metadata.name!);
      const conditions = (current.status as { conditions?: unknown } | undefined)?.conditions;
      await this.api.update(
        GVR.replicasets,
        rs.metadata.namespace,
        rs.metadata.name!,
        { ...current, status: { ...status, ...(conditions ? { conditions } : {}) } },
        { subresource: 'status' },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
