/**
 * A fault in front of the controller's webhook server, for one kind of object only, on either bed. The webhook
 * configuration's url names this front (as it would name the webhook Service); the controller serves on a port of
 * its own. The front terminates TLS with the controller's own serving certificate (from its Secret, so the API
 * server verifies it against the caBundle as usual), reads each AdmissionReview and passes it on to the controller,
 * except those `holds` picks: those are never answered, so the API server's call runs into the webhook's
 * timeoutSeconds and, under failurePolicy Ignore, the object is stored as it came. Every other call is answered by
 * the controller, as without the front; while no controller serves, the front drops the call's connection, as a
 * Service without endpoints would, and the API server fails open just the same.
 */
import { Agent, createServer, request } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Settings } from '../../src/config/settings.ts';
import { CA_CERT, TLS_CERT, TLS_KEY } from '../../src/controller/admission/webhook-certificate-rules.ts';
import type { KubeJsonClient } from '../../src/controller/kube-json-client.ts';

/** The parts of an AdmissionReview a fault looks at. */
export interface FrontReview {
  readonly request?: {
    readonly uid?: string;
    readonly kind?: { readonly kind?: string };
    readonly operation?: string;
    readonly namespace?: string;
    readonly object?: {
      readonly metadata?: {
        readonly name?: string;
        readonly generateName?: string;
        readonly labels?: Readonly<Record<string, string>>;
      };
    };
  };
}

export interface HeldCall {
  readonly path: string;
  readonly review: FrontReview;
  readonly atMs: number;
}

/** The host and port of an `https://host:port` url, or of a `host:port` bind address. */
function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `https://${address}`);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
}

export class AdmissionFront {
  /** The calls held so far, oldest first. */
  readonly held: HeldCall[] = [];
  readonly #server: Server;
  readonly #agent: Agent;
  readonly #backend: { host: string; port: number; ca: string };
  readonly #holds: (review: FrontReview) => boolean;
  readonly #open = new Set<ServerResponse>();

  private constructor(
    server: Server,
    backend: { host: string; port: number; ca: string },
    holds: (review: FrontReview) => boolean,
  ) {
    this.#server = server;
    this.#backend = backend;
    this.#holds = holds;
    this.#agent = new Agent({ keepAlive: true });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#serve(req, res));
  }

  /**
   * Starts the front at `webhook.url`, forwarding to `webhook.bindAddress`, once the controller has created its
   * certificate Secret in `namespace` (wait for it first: startServingWebhooks).
   */
  static async start(options: {
    client: KubeJsonClient;
    namespace: string;
    webhook: Settings['webhook'];
    holds: (review: FrontReview) => boolean;
  }): Promise<AdmissionFront> {
    const { client, namespace, webhook } = options;
    const secret = await client.request<{ data?: Record<string, string> }>({
      method: 'GET',
      path: `/api/v1/namespaces/${namespace}/secrets/${webhook.certificates.secretName}`,
    });
    const pem = (key: string) => {
      const value = secret.data?.[key];
      if (!value) throw new Error(`secret ${webhook.certificates.secretName}: no ${key}`);
      return Buffer.from(value, 'base64').toString('utf8');
    };
    const server = createServer({ cert: pem(TLS_CERT), key: pem(TLS_KEY) });
    const front = new AdmissionFront(
      server,
      { ...hostPort(webhook.bindAddress), ca: pem(CA_CERT) },
      options.holds,
    );
    const { host, port } = hostPort(webhook.url);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return front;
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    this.#open.add(res);
    res.on('close', () => this.#open.delete(res));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let review: FrontReview | undefined;
      try {
        review = JSON.parse(body.toString('utf8')) as FrontReview;
      } catch {
        review = undefined;
      }
      if (review && this.#holds(review)) {
        // Never answered: the API server gives up after timeoutSeconds and closes the connection.
        this.held.push({ path: req.url ?? '', review, atMs: Date.now() });
        return;
      }
      this.#forward(req, res, body);
    });
  }

  #forward(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const { host, port, ca } = this.#backend;
    const out = request(
      {
        host,
        port,
        method: req.method,
        path: req.url,
        ca,
        agent: this.#agent,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          'content-length': body.length,
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, {
          'content-type': answer.headers['content-type'] ?? 'application/json',
        });
        answer.pipe(res);
      },
    );
    // No controller serves (or it died mid-call): the call's connection is dropped, and the API server fails open.
    out.on('error', () => req.socket.destroy());
    out.end(body);
  }

  async stop(): Promise<void> {
    for (const res of this.#open) res.socket?.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }
}
