/**
 * A stand-in kubelet for a real control plane (kwok-like: an API client, no containers). It registers Ready nodes,
 * watches the pods bound to them, and writes their status from the same pure logic the devcluster's in-process
 * kubelet uses (../kubelet/status.ts, behaviour.ts, run-log.ts), serves the kubelet exec endpoint with the
 * devcluster's exec shell (../exec), and completes graceful deletions. See docs/real-cluster.md.
 */
import type { KubeObject } from '../api/types.ts';
import { errors } from '../api/errors.ts';
import { execHistoryItems } from '../audit/admin.ts';
import type { ExecHistoryItem } from '../audit/admin.ts';
import { ExecEndpoint } from '../exec/endpoint.ts';
import { SimulatedExecRunner } from '../exec/simulator.ts';
import { execContainer } from '../exec/target.ts';
import { terminationDelaySeconds } from '../kubelet/behaviour.ts';
import { ContainerRunLog } from '../kubelet/run-log.ts';
import { kubeletPodStatus } from '../kubelet/status.ts';
import type { PodLike } from '../kubelet/status.ts';
import { stableJson } from '../sim/meta.ts';
import { nodeObject } from '../sim/nodes.ts';
import { generateServingCertificates } from '../tls/certificates.ts';
import { AgentApiClient, isApiCode } from './api-client.ts';
import type { AgentConnection, WatchEvent } from './api-client.ts';
import { KubeletExecServer } from './exec-server.ts';

export const DEFAULT_START_DELAY_MS = 1000;
/** The address every node reports: the only one kube-apiserver may dial here. */
export const NODE_ADDRESS = '127.0.0.1';
const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
const RETRY_MS = 500;

export interface NodeAgentOptions {
  readonly connection: AgentConnection;
  /** Node names to register and serve. */
  readonly nodes: readonly string[];
  /** Time from first seeing a bound pod to its first container start (the sandbox); default 1000 ms. */
  readonly startDelayMs?: number;
  /** Keep these across agent restarts so that one log and one history cover them. */
  readonly runs?: ContainerRunLog;
  readonly execRunner?: SimulatedExecRunner;
  /** The exec server's port (0 or absent: a free one). */
  readonly execPort?: number;
  /** Pods each node admits (capacity.pods); default 110, as a kubelet. */
  readonly maxPods?: number;
  /** The kubelet version the nodes report. */
  readonly kubeletVersion?: string;
  readonly log?: (message: string, meta?: Record<string, unknown>) => void;
}

interface PodState {
  uid: string;
  startedAt: number;
  podIP: string;
  timer?: NodeJS.Timeout;
  timerAt?: number;
  /** The last status this agent wrote, as stableJson. */
  written?: string;
  deleting?: boolean;
}

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: Record<string, unknown> };

export class NodeAgent {
  readonly runs: ContainerRunLog;
  readonly exec: SimulatedExecRunner;
  private readonly options: NodeAgentOptions;
  private readonly client: AgentApiClient;
  private readonly pods = new Map<string, Pod>();
  private readonly state = new Map<string, PodState>();
  private readonly syncing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly nodeIndex: Map<string, number>;
  private readonly nextIP = new Map<string, number>();
  private readonly stopping = new AbortController();
  private readonly synced = new Set<string>();
  private readonly endpoint: ExecEndpoint;
  private execServer: KubeletExecServer | undefined;
  private watches: Promise<void>[] = [];
  private startDelayMs: number;
  private port = 0;

  constructor(options: NodeAgentOptions) {
    if (options.nodes.length === 0) throw new RangeError('nodes: at least one node is required');
    this.options = options;
    this.client = new AgentApiClient(options.connection);
    this.runs = options.runs ?? new ContainerRunLog();
    this.exec = options.execRunner ?? new SimulatedExecRunner();
    this.nodeIndex = new Map(options.nodes.map((n, i) => [n, i]));
    this.startDelayMs = checkDelay(options.startDelayMs ?? DEFAULT_START_DELAY_MS);
    this.endpoint = new ExecEndpoint({
      runner: this.exec,
      resolveContainer: (namespace, pod, container) => {
        const found = this.pods.get(`${namespace}/${pod}`);
        if (!found) throw errors.notFound({ group: '', resource: 'pods' }, pod);
        return execContainer(found, container);
      },
    });
  }

