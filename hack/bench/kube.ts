/**
 * The benchmark's own Kubernetes client: plain JSON over HTTPS with a keep-alive agent, a User-Agent of its own
 * (so the devcluster's request counter tells its writes from the controller's), and NDJSON watches. Deliberately
 * minimal: the floor of the benchmark is "a bare client", so no informer, cache or retry logic lives here.
 */
import { Agent, request } from 'node:https';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

export interface Credentials {
  readonly server: string;
  readonly ca: string;
  readonly token: string;
}

export async function readKubeconfig(path: string): Promise<Credentials> {
  const doc = parse(await readFile(path, 'utf8')) as {
    clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
    users?: { user?: { token?: string } }[];
  };
  const cluster = doc.clusters?.[0]?.cluster;
  const token = doc.users?.[0]?.user?.token;
  if (!cluster?.server || !cluster['certificate-authority-data'] || !token)
    throw new Error(`${path}: expected a kubeconfig with a server, certificate-authority-data and a token`);
  return {
    server: cluster.server,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    token,
  };
}

export class ApiError extends Error {
  readonly status: number;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 300)}`);
    this.status = status;
  }
}

export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export class BenchClient {
  readonly #credentials: Credentials;
  readonly #agent: Agent;
  readonly #userAgent: string;
  readonly #watches = new Set<() => void>();

  constructor(credentials: Credentials, userAgent: string, maxSockets = 32) {
    this.#credentials = credentials;
    this.#userAgent = userAgent;
    this.#agent = new Agent({ keepAlive: true, maxSockets, ca: credentials.ca });
  }

  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    return this.requestText(method, path, body, contentType).then(
      (text) => (text ? JSON.parse(text) : undefined) as T,
    );
  }

  /** The answer's body as text (e.g. the YAML of /devcluster/kubeconfig); rejects with ApiError unless 2xx. */
  requestText(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<string> {
    // Content-Length always: Node sends a DELETE's body neither chunked nor with a length unless told.
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return this.#send(method, path, payload, contentType, false);
  }

  /**
   * One request. A kept-alive connection the server closed (its idle timeout) just as it was reused fails with
   * ECONNRESET before the request reached the server: that one is sent again, once, on a new connection.
   */
  #send(
    method: string,
    path: string,
    payload: string | undefined,
    contentType: string,
    retried: boolean,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.#credentials.server),
        {
          method,
          agent: this.#agent,
          headers: {
            Authorization: `Bearer ${this.#credentials.token}`,
            'User-Agent': this.#userAgent,
            Accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(text);
            else reject(new ApiError(method, path, status, text));
          });
          res.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (!retried && req.reusedSocket && error.code === 'ECONNRESET')
          resolve(this.#send(method, path, payload, contentType, true));
        else reject(error);
      });
      req.end(payload);
    });
  }

  /**
   * Opens a watch (from the current state: synthetic ADDED events first); returns a function that ends it. The
   * bench's watches run until it stops them, so a watch that ends otherwise is an error (`onError`): the server
   * closed it (the devcluster drops a watcher that falls 64 MiB behind, as kube-apiserver drops a slow one) or the
   * connection broke. Unreported, the events it would have brought are waited for until a long timeout.
   */
  watch<T>(path: string, onEvent: (event: WatchEvent<T>) => void, onError: (e: Error) => void): () => void {
    let buffer = '';
    let events = 0;
    let stopped = false;
    let failed = false;
    const fail = (error: Error) => {
      if (stopped || failed) return;
      failed = true;
      onError(error);
    };
    const separator = path.includes('?') ? '&' : '?';
    const req = request(
      new URL(`${path}${separator}watch=true`, this.#credentials.server),
      {
        agent: false,
        ca: this.#credentials.ca,
        headers: { Authorization: `Bearer ${this.#credentials.token}`, 'User-Agent': this.#userAgent },
      },
      (res) => {
        if (res.statusCode !== 200) {
          fail(new Error(`watch ${path}: HTTP ${res.statusCode ?? 0}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line.trim()) {
              events++;
              onEvent(JSON.parse(line) as WatchEvent<T>);
            }
          }
        });
        res.on('error', () => undefined);
        res.on('close', () =>
          fail(
            new Error(
              `watch ${path}: ended by the server or the connection after ${events} events (${res.complete ? 'closed' : 'broken'})`,
            ),
          ),
        );
      },
    );
    req.on('error', fail);
    req.end();
    const stop = () => {
      stopped = true;
      this.#watches.delete(stop);
      req.destroy();
    };
    this.#watches.add(stop);
    return stop;
  }

  close(): void {
    for (const stop of [...this.#watches]) stop();
    this.#agent.destroy();
  }
}
