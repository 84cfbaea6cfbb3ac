/**
 * STOPGAP, test-only: a minimal Kubernetes-like HTTP API server for the informer and leader-election
 * tests until the devcluster (issue #3) can serve them. It implements just what those tests touch —
 * namespaced collections with get/list/watch/create/replace, resourceVersion preconditions, label
 * selectors, limit/continue, bookmarks and 410 Expired from a bounded history — plus fault injection.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace: string };
};

interface StoredEvent {
  rv: number;
  collection: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Json;
}

interface OpenWatch {
  collection: string;
  selector: (object: Json) => boolean;
  res: ServerResponse;
  bookmarks: boolean;
}

const KINDS: Record<string, { kind: string; apiVersion: string }> = {
  configmaps: { kind: 'ConfigMap', apiVersion: 'v1' },
  leases: { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' },
};

const PATH =
  /^\/(?:api\/v1|apis\/coordination\.k8s\.io\/v1)\/namespaces\/([^/]+)\/(configmaps|leases)(?:\/([^/]+))?$/;

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message };
}

/** Parses the subset of label selectors the tests use: `k`, `!k`, `k=v`, `k!=v`, comma-separated. */
function labelMatcher(selector: string | null): (object: Json) => boolean {
  if (!selector) return () => true;
  const terms = selector.split(',').map((term) => term.trim());
  return (object) => {
    const labels = (object.metadata.labels ?? {}) as Record<string, string>;
    return terms.every((term) => {
      const neq = term.split('!=');
      if (neq.length === 2) return labels[neq[0]!] !== neq[1];
      const eq = term.split('=');
      if (eq.length === 2) return labels[eq[0]!] === eq[1];
      if (term.startsWith('!')) return !(term.slice(1) in labels);
      return term in labels;
    });
  };
}

export class FakeKubeApiServer {
  readonly kubeConfig = new KubeConfig();
  readonly watchRequests: URLSearchParams[] = [];
  readonly listRequests: URLSearchParams[] = [];
  #server: Server | undefined;
  #rv = 100;
  #objects = new Map<string, Json>();
  #history: StoredEvent[] = [];
  #watches = new Set<OpenWatch>();
  #failures: number[] = [];
  #beforePut: (() => void) | undefined;