  /** The exec server's port (daemonEndpoints.kubeletEndpoint.Port of every node). */
  get execPort(): number {
    return this.port;
  }

  /** Applies to pods this agent first sees from now on. */
  setStartDelay(ms: number): void {
    this.startDelayMs = checkDelay(ms);
  }

  execHistory(): ExecHistoryItem[] {
    return execHistoryItems(this.exec.history);
  }

  /** Serves exec, registers the nodes Ready and untainted, and resolves once every node's pods are listed. */
  async start(): Promise<void> {
    this.execServer = new KubeletExecServer(await generateServingCertificates([NODE_ADDRESS]), this.endpoint);
    this.port = await this.execServer.listen(this.options.execPort ?? 0);
    for (const name of this.options.nodes) await this.registerNode(name);
    this.watches = this.options.nodes.map((name) => this.watchNode(name));
    while (this.synced.size < this.options.nodes.length) {
      if (this.stopping.signal.aborted) return;
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const s of this.state.values()) clearTimeout(s.timer);
    this.state.clear();
    this.endpoint.close();
    await this.execServer?.close();
    await Promise.allSettled(this.watches);
    await this.client.close().catch(() => {});
  }

  private log(message: string, meta?: Record<string, unknown>): void {
    if (this.stopping.signal.aborted) return;
    try {
      this.options.log?.(message, meta);
    } catch {
      // A failing log must not become an unhandled rejection of the sync that reported it.
    }
  }

  private async registerNode(name: string): Promise<void> {
    const index = this.nodeIndex.get(name)!;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const node = nodeObject({ name }, index, now, {
      internalIP: NODE_ADDRESS,
      kubeletPort: this.port,
      kubeletVersion: this.options.kubeletVersion ?? 'v1.20.2',
      ...(this.options.maxPods !== undefined ? { maxPods: this.options.maxPods } : {}),
    });
    try {
      await this.client.request('POST', '/api/v1/nodes', { body: node });
    } catch (e) {
      if (!isApiCode(e, 409)) throw e;
    }
    const path = `/api/v1/nodes/${encodeURIComponent(name)}`;
    // Node admission taints every new node not-ready; with the node lifecycle controller off, the kubelet's
    // first Ready status would never clear it, so the agent does.
    const current = await this.client.request<{ spec?: { taints?: { key: string }[] } }>('GET', path);
    const taints = current.spec?.taints ?? [];
    if (taints.some((t) => t.key === NOT_READY_TAINT)) {
      await this.client.request('PATCH', path, {
        body: { spec: { taints: taints.filter((t) => t.key !== NOT_READY_TAINT) } },
        contentType: 'application/merge-patch+json',
      });
    }
    await this.client.request('PATCH', `${path}/status`, {
      body: { status: node.status },
      contentType: 'application/merge-patch+json',
    });
  }

  /** Lists then watches the pods bound to `node`, re-listing after any failure. */
  private async watchNode(node: string): Promise<void> {
    const signal = this.stopping.signal;
    const query = { fieldSelector: `spec.nodeName=${node}` };
    while (!signal.aborted) {
      try {
        const list = await this.client.request<{ metadata: { resourceVersion: string }; items: Pod[] }>(
          'GET',
          '/api/v1/pods',
          { query, signal },
        );
        const listed = new Set<string>();
        for (const pod of list.items) {
          const key = podKey(pod);
          listed.add(key);
          this.pods.set(key, pod);
          this.enqueue(key);
        }
        for (const [key, pod] of this.pods) {
          if (pod.spec?.nodeName === node && !listed.has(key)) {
            this.pods.delete(key);
            this.enqueue(key);
          }
        }
        this.synced.add(node);
        let resourceVersion = list.metadata.resourceVersion;
        const onEvent = (event: WatchEvent) => {
          const pod = event.object as Pod;
          resourceVersion = pod.metadata.resourceVersion ?? resourceVersion;
          if (event.type === 'BOOKMARK') return;
          const key = podKey(pod);
          if (event.type === 'DELETED') this.pods.delete(key);
          else this.pods.set(key, pod);
          this.enqueue(key);
        };
        for (;;) {
          await this.client.watch(
            '/api/v1/pods',
            { ...query, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 },
            onEvent,
            signal,
          );
        }
      } catch (e) {
        if (signal.aborted) return;
        if (!isApiCode(e, 410)) this.log('pod watch failed; re-listing', { node, error: String(e) });
        await sleep(RETRY_MS);
      }
    }
  }

