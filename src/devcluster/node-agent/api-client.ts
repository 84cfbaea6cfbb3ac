/**
 * The node agent's connection to a real API server: JSON requests and watches over HTTPS with a bearer token,
 * verified against the cluster's CA. Deliberately small (the devcluster imports nothing from the controller's
 * machinery): the agent needs get, patch, create, delete, list and a watch stream.
 */
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';

export interface AgentConnection {
  /** e.g. https://127.0.0.1:6443 */
  readonly server: string;
  /** PEM of the CA that signed the API server's serving certificate. */
  readonly caCert: string;
  readonly token: string;
}

/** A non-2xx answer, with the Status the server sent. */
export class AgentApiError extends Error {
  override name = 'AgentApiError';
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

type Query = Record<string, string | number | boolean | undefined>;

export class AgentApiClient {
  private readonly dispatcher: Agent;
  private readonly server: string;
  private readonly token: string;

  constructor(connection: AgentConnection) {
    this.server = connection.server.replace(/\/+$/, '');
    this.token = connection.token;
    this.dispatcher = new Agent({ connect: { ca: connection.caCert }, connections: 16 });
  }

  private url(path: string, query: Query = {}): string {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) search.set(k, String(v));
    return `${this.server}${path}${search.size > 0 ? `?${search}` : ''}`;
  }

  async request<T = Record<string, unknown>>(
    method: Dispatcher.HttpMethod,
    path: string,
    options: { query?: Query; body?: unknown; contentType?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const response = await request(this.url(path, options.query), {
      method,
      dispatcher: this.dispatcher,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'application/json',
        'user-agent': 'restore-hooks-node-agent',
        ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300)
      throw errorOf(method, path, response.statusCode, text);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  /**
   * Watches `path` from `resourceVersion`, calling `onEvent` per event, until the server closes the stream (resolves)
   * or it fails (rejects; an ERROR event with a Status rejects with its code, 410 when the version expired).
   */
  async watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await request(this.url(path, { ...query, watch: true }), {
      method: 'GET',
      dispatcher: this.dispatcher,
      headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
      bodyTimeout: 0,
      signal,
    });
    if (response.statusCode !== 200) {
      throw errorOf('WATCH', path, response.statusCode, await response.body.text());
    }
    let buffered = '';
    for await (const chunk of response.body) {
      buffered += (chunk as Buffer).toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line === '') continue;
        const event = JSON.parse(line) as WatchEvent;
        if (event.type === 'ERROR') {
          const status = event.object as { code?: number; reason?: string; message?: string };
          throw new AgentApiError(
            status.code ?? 500,
            status.reason ?? '',
            `watch ${path}: ${status.message ?? ''}`,
          );
        }
        onEvent(event);
      }
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }
}

function errorOf(method: string, path: string, code: number, text: string): AgentApiError {
  let status: { reason?: string; message?: string } = {};
  try {
    status = JSON.parse(text) as typeof status;
  } catch {
    status = { message: text };
  }
  return new AgentApiError(
    code,
    status.reason ?? '',
    `${method} ${path}: HTTP ${code}: ${status.message ?? ''}`,
  );
}

export function isApiCode(e: unknown, ...codes: number[]): boolean {
  return e instanceof AgentApiError && codes.includes(e.code);
}
