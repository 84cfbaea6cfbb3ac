/**
 * The chaos harness's own client: plain HTTPS to the devcluster with the admin token of a kubeconfig. Faults hit it
 * as they hit the controller, so API calls retry on 409/429/5xx and dropped connections (bounded); the admin
 * endpoints (/devcluster/...) are served before the fault filter and do not need to.
 */
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export interface KubeconfigParts {
  readonly server: string;
  readonly caCert: string;
  readonly token: string;
}

export function parseKubeconfig(text: string): KubeconfigParts {
  const doc = parse(text) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const cluster = doc.clusters[0]!.cluster;
  return {
    server: cluster.server,
    caCert: Buffer.from(cluster['certificate-authority-data'], 'base64').toString(),
    token: doc.users[0]!.user.token,
  };
}

export class HttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 300)}`);
    this.status = status;
    this.body = body;
  }
}

const RETRIABLE = new Set([0, 429, 500, 503, 504]);

export class ClusterClient {
  readonly #parts: KubeconfigParts;
  readonly #agent: Agent;
  /** Requests retried after an injected or transient failure. */
  retries = 0;

  constructor(parts: KubeconfigParts) {
    this.#parts = parts;
    this.#agent = new Agent({ keepAlive: true, maxSockets: 8, ca: parts.caCert });
  }

  close(): void {
    this.#agent.destroy();
  }

  /** One request; resolves to status and body text (status 0: the connection failed). */
  raw(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; text: string }> {
    const url = new URL(path, this.#parts.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      const req = request(
        url,
        {
          method,
          agent: this.#agent,
          timeout: 30_000,
          headers: {
            Authorization: `Bearer ${this.#parts.token}`,
            Accept: 'application/json',
            'User-Agent': 'restore-hooks-chaos',
            ...(payload !== undefined ? { 'Content-Type': contentType } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', () => resolve({ status: 0, text }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, text: e.message }));
      req.end(payload);
    });
  }

  /**
   * A JSON API call that retries injected and transient failures (up to `attempts`), and 409 too when
   * `retryConflicts` (for writes that do not depend on what they read).
   */
  async json<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string; attempts?: number; retryConflicts?: boolean; accept?: number[] } = {},
  ): Promise<T> {
    const attempts = options.attempts ?? 60;
    for (let attempt = 1; ; attempt++) {
      const { status, text } = await this.raw(method, path, body, options.contentType);
      if ((status >= 200 && status < 300) || options.accept?.includes(status))
        return (text === '' ? undefined : JSON.parse(text)) as T;
      const retriable = RETRIABLE.has(status) || (status === 409 && options.retryConflicts === true);
      if (!retriable || attempt >= attempts) throw new HttpError(method, path, status, text);
      this.retries++;
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt)));
    }
  }

  /**
   * A call to an admin endpoint (never faulted; each one is idempotent). A request that got no answer is sent again:
   * a keep-alive connection the server closed as idle fails the request written on it ("socket hang up").
   */
  async admin<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { status, text } = await this.raw(method, path, body);
      if (status === 0 && attempt < 3) continue;
      if (status < 200 || status >= 300) throw new HttpError(method, path, status, text);
      return (text.startsWith('{') ? JSON.parse(text) : text) as T;
    }
  }
}
