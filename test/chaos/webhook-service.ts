/**
 * The webhook Service of a chaos run: what kube-proxy does for the API server's calls to restore-hooks-webhook, as
 * a TCP proxy on 127.0.0.1. Every controller replica serves the webhooks on a port of its own; the webhook
 * configuration's url names this proxy, and each connection goes to the next replica in rotation (TLS passes
 * through: the API server verifies the replica's own certificate against the caBundle). A replica leaves the
 * rotation `endpointLagMs` after it stops serving, as an Endpoints update reaches kube-proxy a moment after a pod
 * dies: connections sent to it meanwhile are refused and reset, and the API server's call fails.
 *
 * Fault: `stall(ms)` holds every connection, new and open, for that long without passing a byte (a hung replica or
 * a partitioned node), so calls in flight exceed the webhook's timeoutSeconds.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface WebhookBackend {
  readonly id: string;
  readonly port: number;
  /** Whether it serves now (its server listens with a certificate). */
  readonly serving: boolean;
}

export interface WebhookServiceCounters {
  connections: number;
  /** Connections reset because the chosen replica did not accept them (it had just died). */
  refused: number;
  /** Connections that arrived with no replica in rotation. */
  noEndpoint: number;
  /** Connections open or opened while a stall held them. */
  stalled: number;
  stalls: number;
  stalledMs: number;
}

export class WebhookService {
  readonly counters: WebhookServiceCounters = {
    connections: 0,
    refused: 0,
    noEndpoint: 0,
    stalled: 0,
    stalls: 0,
    stalledMs: 0,
  };
  readonly #backends: () => readonly WebhookBackend[];
  readonly #endpointLagMs: number;
  readonly #lastServing = new Map<string, number>();
  readonly #open = new Set<Socket>();
  readonly #held = new Set<Socket>();
  #server: Server | undefined;
  #next = 0;
  #stalledUntil = 0;
  #port = 0;

  constructor(backends: () => readonly WebhookBackend[], endpointLagMs = 1000) {
    this.#backends = backends;
    this.#endpointLagMs = endpointLagMs;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  async listen(): Promise<void> {
    const server = createServer((client) => this.#accept(client));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
  }

  /** The replicas in rotation now: serving, or stopped less than the endpoint lag ago. */
  endpoints(now = Date.now()): WebhookBackend[] {
    const out: WebhookBackend[] = [];
    for (const b of this.#backends()) {
      if (b.serving) this.#lastServing.set(b.id, now);
      const last = this.#lastServing.get(b.id);
      if (last !== undefined && now - last <= this.#endpointLagMs) out.push(b);
    }
    return out;
  }

  /** Holds every connection for `ms`: calls in flight then exceed the webhook's timeoutSeconds. */
  stall(ms: number): void {
    const now = Date.now();
    this.#stalledUntil = Math.max(this.#stalledUntil, now + ms);
    this.counters.stalls++;
    this.counters.stalledMs += ms;
    for (const socket of this.#open) {
      socket.pause();
      this.counters.stalled++;
    }
    setTimeout(() => {
      if (Date.now() < this.#stalledUntil) return;
      for (const socket of this.#open) socket.resume();
    }, ms).unref();
  }

  #accept(client: Socket): void {
    this.counters.connections++;
    client.on('error', () => {});
    const wait = this.#stalledUntil - Date.now();
    if (wait > 0) {
      // Held unread (not in #open, which the stall's end resumes): #forward connects it and lets it flow.
      this.counters.stalled++;
      client.pause();
      this.#held.add(client);
      setTimeout(() => {
        this.#held.delete(client);
        if (!client.destroyed) this.#forward(client);
      }, wait).unref();
      return;
    }
    this.#forward(client);
  }

  #forward(client: Socket): void {
    const endpoints = this.endpoints();
    if (endpoints.length === 0) {
      this.counters.noEndpoint++;
      client.resetAndDestroy();
      return;
    }
    const backend = endpoints[this.#next++ % endpoints.length]!;
    const upstream = connect(backend.port, '127.0.0.1');
    this.#open.add(client);
    this.#open.add(upstream);
    const close = () => {
      this.#open.delete(client);
      this.#open.delete(upstream);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') this.counters.refused++;
      if (!client.destroyed) client.resetAndDestroy();
      close();
    });
    client.once('close', close);
    upstream.once('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
    if (Date.now() < this.#stalledUntil) {
      client.pause();
      upstream.pause();
    } else client.resume();
  }

  async close(): Promise<void> {
    for (const socket of [...this.#open, ...this.#held]) socket.destroy();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
