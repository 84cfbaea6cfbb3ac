import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from './http-listener.ts';
import type { RunningServer } from './http-listener.ts';

/** A health or readiness check: returns when healthy, throws (or rejects) with the reason when not. */
export type HealthCheck = () => void | Promise<void>;

export type CheckSet = 'healthz' | 'readyz';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** Why the check failed; undefined when it passed. */
  readonly reason?: string;
}

/** A readiness check whose state the controller sets, e.g. "informers-synced" or "leader-election". */
export interface ReadinessGate {
  readonly name: string;
  readonly isReady: boolean;
  ready(): void;
  notReady(reason: string): void;
}

const CHECK_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Named liveness (/healthz) and readiness (/readyz) checks, as controller-runtime's healthz package has them.
 * /healthz always has "ping", which proves the process answers. Well-known readiness gates:
 *   informers-synced  set ready once every informer has completed its first list;
 *   leader-election   set ready once the elector leads or follows a live leader (a follower is ready: it
 *                     would serve at once on failover), not ready when it has lost the lease and is exiting;
 *   shutdown          set not ready on SIGTERM, so that traffic and probes stop before the process does.
 */
export class HealthChecks {
  readonly #checks: Record<CheckSet, Map<string, HealthCheck>> = { healthz: new Map(), readyz: new Map() };
  readonly #timeoutMs: number;

  /** `checkTimeoutMs` bounds each check, so that one hanging check cannot hang the probe. */
  constructor(options: { checkTimeoutMs?: number } = {}) {
    this.#timeoutMs = options.checkTimeoutMs ?? 5_000;
    this.add('healthz', 'ping', () => {});
  }

  /** Registers a check; names are DNS-label-like and unique within their set. */
  add(set: CheckSet, name: string, check: HealthCheck): void {
    if (!CHECK_NAME.test(name))
      throw new RangeError(`health check name ${JSON.stringify(name)}: use lower-case words and dashes`);
    if (this.#checks[set].has(name))
      throw new RangeError(`${set} check ${JSON.stringify(name)} is already registered`);
    this.#checks[set].set(name, check);
  }

  /** Registers a readiness check that fails with `initialReason` until the gate is set ready. */
  readinessGate(name: string, initialReason: string): ReadinessGate {
    let reason: string | undefined = initialReason;
    this.add('readyz', name, () => {
      if (reason !== undefined) throw new Error(reason);
    });
    return {
      name,
      get isReady() {
        return reason === undefined;
      },
      ready: () => (reason = undefined),
      notReady: (why: string) => (reason = why),
    };
  }

  names(set: CheckSet): string[] {
    return [...this.#checks[set].keys()];
  }

  /** Runs the set's checks (all at once), except those excluded; results in registration order. */
  async run(set: CheckSet, only?: string, exclude: readonly string[] = []): Promise<CheckResult[]> {
    const selected = [...this.#checks[set]].filter(([name]) =>
      only ? name === only : !exclude.includes(name),
    );
    return Promise.all(selected.map(([name, check]) => this.#runOne(name, check)));
  }

  async #runOne(name: string, check: HealthCheck): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      await Promise.race([Promise.resolve().then(check), timeout]);
      return { name, ok: true };
    } catch (err) {
      return { name, ok: false, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Serves /healthz and /readyz (and /healthz/NAME, /readyz/NAME) on `bindAddress`; undefined for "0". */
export function startHealthServer(
  checks: HealthChecks,
  bindAddress: string,
): Promise<RunningServer | undefined> {
  return listen(bindAddress, (req, res) => handle(checks, req, res));
}

async function handle(checks: HealthChecks, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const [, set, name, extra] = url.pathname.split('/');
  if ((set !== 'healthz' && set !== 'readyz') || extra !== undefined) return reply(res, 404, 'not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return reply(res, 405, 'method not allowed\n');
  }
  if (name) {
    if (!checks.names(set).includes(name))
      return reply(res, 404, `no ${set} check named ${JSON.stringify(name)}\n`);
    const [result] = await checks.run(set, name);
    return result!.ok ? reply(res, 200, 'ok') : reply(res, 500, `internal server error: ${result!.reason}\n`);
  }
  const results = await checks.run(set, undefined, url.searchParams.getAll('exclude'));
  const healthy = results.every((r) => r.ok);
  const verbose = url.searchParams.has('verbose');
  if (healthy && !verbose) return reply(res, 200, 'ok');
  const lines = results.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.reason}`));
  for (const excluded of url.searchParams.getAll('exclude')) lines.push(`[+]${excluded} excluded: ok`);
  lines.push(`${set} check ${healthy ? 'passed' : 'failed'}`);
  reply(res, healthy ? 200 : 500, lines.join('\n') + '\n');
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
