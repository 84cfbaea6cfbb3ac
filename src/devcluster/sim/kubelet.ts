/**
 * The kubelets of every simulated node, as one component: each pod bound to a simulated node gets its status from
 * kubeletPodStatus (../kubelet/status.ts), re-evaluated exactly when it next changes (a clock timer), and a pod
 * being deleted is removed (grace period 0) once its containers have stopped (termination-seconds annotation).
 */
import type { ClusterAPI, KubeObject } from '../api/types.ts';
import { terminationDelaySeconds } from '../kubelet/behaviour.ts';
import { ContainerRunLog } from '../kubelet/run-log.ts';
import { kubeletPodStatus } from '../kubelet/status.ts';
import type { PodLike } from '../kubelet/status.ts';
import type { Clock } from './clock.ts';
import { objectKey, splitKey } from './informer.ts';
import type { SharedInformers } from './informer.ts';
import { GVR, isNotFound, stableJson } from './meta.ts';
import { WorkQueue } from './queue.ts';

interface PodRuntimeState {
  uid: string;
  startedAt: number;
  podIP: string;
  cancelTimer?: () => void;
  timerAt?: number;
  deleting?: boolean;
}

export class Kubelet {
  private readonly queue: WorkQueue;
  private readonly state = new Map<string, PodRuntimeState>();
  private readonly nodeIndex: Map<string, number>;
  private readonly nextIP = new Map<string, number>();
  private readonly api: ClusterAPI;
  private readonly informers: SharedInformers;
  private readonly clock: Clock;
  /** Every container run the kubelets started (see run-log.ts). */
  readonly runs = new ContainerRunLog();
  /** Sandbox set-up before every pod's first container starts, on top of its start-seconds annotation (a real node takes about a second). */
  startDelayMs = 0;

  constructor(api: ClusterAPI, informers: SharedInformers, clock: Clock, nodeNames: readonly string[]) {
    this.api = api;
    this.informers = informers;
    this.clock = clock;
    this.nodeIndex = new Map(nodeNames.map((n, i) => [n, i]));
    this.queue = new WorkQueue('kubelet', (key) => this.sync(key));
    const enqueue = (pod: KubeObject) => {
      const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      if (node && this.nodeIndex.has(node)) this.queue.add(objectKey(pod));
    };
    informers.for(GVR.pods).on({ add: enqueue, update: (_old, pod) => enqueue(pod), delete: enqueue });
  }

  stop(): void {
    this.queue.stop();
    for (const s of this.state.values()) s.cancelTimer?.();
    this.state.clear();
  }

  private sync(key: string): void {
    const pod = this.informers.for(GVR.pods).byKey(key);
    let state = this.state.get(key);
    if (!pod || (state && state.uid !== pod.metadata.uid)) {
      state?.cancelTimer?.();
      this.state.delete(key);
      if (!pod) return;
      state = undefined;
    }
    const node = (pod.spec as { nodeName?: string }).nodeName!;
    if (!state) {
      const startTime = (pod.status as { startTime?: string } | undefined)?.startTime;
      const index = this.nodeIndex.get(node)!;
      const n = (this.nextIP.get(node) ?? 1) + 1;
      this.nextIP.set(node, n);
      state = {
        uid: pod.metadata.uid ?? '',
        startedAt: startTime ? Date.parse(startTime) : this.clock.now(),
        podIP: `10.244.${index}.${n % 254}`,
      };
      this.state.set(key, state);
    }
    if (pod.metadata.deletionTimestamp) return this.terminate(key, pod, state);
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const now = this.clock.now();
    const { status, nextChangeAt } = kubeletPodStatus(pod as unknown as PodLike, {
      startedAt: state.startedAt,
      now,
      hostIP: `10.0.0.${this.nodeIndex.get(node)! + 1}`,
      podIP: state.podIP,
      startDelayMs: this.startDelayMs,
    });
    if (stableJson(status) !== stableJson(pod.status)) {
      const [namespace, name] = splitKey(key);
      try {
        const current = this.api.get(GVR.pods, namespace, name);
        if (current.metadata.uid !== state.uid) return;
        this.api.update(GVR.pods, namespace, name, { ...current, status }, { subresource: 'status' });
        this.runs.observe(current, status);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    this.wakeAt(key, state, nextChangeAt);
  }

  private wakeAt(key: string, state: PodRuntimeState, at: number | undefined): void {
    if (state.timerAt === at) return;
    state.cancelTimer?.();
    state.cancelTimer = undefined;
    state.timerAt = at;
    if (at !== undefined) {
      state.cancelTimer = this.clock.setTimer(at, () => {
        state.timerAt = undefined;
        this.queue.add(key);
      });
    }
  }

  private terminate(key: string, pod: KubeObject, state: PodRuntimeState): void {
    if (state.deleting) return;
    state.deleting = true;
    const seconds = terminationDelaySeconds(
      pod.metadata.annotations ?? {},
      pod.metadata.deletionGracePeriodSeconds,
    );
    const [namespace, name] = splitKey(key);
    const remove = () => {
      try {
        this.api.delete(GVR.pods, namespace, name, {
          gracePeriodSeconds: 0,
          preconditions: { uid: state.uid },
        });
      } catch (e) {
        if (!isNotFound(e) && (e as { code?: number }).code !== 409) throw e;
      }
    };
    state.cancelTimer?.();
    state.timerAt = undefined;
    if (seconds <= 0) remove();
    else state.cancelTimer = this.clock.setTimer(this.clock.now() + seconds * 1000, remove);
  }
}
