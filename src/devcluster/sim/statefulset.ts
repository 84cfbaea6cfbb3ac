/**
 * The StatefulSet controller: ordinal pods <name>-<i> labelled with controller-revision-hash, ControllerRevisions per
 * template, PVCs from volumeClaimTemplates, OrderedReady and Parallel pod management, RollingUpdate (highest ordinal
 * first, down to the partition) and OnDelete. As in Kubernetes, OrderedReady waits for every pod to be Running and
 * Ready before it updates one, so a pending pod of an old revision blocks the rollout.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import type { SharedInformers } from './informer.ts';
import {
  GVR,
  byControllerUID,
  byNamespace,
  controllerOf,
  controllerRef,
  isConflictOrExists,
  isNotFound,
  isPodReady,
  labelSelectorMatcher,
  normalizedTemplate,
  stableJson,
  templateHash,
  writeStatus,
} from './meta.ts';
import { adopt } from './ownership.ts';
import { QueuedController, owning, selectorMatches } from './queued-controller.ts';
import type { PodTemplate } from './replicaset.ts';
import { podFromTemplate, withoutZeros } from './replicaset.ts';
import type { ComponentEvents } from './events.ts';
import { ownerOf } from './events.ts';

const REVISION_HASH = 'controller-revision-hash';
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };

interface StatefulSetSpec {
  replicas?: number;
  selector?: unknown;
  serviceName?: string;
  template?: PodTemplate;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
  volumeClaimTemplates?: { metadata?: { name?: string; labels?: Record<string, string> }; spec?: unknown }[];
}
interface Revision extends KubeObject {
  data?: { spec?: { template?: PodTemplate & { $patch?: string } } };
  revision?: number;
}

function ordinalOf(sts: KubeObject, pod: KubeObject): number | undefined {
  const prefix = `${sts.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

const revisionLabel = (pod: KubeObject) => pod.metadata.labels?.[REVISION_HASH];
const phaseOf = (pod: KubeObject) => (pod.status as { phase?: string } | undefined)?.phase;
const healthy = (pod: KubeObject) =>
  phaseOf(pod) === 'Running' && isPodReady(pod) && !pod.metadata.deletionTimestamp;

export class StatefulSetController extends QueuedController {
  constructor(api: AdmittedClient, informers: SharedInformers, events?: ComponentEvents) {
    super(
      api,
      informers,
      events,
      owning(
        GVR.statefulsets,
        GVR.pods,
        'StatefulSet',
        (s, pod) => selectorMatches(s, pod) && ordinalOf(s, pod) !== undefined,
      ),
    );
    informers.for(GVR.controllerrevisions).addIndex('controller', byControllerUID);
    informers.for(GVR.controllerrevisions).addIndex('namespace', byNamespace);
  }

  protected async sync(key: string): Promise<void> {
    const sts = this.informers.for(GVR.statefulsets).byKey(key);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const spec = (sts.spec ?? {}) as StatefulSetSpec;
    const { update, current } = await this.revisions(sts, spec);
    const byOrdinal = new Map<number, KubeObject>();
    for (const pod of await this.claimDependents(sts)) {
      const i = ordinalOf(sts, pod);
      if (i !== undefined) byOrdinal.set(i, pod);
    }
    const replicas = spec.replicas ?? 1;
    const ordered = (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = rolling ? (spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
    const revisionFor = (i: number) => (rolling && i < partition ? current : update);

    await this.act(sts, spec, byOrdinal, replicas, ordered, rolling, partition, revisionFor, update);
    await this.writeStatus(sts, byOrdinal, replicas, rolling, current, update);
  }

  private async act(
    sts: KubeObject,
    spec: StatefulSetSpec,
    byOrdinal: Map<number, KubeObject>,
    replicas: number,
    ordered: boolean,
    rolling: boolean,
    partition: number,
    revisionFor: (i: number) => Revision,
    update: Revision,
  ): Promise<void> {
    for (let i = 0; i < replicas; i++) {
      const pod = byOrdinal.get(i);
      if (!pod) {
        const created = await this.createPod(sts, spec, i, revisionFor(i));
        if (created) byOrdinal.set(i, created);
        if (ordered) return;
        continue;
      }
      const phase = phaseOf(pod);
      if ((phase === 'Failed' || phase === 'Succeeded') && !pod.metadata.deletionTimestamp) {
        await this.deletePod(pod);
        if (ordered) return;
        continue;
      }
      if (ordered && !healthy(pod)) return;
    }
    const condemned = [...byOrdinal.keys()].filter((i) => i >= replicas).sort((a, b) => b - a);
    for (const i of condemned) {
      const pod = byOrdinal.get(i)!;
      if (ordered) {
        if (pod.metadata.deletionTimestamp) return;
        if ([...byOrdinal.values()].some((p) => !healthy(p) && p !== pod)) return;
        await this.deletePod(pod);
        return;
      }
      if (!pod.metadata.deletionTimestamp) await this.deletePod(pod);
    }
    if (!rolling) return;
    const updateHash = update.metadata.name;
    for (let i = replicas - 1; i >= partition; i--) {
      const pod = byOrdinal.get(i);
      if (!pod) return;
      if (revisionLabel(pod) !== updateHash) {
        if (!pod.metadata.deletionTimestamp) await this.deletePod(pod);
        return;
      }
      if (!healthy(pod)) return;
    }
  }

  private async revisions(
    sts: KubeObject,
    spec: StatefulSetSpec,
  ): Promise<{ update: Revision; current: Revision }> {
    const namespace = sts.metadata.namespace!;
    const revisions = this.informers.for(GVR.controllerrevisions);
    const owned = revisions.byIndex('controller', sts.metadata.uid ?? '') as Revision[];
    // Adopt orphan revisions that match the selector: a restored StatefulSet finds its restored history.
    const selects = labelSelectorMatcher(spec.selector);
    for (const r of revisions.byIndex('namespace', namespace) as Revision[]) {
      if (controllerOf(r) || r.metadata.deletionTimestamp || !selects(r.metadata.labels)) continue;
      const adopted = await adopt(this.api, GVR.controllerrevisions, r, sts, { ifUnchanged: true });
      if (adopted) owned.push(adopted as Revision);
    }
    const data = { spec: { template: { ...structuredClone(spec.template ?? {}), $patch: 'replace' } } };
    const wanted = normalizedTemplate('StatefulSet', spec.template);
    const max = Math.max(0, ...owned.map((r) => r.revision ?? 0));
    let update = owned.find((r) => normalizedTemplate('StatefulSet', r.data?.spec?.template) === wanted);
    if (!update) {
      const hash = templateHash(data);
      const name = `${sts.metadata.name}-${hash}`;
      try {
        update = (await this.api.create(GVR.controllerrevisions, namespace, {
          apiVersion: 'apps/v1',
          kind: 'ControllerRevision',
          metadata: {
            name,
            namespace,
            labels: {
              ...(spec.template?.metadata?.labels ?? {}),
              'controller.kubernetes.io/hash': hash,
              [REVISION_HASH]: name,
            },
            ownerReferences: [controllerRef(sts)],
          },
          data,
          revision: max + 1,
        })) as Revision;
      } catch (e) {
        if (!isConflictOrExists(e)) throw e;
        update = this.api.get(GVR.controllerrevisions, namespace, name) as Revision;
      }
    } else if ((update.revision ?? 0) < max) {
      update = (await this.api.patch(
        GVR.controllerrevisions,
        namespace,
        update.metadata.name!,
        'application/merge-patch+json',
        {
          revision: max + 1,
        },
      )) as Revision;
    }
    const currentName = (sts.status as { currentRevision?: string } | undefined)?.currentRevision;
    const current = owned.find((r) => r.metadata.name === currentName) ?? update;
    return { update, current };
  }

  private async createPod(
    sts: KubeObject,
    spec: StatefulSetSpec,
    i: number,
    revision: Revision,
  ): Promise<KubeObject | undefined> {
    const namespace = sts.metadata.namespace!;
    const { $patch: _patch, ...template } = revision.data?.spec?.template ?? {};
    const pod = podFromTemplate(sts, template, '');
    const name = `${sts.metadata.name}-${i}`;
    delete pod.metadata.generateName;
    pod.metadata.name = name;
    pod.metadata.labels = {
      ...pod.metadata.labels,
      [REVISION_HASH]: revision.metadata.name!,
      'statefulset.kubernetes.io/pod-name': name,
      'apps.kubernetes.io/pod-index': String(i),
    };
    const podSpec = pod.spec as { hostname?: string; subdomain?: string; volumes?: unknown[] };
    podSpec.hostname = name;
    if (spec.serviceName) podSpec.subdomain = spec.serviceName;
    for (const claim of spec.volumeClaimTemplates ?? []) {
      const claimName = `${claim.metadata?.name}-${name}`;
      try {
        await this.api.create(PVCS, namespace, {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: claimName,
            namespace,
            labels: { ...(spec.template?.metadata?.labels ?? {}), ...claim.metadata?.labels },
          },
          spec: structuredClone(claim.spec ?? {}),
        });
      } catch (e) {
        if (!isConflictOrExists(e)) throw e;
      }
      const volumes = (podSpec.volumes ?? []) as { name: string }[];
      podSpec.volumes = [
        ...volumes.filter((v) => v.name !== claim.metadata?.name),
        { name: claim.metadata?.name, persistentVolumeClaim: { claimName } },
      ];
    }
    try {
      const created = await this.api.create(GVR.pods, namespace, pod);
      this.events.event(
        sts,
        'Normal',
        'SuccessfulCreate',
        `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`,
      );
      return created;
    } catch (e) {
      if (isConflictOrExists(e)) return undefined;
      this.events.event(
        sts,
        'Warning',
        'FailedCreate',
        `create Pod ${name} in StatefulSet ${sts.metadata.name} failed error: ${(e as Error).message}`,
      );
      throw e;
    }
  }

  private async deletePod(pod: KubeObject): Promise<void> {
    try {
      await this.api.delete(GVR.pods, pod.metadata.namespace, pod.metadata.name!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return;
    }
    const owner = ownerOf(pod);
    if (owner)
      this.events.event(
        owner,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${pod.metadata.name} in StatefulSet ${owner.name} successful`,
      );
  }

  private async writeStatus(
    sts: KubeObject,
    byOrdinal: Map<number, KubeObject>,
    replicas: number,
    rolling: boolean,
    current: Revision,
    update: Revision,
  ): Promise<void> {
    const pods = [...byOrdinal.values()];
    const ready = pods.filter((p) => isPodReady(p) && !p.metadata.deletionTimestamp).length;
    const updated = pods.filter((p) => revisionLabel(p) === update.metadata.name).length;
    let currentName = current.metadata.name!;
    let currentCount = pods.filter((p) => revisionLabel(p) === currentName).length;
    if (rolling && updated === replicas && ready === replicas && pods.length === replicas) {
      currentName = update.metadata.name!;
      currentCount = updated;
    }
    const status = {
      ...withoutZeros(
        {
          observedGeneration: sts.metadata.generation ?? 1,
          replicas: pods.length,
          readyReplicas: ready,
          currentReplicas: currentCount,
          updatedReplicas: updated,
          availableReplicas: ready,
          collisionCount: 0,
        },
        ['replicas', 'availableReplicas', 'collisionCount'],
      ),
      currentRevision: currentName,
      updateRevision: update.metadata.name!,
    };
    if (stableJson(status) === stableJson(sts.status)) return;
    await writeStatus(this.api, GVR.statefulsets, sts, status);
  }
}
