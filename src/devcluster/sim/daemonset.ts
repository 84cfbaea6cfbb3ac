/**
 * The DaemonSet controller: one pod per fitting node, pinned with node affinity on metadata.name as the real
 * controller does (the scheduler then binds it), adoption of matching orphans, RollingUpdate within
 * maxUnavailable (OnDelete replaces nothing), and status.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import { objectKey } from './informer.ts';
import type { SharedInformers } from './informer.ts';
import {
  GVR,
  byNamespace,
  controllerOf,
  controllerRef,
  isConflictOrExists,
  isPodActive,
  isPodReady,
  labelSelectorMatcher,
  normalizedTemplate,
  slowStartBatch,
  stableJson,
  templateHash,
  writeStatus,
} from './meta.ts';
import { adopt } from './ownership.ts';
import { QueuedController, owning, selectorMatches } from './queued-controller.ts';
import type { PodTemplate } from './replicaset.ts';
import { resolveIntOrPercent } from './deployment.ts';
import { createPodFor, deletePodOf, podFromTemplate, withoutZeros } from './replicaset.ts';
import type { ComponentEvents } from './events.ts';
import { nodeFits } from './scheduler.ts';

interface DaemonSetSpec {
  selector?: unknown;
  template?: PodTemplate;
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
}

const HASH = 'controller-revision-hash';

const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/**
 * A pod is at the DaemonSet's current template when it carries the current revision's hash or, as in the real
 * controller, the template generation (kept by the API server in an annotation; the generation stands in for it).
 */
function isPodUpdated(pod: KubeObject, ds: KubeObject, hash: string): boolean {
  const generation =
    ds.metadata.annotations?.['deprecated.daemonset.template.generation'] ??
    String(ds.metadata.generation ?? 1);
  return (
    pod.metadata.labels?.[HASH] === hash || pod.metadata.labels?.['pod-template-generation'] === generation
  );
}

/** The node a daemon pod is for: its nodeName, or the metadata.name its node affinity requires. */
function targetNode(pod: KubeObject): string | undefined {
  const spec = pod.spec as {
    nodeName?: string;
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms?: { matchFields?: { key: string; values?: string[] }[] }[];
        };
      };
    };
  };
  if (spec?.nodeName) return spec.nodeName;
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.flatMap((t) => t.matchFields ?? []).find((f) => f.key === 'metadata.name')?.values?.[0];
}

export class DaemonSetController extends QueuedController {
  constructor(api: AdmittedClient, informers: SharedInformers, events?: ComponentEvents) {
    super(api, informers, events, owning(GVR.daemonsets, GVR.pods, 'DaemonSet', selectorMatches));
    const sets = informers.for(GVR.daemonsets);
    const all = () => {
      for (const d of sets.list()) this.queue.add(objectKey(d));
    };
    informers.for(GVR.nodes).on({ add: all, update: all, delete: all });
    informers.for(GVR.controllerrevisions).addIndex('namespace', byNamespace);
  }