  async start(): Promise<this> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.kubeConfig.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'admin', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'admin' }],
      currentContext: 'fake',
    });
    return this;
  }

  async stop(): Promise<void> {
    this.cutWatches();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** The next `count` requests (of any kind) fail with HTTP `code`. */
  failNext(count: number, code = 500): void {
    for (let i = 0; i < count; i++) this.#failures.push(code);
  }

  clearFailures(): void {
    this.#failures = [];
  }

  /** Runs `hook` just before the next PUT is handled, as if another client wrote in between. */
  beforeNextPut(hook: () => void): void {
    this.#beforePut = hook;
  }

  /** Drops every open watch connection abruptly. */
  cutWatches(): void {
    for (const watch of this.#watches) watch.res.destroy();
    this.#watches.clear();
  }

  /** Forgets history so that every resourceVersion before now is 410 Expired for watches. */
  compact(): void {
    this.#history = [];
  }

  /** Sends a BOOKMARK at the current resourceVersion to watches that asked for them. */
  sendBookmarks(): void {
    for (const watch of this.#watches) {
      if (!watch.bookmarks) continue;
      const { kind, apiVersion } = KINDS[watch.collection]!;
      this.#write(watch.res, {
        type: 'BOOKMARK',
        object: { kind, apiVersion, metadata: { resourceVersion: String(this.#rv) } },
      });
    }
  }

  openWatches(): number {
    return this.#watches.size;
  }

  /** Server-side write, as another client would do it. */
  put(
    collection: 'configmaps' | 'leases',
    object: { metadata: { name: string; namespace: string } } & Record<string, unknown>,
  ): Json {
    const key = `${collection}/${object.metadata.namespace}/${object.metadata.name}`;
    const existed = this.#objects.has(key);
    return this.#store(collection, key, object as Json, existed ? 'MODIFIED' : 'ADDED');
  }

  remove(collection: 'configmaps' | 'leases', namespace: string, name: string): void {
    const key = `${collection}/${namespace}/${name}`;
    const object = this.#objects.get(key);
    if (!object) return;
    this.#objects.delete(key);
    this.#rv += 1;
    const final = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.#rv) } };
    this.#publish({ rv: this.#rv, collection, type: 'DELETED', object: final });
  }

  get(collection: 'configmaps' | 'leases', namespace: string, name: string): Json | undefined {
    return this.#objects.get(`${collection}/${namespace}/${name}`);
  }

  #store(collection: string, key: string, object: Json, type: 'ADDED' | 'MODIFIED'): Json {
    this.#rv += 1;
    const { kind, apiVersion } = KINDS[collection]!;
    const previous = this.#objects.get(key);
    const stored: Json = {
      ...object,
      kind,
      apiVersion,
      metadata: {
        ...object.metadata,
        uid: previous?.metadata.uid ?? `uid-${this.#rv}`,
        creationTimestamp:
          previous?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        resourceVersion: String(this.#rv),
      },
    };
    this.#objects.set(key, stored);
    this.#publish({ rv: this.#rv, collection, type, object: stored });
    return stored;
  }

  #publish(event: StoredEvent): void {
    this.#history.push(event);
    for (const watch of this.#watches) {
      if (watch.collection === event.collection && watch.selector(event.object)) {
        this.#write(watch.res, { type: event.type, object: event.object });
      }
    }
  }

  #write(res: ServerResponse, event: unknown): void {
    res.write(`${JSON.stringify(event)}\n`);
  }

  #reply(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const failure = this.#failures.shift();
    if (failure !== undefined) {
      this.#reply(res, failure, status(failure, 'InternalError', 'injected failure'));
      return;
    }
    if (req.headers.authorization !== 'Bearer fake-token') {
      this.#reply(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const match = PATH.exec(url.pathname);
    if (!match) {
      this.#reply(res, 404, status(404, 'NotFound', `no route ${url.pathname}`));
      return;
    }
    const [, namespace, collection, name] = match as unknown as [string, string, string, string | undefined];
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && name === undefined && url.searchParams.get('watch') === 'true') {
        this.#watch(url.searchParams, namespace, collection, res);
      } else if (req.method === 'GET' && name === undefined) {
        this.#list(url.searchParams, namespace, collection, res);
      } else if (req.method === 'GET') {
        const object = this.get(collection as 'leases', namespace, name!);
        if (object) this.#reply(res, 200, object);
        else this.#reply(res, 404, status(404, 'NotFound', `${collection} "${name}" not found`));
      } else if (req.method === 'POST' && name === undefined) {
        const object = JSON.parse(body) as Json;
        const key = `${collection}/${namespace}/${object.metadata.name}`;
        if (this.#objects.has(key)) {
          this.#reply(
            res,
            409,
            status(409, 'AlreadyExists', `${collection} "${object.metadata.name}" already exists`),
          );
        } else {
          this.#reply(
            res,
            201,
            this.#store(collection, key, { ...object, metadata: { ...object.metadata, namespace } }, 'ADDED'),
          );
        }
      } else if (req.method === 'PUT' && name !== undefined) {
        const hook = this.#beforePut;
        this.#beforePut = undefined;
        hook?.();
        const object = JSON.parse(body) as Json;
        const key = `${collection}/${namespace}/${name}`;
        const current = this.#objects.get(key);
        if (!current) {
          this.#reply(res, 404, status(404, 'NotFound', `${collection} "${name}" not found`));
        } else if (object.metadata.resourceVersion !== current.metadata.resourceVersion) {
          this.#reply(
            res,
            409,
            status(
              409,
              'Conflict',
              `Operation cannot be fulfilled on ${collection} "${name}": the object has been modified`,
            ),
          );
        } else {
          this.#reply(
            res,
            200,
            this.#store(
              collection,
              key,
              { ...object, metadata: { ...object.metadata, namespace, name } },
              'MODIFIED',
            ),
          );
        }
      } else {
        this.#reply(res, 405, status(405, 'MethodNotAllowed', `${req.method} not allowed`));
      }
    });
  }

  #list(params: URLSearchParams, namespace: string, collection: string, res: ServerResponse): void {
    this.listRequests.push(params);
    const matches = labelMatcher(params.get('labelSelector'));
    const all = [...this.#objects.entries()]
      .filter(([key, object]) => key.startsWith(`${collection}/${namespace}/`) && matches(object))
      .map(([, object]) => object);
    const start = Number(params.get('continue') ?? '0');
    const limit = Number(params.get('limit') ?? '0') || all.length;
    const next = start + limit < all.length ? String(start + limit) : undefined;
    const { kind, apiVersion } = KINDS[collection]!;
    this.#reply(res, 200, {
      kind: `${kind}List`,
      apiVersion,
      metadata: { resourceVersion: String(this.#rv), continue: next },
      // Like the real server: list items carry no kind/apiVersion.
      items: all.slice(start, start + limit).map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
    });
  }

  #watch(params: URLSearchParams, namespace: string, collection: string, res: ServerResponse): void {
    this.watchRequests.push(params);
    const from = Number(params.get('resourceVersion') ?? '0');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const labels = labelMatcher(params.get('labelSelector'));
    const oldest = this.#history[0]?.rv ?? this.#rv + 1;
    if (from < oldest - 1) {
      this.#write(res, {
        type: 'ERROR',
        object: status(410, 'Expired', `too old resource version: ${from} (${oldest - 1})`),
      });
      res.end();
      return;
    }
    const watch: OpenWatch = {
      collection,
      selector: (object) => object.metadata.namespace === namespace && labels(object),
      res,
      bookmarks: params.get('allowWatchBookmarks') === 'true',
    };
    for (const event of this.#history) {
      if (event.rv > from && event.collection === collection && watch.selector(event.object)) {
        this.#write(res, { type: event.type, object: event.object });
      }
    }
    this.#watches.add(watch);
    res.on('close', () => this.#watches.delete(watch));
  }
}
