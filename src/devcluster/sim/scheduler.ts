/**
 * The scheduler: binds every unscheduled pod (schedulerName default-scheduler) to a node that matches its
 * nodeSelector and required node affinity, spreading pods by count. A pod no node fits gets PodScheduled=False
 * with reason Unschedulable, as kube-scheduler reports it.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import { objectKey, splitKey } from './informer.ts';
import type { SharedInformers } from './informer.ts';
import { GVR, isNotFound } from './meta.ts';
import { WorkQueue } from './queue.ts';

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

export class Scheduler {
  private readonly queue: WorkQueue;
  private readonly podsPerNode = new Map<string, number>();
  private readonly bound = new Set<string>();
  private readonly api: AdmittedClient;
  private readonly informers: SharedInformers;

  constructor(api: AdmittedClient, informers: SharedInformers) {
    this.api = api;
    this.informers = informers;
    this.queue = new WorkQueue('scheduler', (key) => this.schedule(key));
    const pods = informers.for(GVR.pods);
    const count = (pod: KubeObject, delta: number) => {
      const node = (pod.spec as PodSpecLike | undefined)?.nodeName;
      if (node) this.podsPerNode.set(node, (this.podsPerNode.get(node) ?? 0) + delta);
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
      },
      delete: (pod) => count(pod, -1),
    });
    informers.for(GVR.nodes).on({
      add: () => this.retryUnschedulable(),
      update: () => this.retryUnschedulable(),
    });
  }

  stop(): void {
    this.queue.stop();
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

  private async schedule(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const pod = this.informers.for(GVR.pods).byKey(key);
    if (!pod || !this.wants(pod)) return;
    const spec = (pod.spec ?? {}) as PodSpecLike;
    const nodes = [...this.informers.for(GVR.nodes).list()];
    const fitting = nodes.filter((n) => nodeFits(spec, n));
    if (fitting.length === 0) return await this.unschedulable(namespace!, name, nodes.length);
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
    } catch (e) {
      this.bound.delete(key);
      this.podsPerNode.set(nodeName, (this.podsPerNode.get(nodeName) ?? 1) - 1);
      if (!isNotFound(e) && (e as { code?: number }).code !== 409) throw e;
    }
  }

  private async unschedulable(namespace: string, name: string, nodeCount: number): Promise<void> {
    const message = `0/${nodeCount} nodes are available: ${nodeCount} node(s) didn't match Pod's node affinity/selector. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`;
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
    } catch (e) {
      if (!isNotFound(e) && (e as { code?: number }).code !== 409) throw e;
    }
  }
}