  protected async sync(key: string): Promise<void> {
    const ds = this.informers.for(GVR.daemonsets).byKey(key);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const spec = (ds.spec ?? {}) as DaemonSetSpec;
    const hash = await this.revisionHash(ds, spec);
    const owned = await this.claimDependents(ds);
    const nodes = [...this.informers.for(GVR.nodes).list()].filter((n) =>
      nodeFits(spec.template?.spec ?? {}, n),
    );
    const wanted = new Set(nodes.map((n) => n.metadata.name!));
    const byNode = new Map<string, KubeObject[]>();
    for (const pod of owned.filter(isPodActive)) {
      const node = targetNode(pod) ?? '';
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    let misscheduled = 0;
    for (const [node, list] of byNode) {
      if (!wanted.has(node)) {
        misscheduled += list.length;
        for (const p of list) await this.deletePod(p);
      } else for (const p of list.slice(1)) await this.deletePod(p);
    }
    const missing = [...wanted].filter((node) => !byNode.has(node));
    await slowStartBatch(missing.length, (i) => this.createPod(ds, spec, missing[i]!, hash));
    if ((spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const maxUnavailable = Math.max(
        1,
        resolveIntOrPercent(spec.updateStrategy?.rollingUpdate?.maxUnavailable, wanted.size, false, '1'),
      );
      const current = [...wanted].map((n) => byNode.get(n)?.[0]);
      let unavailable = current.filter((p) => !p || !isPodReady(p)).length;
      for (const pod of current) {
        if (!pod || isPodUpdated(pod, ds, hash)) continue;
        if (!isPodReady(pod)) await this.deletePod(pod);
        else if (unavailable < maxUnavailable) {
          await this.deletePod(pod);
          unavailable++;
        }
      }
    }
    const current = [...wanted].map((n) => byNode.get(n)?.[0]).filter((p): p is KubeObject => !!p);
    const ready = current.filter(isPodReady).length;
    const status = withoutZeros(
      {
        currentNumberScheduled: current.length,
        numberMisscheduled: misscheduled,
        desiredNumberScheduled: wanted.size,
        numberReady: ready,
        observedGeneration: ds.metadata.generation ?? 1,
        updatedNumberScheduled: current.filter((p) => isPodUpdated(p, ds, hash)).length,
        numberAvailable: ready,
        numberUnavailable: wanted.size - ready,
      },
      ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
    );
    if (stableJson(status) === stableJson(ds.status)) return;
    await writeStatus(this.api, GVR.daemonsets, ds, status);
  }

  /**
   * The hash pods of the current template carry: that of a ControllerRevision with the same template (adopting it
   * when orphaned, e.g. restored from a backup), else that of a new revision, created as the real controller
   * snapshots its history (`<name>-<hash>`, the template's labels plus `controller-revision-hash`).
   */
  private async revisionHash(ds: KubeObject, spec: DaemonSetSpec): Promise<string> {
    const wanted = normalizedTemplate('DaemonSet', spec.template);
    const selects = labelSelectorMatcher(spec.selector);
    const namespace = ds.metadata.namespace ?? '';
    let newest = 0;
    for (const r of this.informers.for(GVR.controllerrevisions).byIndex('namespace', namespace)) {
      const owner = controllerOf(r);
      if (owner ? owner.uid !== ds.metadata.uid : !selects(r.metadata.labels)) continue;
      const revision = r as { data?: { spec?: { template?: unknown } }; revision?: number };
      newest = Math.max(newest, revision.revision ?? 0);
      if (normalizedTemplate('DaemonSet', revision.data?.spec?.template) !== wanted) continue;
      if (!owner) await adopt(this.api, GVR.controllerrevisions, r, ds, { ifUnchanged: false });
      const hash = r.metadata.labels?.[HASH];
      if (hash) return hash;
    }
    const hash = templateHash(spec.template);
    try {
      await this.api.create(GVR.controllerrevisions, namespace, {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${ds.metadata.name}-${hash}`,
          namespace,
          labels: { ...(spec.template?.metadata?.labels ?? {}), [HASH]: hash },
          ownerReferences: [controllerRef(ds)],
        },
        data: { spec: { template: { ...structuredClone(spec.template ?? {}), $patch: 'replace' } } },
        revision: newest + 1,
      });
    } catch (e) {
      if (!isConflictOrExists(e)) throw e;
    }
    return hash;
  }

  private async createPod(ds: KubeObject, spec: DaemonSetSpec, node: string, hash: string): Promise<void> {
    const pod = podFromTemplate(ds, spec.template, `${ds.metadata.name}-`);
    pod.metadata.labels = {
      ...pod.metadata.labels,
      [HASH]: hash,
      'pod-template-generation': String(ds.metadata.generation ?? 1),
    };
    const podSpec = pod.spec as Record<string, unknown>;
    podSpec.affinity = {
      ...(podSpec.affinity as object),
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
        },
      },
    };
    podSpec.tolerations = [...((podSpec.tolerations as unknown[]) ?? []), ...DAEMON_TOLERATIONS];
    await createPodFor(this.api, this.events, ds, pod);
  }

  private async deletePod(pod: KubeObject): Promise<void> {
    if (pod.metadata.deletionTimestamp) return;
    await deletePodOf(this.api, this.events, pod);
  }
}
