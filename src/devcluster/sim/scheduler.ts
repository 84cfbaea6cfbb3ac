/**
 * The scheduler: binds every unscheduled pod (schedulerName default-scheduler) to a node that matches its
 * nodeSelector and required node affinity and has room under its allocatable.pods (pods not yet Succeeded or
 * Failed count, as in kube-scheduler), spreading pods by count. A pod no node fits gets PodScheduled=False with
 * reason Unschedulable, as kube-scheduler reports it, and is tried again when a node changes or a pod leaves one.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import { objectKey, splitKey } from './informer.ts';
import type { SharedInformers } from './informer.ts';
import { GVR, isNotFound } from './meta.ts';
import { QueuedController } from './queued-controller.ts';
import type { ReportingEvents } from './events.ts';

interface PodSpecLike {
  nodeName?: string;
  schedulerName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms?: {
          matchExpressions?: { key: string; operator: string; values?: string[] }[];
          matchFields?: { key: string; operator: string; values?: string[] }[];
        }[];
      };
    };
  };
}

function requirementMatches(value: string | undefined, r: { operator: string; values?: string[] }): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    default:
      return false;
  }
}

export function nodeFits(spec: PodSpecLike, node: KubeObject): boolean {
  if ((node.spec as { unschedulable?: boolean } | undefined)?.unschedulable) return false;
  const labels = node.metadata.labels ?? {};
  if (!Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)) return false;
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return terms.some(
    (t) =>
      (t.matchExpressions ?? []).every((e) => requirementMatches(labels[e.key], e)) &&
      (t.matchFields ?? []).every((f) =>
        requirementMatches(f.key === 'metadata.name' ? node.metadata.name : undefined, f),
      ),
  );
}

const terminal = (pod: KubeObject) => {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
};

/** A node's allocatable.pods (capacity.pods when absent); no figure means no limit. */
function maxPods(node: KubeObject): number {
  const status = node.status as { allocatable?: { pods?: string }; capacity?: { pods?: string } } | undefined;
  const pods = Number(status?.allocatable?.pods ?? status?.capacity?.pods);
  return Number.isFinite(pods) ? pods : Infinity;
}

export class Scheduler extends QueuedController<ReportingEvents> {
  private readonly podsPerNode = new Map<string, number>();
  private readonly bound = new Set<string>();
  /** Whether a pod was found too many for every node (only then do departures trigger retries). */
  private unschedulableSeen = false;

  constructor(api: AdmittedClient, informers: SharedInformers, events?: ReportingEvents) {
    super(api, informers, events, 'scheduler');
    const pods = informers.for(GVR.pods);
    const count = (pod: KubeObject, delta: number) => {
      const node = (pod.spec as PodSpecLike | undefined)?.nodeName;
      if (node && !terminal(pod)) this.podsPerNode.set(node, (this.podsPerNode.get(node) ?? 0) + delta);
    };
    // A pod leaving a node (deleted, or finished) may make room for one that did not fit.
    const left = () => {
      if (this.unschedulableSeen) this.retryUnschedulable();
    };
    pods.on({
      add: (pod) => {
        count(pod, 1);
        if (this.wants(pod)) this.queue.add(objectKey(pod));
      },
      update: (old, pod) => {
        // A pod this scheduler just bound was counted at bind time.
        if (this.bound.delete(objectKey(pod))) return;
        count(old, -1);
        count(pod, 1);
        if (this.wants(pod)) this.queue.add(objectKey(pod));
        else if (!terminal(old) && terminal(pod)) left();
      },
      delete: (pod) => {
        count(pod, -1);
        left();
      },
    });
    informers.for(GVR.nodes).on({
      add: () => this.retryUnschedulable(),
      update: () => this.retryUnschedulable(),
    });
  }

  private wants(pod: KubeObject): boolean {
    const spec = (pod.spec ?? {}) as PodSpecLike;
    return (
      !spec.nodeName &&
      (spec.schedulerName ?? 'default-scheduler') === 'default-scheduler' &&
      !pod.metadata.deletionTimestamp
    );
  }

  private retryUnschedulable(): void {
    for (const pod of this.informers.for(GVR.pods).list())
      if (this.wants(pod)) this.queue.add(objectKey(pod));
  }

  protected async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const pod = this.informers.for(GVR.pods).byKey(key);
    if (!pod || !this.wants(pod)) return;
    const spec = (pod.spec ?? {}) as PodSpecLike;
    const nodes = [...this.informers.for(GVR.nodes).list()];
    const matching = nodes.filter((n) => nodeFits(spec, n));
    const fitting = matching.filter((n) => (this.podsPerNode.get(n.metadata.name!) ?? 0) < maxPods(n));
    if (fitting.length === 0) {
      if (matching.length > 0) this.unschedulableSeen = true;
      return await this.unschedulable(pod, nodes.length, matching.length);
    }
    const node = fitting.reduce((best, n) =>
      (this.podsPerNode.get(n.metadata.name!) ?? 0) < (this.podsPerNode.get(best.metadata.name!) ?? 0)
        ? n
        : best,
    );
    // Counted before the (asynchronous) binding, so that concurrent schedules spread as sequential ones do.
    const nodeName = node.metadata.name!;
    this.podsPerNode.set(nodeName, (this.podsPerNode.get(nodeName) ?? 0) + 1);
    this.bound.add(key);
    try {
      await this.api.create(
        GVR.pods,
        namespace,
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: node.metadata.name },
        },
        { subresource: 'binding' },
      );
      this.events.event(
        pod,
        'Normal',
        'Scheduled',
        'Binding',
        `Successfully assigned ${namespace}/${name} to ${nodeName}`,
      );
    } catch (e) {
      this.bound.delete(key);
      this.podsPerNode.set(nodeName, (this.podsPerNode.get(nodeName) ?? 1) - 1);
      if (!isNotFound(e) && (e as { code?: number }).code !== 409) throw e;
    }
  }

  /** `full`: the nodes that match the pod but have no room left (Too many pods). */
  private async unschedulable(unscheduled: KubeObject, nodeCount: number, full: number): Promise<void> {
    const { namespace, name } = unscheduled.metadata as { namespace: string; name: string };
    const reasons = [
      ...(full > 0 ? [`${full} Too many pods`] : []),
      ...(nodeCount - full > 0
        ? [`${nodeCount - full} node(s) didn't match Pod's node affinity/selector`]
        : []),
    ];
    const preemption = [
      ...(full > 0 ? [`${full} No preemption victims found for incoming pod`] : []),
      ...(nodeCount - full > 0 ? [`${nodeCount - full} Preemption is not helpful for scheduling`] : []),
    ];
    const message = `0/${nodeCount} nodes are available: ${reasons.join(', ')}. preemption: 0/${nodeCount} nodes are available: ${preemption.join(', ')}.`;
    try {
      const pod = this.api.get(GVR.pods, namespace, name);
      const status = (pod.status ?? {}) as { conditions?: { type: string; message?: string }[] };
      if (status.conditions?.some((c) => c.type === 'PodScheduled' && c.message === message)) return;
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        reason: 'Unschedulable',
        message,
      } as never);
      await this.api.update(
        GVR.pods,
        namespace,
        name,
        { ...pod, status: { phase: 'Pending', ...status, conditions } },
        { subresource: 'status' },
      );
      this.events.event(pod, 'Warning', 'FailedScheduling', 'Scheduling', message);
    } catch (e) {
      if (!isNotFound(e) && (e as { code?: number }).code !== 409) throw e;
    }
  }
}