  /** Runs sync for `key`, never twice at once; a key changed during its sync runs again afterwards. */
  private enqueue(key: string): void {
    if (this.stopping.signal.aborted) return;
    if (this.syncing.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.syncing.add(key);
    void this.sync(key)
      .catch((e: unknown) => {
        this.log('pod sync failed; retrying', { pod: key, error: String(e) });
        this.dirty.add(key);
        return sleep(RETRY_MS);
      })
      .finally(() => {
        this.syncing.delete(key);
        if (this.dirty.delete(key)) this.enqueue(key);
      });
  }

  private async sync(key: string): Promise<void> {
    const pod = this.pods.get(key);
    let state = this.state.get(key);
    if (!pod || (state && state.uid !== pod.metadata.uid)) {
      clearTimeout(state?.timer);
      this.state.delete(key);
      if (!pod) return;
      state = undefined;
    }
    const node = pod.spec?.nodeName ?? '';
    const index = this.nodeIndex.get(node);
    if (index === undefined) return;
    if (!state) {
      const startTime = (pod.status as { startTime?: string } | undefined)?.startTime;
      const n = this.nextIP.get(node) ?? 0;
      this.nextIP.set(node, n + 1);
      state = {
        uid: pod.metadata.uid ?? '',
        startedAt: startTime ? Date.parse(startTime) : Date.now(),
        podIP: `10.244.${index}.${(n % 253) + 2}`,
      };
      this.state.set(key, state);
    }
    if (pod.metadata.deletionTimestamp) return this.terminate(key, pod, state);
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const now = Date.now();
    const { status, nextChangeAt } = kubeletPodStatus(pod as unknown as PodLike, {
      startedAt: state.startedAt,
      startDelayMs: this.startDelayMs,
      now,
      hostIP: NODE_ADDRESS,
      podIP: state.podIP,
    });
    // A kubelet starts containers before it reports them: the run log records what this status started, whether or
    // not the write below succeeds.
    this.runs.observe(pod, status);
    const json = stableJson(status);
    if (json !== state.written) {
      const { namespace = '', name = '' } = pod.metadata;
      try {
        await this.client.request(
          'PATCH',
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/status`,
          {
            // The uid makes the patch fail on a pod recreated under the same name, as the kubelet's does.
            body: { metadata: { uid: state.uid }, status },
            contentType: 'application/strategic-merge-patch+json',
          },
        );
        state.written = json;
      } catch (e) {
        if (!isApiCode(e, 404, 409, 422)) throw e;
      }
    }
    this.wakeAt(key, state, nextChangeAt);
  }

  private wakeAt(key: string, state: PodState, at: number | undefined): void {
    if (state.timerAt === at) return;
    clearTimeout(state.timer);
    state.timer = undefined;
    state.timerAt = at;
    if (at === undefined) return;
    state.timer = setTimeout(
      () => {
        state.timerAt = undefined;
        this.enqueue(key);
      },
      Math.max(0, at - Date.now()),
    );
  }

  private terminate(key: string, pod: Pod, state: PodState): void {
    if (state.deleting) return;
    state.deleting = true;
    clearTimeout(state.timer);
    state.timerAt = undefined;
    const seconds = terminationDelaySeconds(
      pod.metadata.annotations ?? {},
      pod.metadata.deletionGracePeriodSeconds,
    );
    const { namespace = '', name = '' } = pod.metadata;
    const remove = () =>
      void this.client
        .request(
          'DELETE',
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
          {
            body: {
              kind: 'DeleteOptions',
              apiVersion: 'v1',
              gracePeriodSeconds: 0,
              preconditions: { uid: state.uid },
            },
          },
        )
        .catch((e: unknown) => {
          if (isApiCode(e, 404, 409)) return;
          this.log('pod delete failed; retrying', { pod: key, error: String(e) });
          state.deleting = false;
          setTimeout(() => this.enqueue(key), RETRY_MS);
        });
    state.timer = setTimeout(remove, seconds * 1000);
  }
}

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`startDelayMs: must be a non-negative number, got ${ms}`);
  return ms;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
