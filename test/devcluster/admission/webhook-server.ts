/**
 * A small HTTPS admission webhook for the tests: a certificate from the devcluster's own TLS helper, one handler per
 * path deciding each answer, and every AdmissionReview it received kept in order.
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateServingCertificates } from '../../../src/devcluster/tls/certificates.ts';

export interface ReviewRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind: { group: string; version: string; kind: string };
  requestResource: { group: string; version: string; resource: string };
  name?: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; uid?: string; groups?: string[] };
  object: Record<string, unknown> & {
    metadata: { name?: string; uid?: string; labels?: Record<string, string> };
    data?: unknown;
  };
  oldObject: (Record<string, unknown> & { metadata: { labels?: Record<string, string> } }) | null;
  dryRun: boolean;
  options: Record<string, unknown>;
}

/** What a handler answers: a response (uid filled in unless given), or raw text, or nothing (hang). */
export type Answer =
  | { response: Record<string, unknown>; status?: number }
  | { raw: string; status?: number; contentType?: string }
  | { hang: true };

export type Handler = (request: ReviewRequest) => Answer;

export interface Received {
  readonly path: string;
  readonly query: string;
  readonly request: ReviewRequest;
}

export class TestWebhook {
  readonly received: Received[] = [];
  readonly handlers = new Map<string, Handler>();
  caBundle = '';
  port = 0;
  #server: Server | undefined;
  readonly #hanging = new Set<() => void>();

  /** Listens on 127.0.0.1 with a certificate for `hosts`. */
  async start(hosts: readonly string[] = ['127.0.0.1']): Promise<this> {
    const tls = await generateServingCertificates(hosts);
    this.caBundle = Buffer.from(tls.caCert).toString('base64');
    this.#server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://webhook.invalid');
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: ReviewRequest };
        this.received.push({ path: url.pathname, query: url.search, request: review.request });
        const handler = this.handlers.get(url.pathname) ?? allow();
        const answer = handler(review.request);
        if ('hang' in answer) {
          const release = () => res.destroy();
          this.#hanging.add(release);
          res.on('close', () => this.#hanging.delete(release));
          return;
        }
        if ('raw' in answer) {
          res.writeHead(answer.status ?? 200, { 'Content-Type': answer.contentType ?? 'application/json' });
          return void res.end(answer.raw);
        }
        const body = JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, ...answer.response },
        });
        res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json' });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `https://127.0.0.1:${this.port}${path}`;
  }

  /** The requests received on `path`. */
  on(path: string): ReviewRequest[] {
    return this.received.filter((r) => r.path === path).map((r) => r.request);
  }

  async stop(): Promise<void> {
    for (const release of this.#hanging) release();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

export function allow(extra: Record<string, unknown> = {}): Handler {
  return () => ({ response: { allowed: true, ...extra } });
}

/** Allows with a JSON Patch built from the request. */
export function patching(
  build: (request: ReviewRequest) => unknown[],
  extra: Record<string, unknown> = {},
): Handler {
  return (request) => ({
    response: {
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(build(request))).toString('base64'),
      ...extra,
    },
  });
}

/** A JSON Patch adding a container named `name` to a pod. */
export function addContainer(name: string): Handler {
  return patching(() => [{ op: 'add', path: '/spec/containers/-', value: { name, image: `${name}:1` } }]);
}
