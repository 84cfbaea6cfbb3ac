import { createSecureContext } from 'node:tls';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { parseBindAddress } from '../../telemetry/http-listener.ts';
import type { Logger } from '../machinery/logger.ts';
import { admissionResponse, parseAdmissionReview } from './admission-review.ts';
import type { AdmissionRequest, JsonPatchOperation } from './admission-review.ts';

/** What a webhook handler answers: the patch (empty: admit unchanged) and any warnings for the client. */
export interface WebhookAnswer {
  readonly patch: readonly JsonPatchOperation[];
  readonly warnings?: readonly string[];
}

export type WebhookHandler = (request: AdmissionRequest) => WebhookAnswer | Promise<WebhookAnswer>;

export interface ServingCertificate {
  /** PEM chain. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
}

export interface WebhookServerOptions {
  readonly bindAddress: string;
  /** Handlers by path, e.g. `/mutate-pods`. */
  readonly handlers: Readonly<Record<string, WebhookHandler>>;
  readonly logger: Logger;
  readonly registry?: Registry;
}

/** kube-apiserver sends at most 3 MiB objects; an AdmissionReview holds at most two of them. */
const MAX_BODY_BYTES = 7 * 1024 * 1024;

/** controller-runtime's webhook metrics, by path. */
class WebhookMetrics {
  readonly requests: Counter<'webhook' | 'code'>;
  readonly latency: Histogram<'webhook'>;
  readonly inFlight: Gauge<'webhook'>;

  constructor(registry: Registry | undefined, paths: readonly string[]) {
    const registers = registry ? [registry] : [];
    this.requests = new Counter({
      name: 'controller_runtime_webhook_requests_total',
      help: 'Total number of admission requests by HTTP status code.',
      labelNames: ['webhook', 'code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'controller_runtime_webhook_latency_seconds',
      help: 'Histogram of the latency of processing admission requests',
      labelNames: ['webhook'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'controller_runtime_webhook_requests_in_flight',
      help: 'Current number of admission requests being served.',
      labelNames: ['webhook'],
      registers,
    });
    for (const webhook of paths) {
      this.inFlight.set({ webhook }, 0);
      this.latency.zero({ webhook });
    }
  }
}

/**
 * The HTTPS server of the admission webhooks. It listens once it has a serving certificate (`loadCertificate`), and
 * swaps the certificate in place when it is renewed: connections opened afterwards use the new one. A body that is
 * not an AdmissionReview gets 400 with the reason; a handler that throws gets 500; neither stops the server.
 */
export class WebhookServer {
  readonly #options: WebhookServerOptions;
  readonly #metrics: WebhookMetrics;
  #server: Server | undefined;
  #listening: Promise<void> | undefined;
  #loaded: ServingCertificate | undefined;
  #port = 0;
  #received = 0;

  constructor(options: WebhookServerOptions) {
    this.#options = options;
    this.#metrics = new WebhookMetrics(options.registry, Object.keys(options.handlers));
  }

  get hasCertificate(): boolean {
    return this.#loaded !== undefined;
  }

  /** Admission requests received so far (any path): a controller that receives them is not idle. */
  get requestsReceived(): number {
    return this.#received;
  }

  /** The bound port, once listening. */
  get port(): number {
    return this.#port;
  }

  /** Loads (or replaces) the serving certificate; the first load starts listening. Throws on a bad key pair. */
  async loadCertificate(certificate: ServingCertificate): Promise<void> {
    if (this.#loaded?.cert === certificate.cert && this.#loaded.key === certificate.key) return;
    // Fails here, before anything changes, when the key does not match the certificate.
    createSecureContext(certificate);
    if (this.#server) {
      this.#server.setSecureContext(certificate);
      this.#loaded = certificate;
      this.#options.logger.info('webhook server: loaded a renewed serving certificate');
      return;
    }
    const address = parseBindAddress(this.#options.bindAddress);
    if (!address) throw new RangeError('webhook.bindAddress "0" cannot serve the webhooks');
    const server = createServer({ ...certificate, keepAliveTimeout: 30_000 }, (req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        this.#options.logger.error('webhook server: request failed', { error: String(error) });
        if (!res.headersSent) reply(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
    server.on('tlsClientError', (error) =>
      this.#options.logger.debug('webhook server: TLS handshake failed', { error: error.message }),
    );
    this.#server = server;
    this.#loaded = certificate;
    this.#listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        this.#port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
    await this.#listening;
    this.#options.logger.info('webhook server listening', {
      address: this.#options.bindAddress,
      port: this.#port,
      paths: Object.keys(this.#options.handlers),
    });
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await this.#listening?.catch(() => {});
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#received++;
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    const handler = this.#options.handlers[path];
    if (!handler) {
      reply(res, 404, `no webhook at ${path}\n`);
      return;
    }
    const webhook = path;
    const m = this.#metrics;
    m.inFlight.inc({ webhook });
    const stop = m.latency.startTimer({ webhook });
    let code = 500;
    try {
      code = await this.#serve(req, res, handler);
    } finally {
      stop();
      m.inFlight.dec({ webhook });
      m.requests.inc({ webhook, code: String(code) });
    }
  }

  async #serve(req: IncomingMessage, res: ServerResponse, handler: WebhookHandler): Promise<number> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return reply(res, 405, 'method not allowed: POST an AdmissionReview\n');
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (contentType !== 'application/json')
      return reply(res, 400, `content type ${JSON.stringify(contentType)}: expected application/json\n`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return reply(res, 413, `body larger than ${MAX_BODY_BYTES} bytes\n`);
      chunks.push(chunk);
    }
    const parsed = parseAdmissionReview(Buffer.concat(chunks).toString('utf8'));
    if (!parsed.ok) {
      this.#options.logger.warn('webhook server: malformed AdmissionReview', { error: parsed.error });
      return reply(res, 400, `malformed AdmissionReview: ${parsed.error}\n`);
    }
    let answer: WebhookAnswer;
    try {
      answer = await handler(parsed.request);
    } catch (error) {
      this.#options.logger.error('webhook handler failed; admitting the object unchanged', {
        uid: parsed.request.uid,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      answer = { patch: [] };
    }
    const body = JSON.stringify(admissionResponse(parsed.request.uid, answer.patch, answer.warnings));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return 200;
  }
}

function reply(res: ServerResponse, status: number, body: string): number {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
  return status;
}
