import { KubeConfig } from '@kubernetes/client-node';
import type { DevCluster, RequestContext, WatchStreamControl } from '../../src/devcluster/index.ts';
import { ApiError, errors } from '../../src/devcluster/index.ts';
import { startTestCluster } from './devcluster.ts';

type Collection = 'configmaps' | 'leases';
type Json = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace: string };
};

const GVR = {
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
} as const;
const KIND = { configmaps: ['v1', 'ConfigMap'], leases: ['coordination.k8s.io/v1', 'Lease'] } as const;

/**
 * The devcluster (issue #3) with the knobs the machinery's HTTP tests need: recorded list/watch
 * parameters, injected failures, cut watch connections, history compaction, a write slipped in just
 * before the next PUT, and server-side writes "by another client" through the in-process API.
 */
export class MachineryDevCluster {
  readonly kubeConfig = new KubeConfig();
  readonly listRequests: URLSearchParams[] = [];
  readonly watchRequests: URLSearchParams[] = [];
  /** Watch streams that started streaming. */
  watchStreams = 0;
  readonly #streams: WatchStreamControl[] = [];
  #failures: number[] = [];
  #beforePut: (() => void) | undefined;
  #cluster: DevCluster | undefined;

  static async start(options: { bookmarkIntervalMs?: number } = {}): Promise<MachineryDevCluster> {
    const harness = new MachineryDevCluster();
    harness.#cluster = await startTestCluster({
      ...options,
      requestFilters: [(context) => harness.#filter(context)],
    });
    harness.kubeConfig.loadFromString(harness.#cluster.kubeconfig());
    harness.#cluster.api.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'app' },
    });
    return harness;
  }

  get host(): string {
    if (!this.#cluster) throw new Error('devcluster not started');
    return new URL(this.#cluster.url).host;
  }

  async stop(): Promise<void> {
    await this.#cluster?.stop();
  }

  /** The next `count` HTTP requests fail with `code` (429 carries `Retry-After: 0`). */
  failNext(count: number, code = 500): void {
    for (let i = 0; i < count; i++) this.#failures.push(code);
  }

  clearFailures(): void {
    this.#failures = [];
  }

  /** Drops every open watch connection, as a network failure would. */
  cutWatches(): void {
    for (const stream of this.#streams.splice(0)) stream.destroy();
  }

  /** Forgets the watch history: resuming from any earlier resourceVersion gets 410 Expired. */
  compact(): void {
    this.#api().compact();
  }

  /** Runs `hook` just before the next PUT is handled, as if another client wrote in between. */
  beforeNextPut(hook: () => void): void {
    this.#beforePut = hook;
  }

  /** Creates or replaces an object, as another client would. */
  put(
    collection: Collection,
    object: { metadata: { name: string; namespace: string; labels?: Record<string, string> } } & Record<
      string,
      unknown
    >,
  ): Json {
    const [apiVersion, kind] = KIND[collection];
    const body = { apiVersion, kind, ...object };
    const { namespace, name } = object.metadata;
    const api = this.#api();
    const exists = this.get(collection, namespace, name) !== undefined;
    return (exists
      ? api.update(GVR[collection], namespace, name, body)
      : api.create(GVR[collection], namespace, body)) as unknown as Json;
  }

  remove(collection: Collection, namespace: string, name: string): void {
    this.#api().delete(GVR[collection], namespace, name);
  }

  get(collection: Collection, namespace: string, name: string): Json | undefined {
    try {
      return this.#api().get(GVR[collection], namespace, name) as unknown as Json;
    } catch (error: unknown) {
      if (error instanceof ApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  #api(): DevCluster['api'] {
    if (!this.#cluster) throw new Error('devcluster not started');
    return this.#cluster.api;
  }

  #filter(context: RequestContext): void {
    const failure = this.#failures.shift();
    if (failure === 429) throw errors.tooManyRequests(0);
    if (failure !== undefined)
      throw new ApiError(failure, 'InternalError', 'Internal error occurred: injected failure');
    if (context.info.verb === 'list') this.listRequests.push(context.url.searchParams);
    if (context.info.verb === 'watch') {
      this.watchRequests.push(context.url.searchParams);
      context.onWatch((stream) => {
        this.watchStreams += 1;
        this.#streams.push(stream);
      });
    }
    if (context.method === 'PUT' && this.#beforePut) {
      const hook = this.#beforePut;
      this.#beforePut = undefined;
      hook();
    }
  }
}
