/**
 * The processes of a chaos run: the devcluster (`restore-hooks devcluster --backups DIR --rbac`) and the controller
 * replicas (`restore-hooks run --leader-elect`), each a real child process so that SIGKILL is real. The supervisor
 * restarts a replica that exits or is killed, as a Deployment's kubelet would.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class DevclusterProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #stderr = '';

  constructor(args: string[], logFile: string) {
    const log = createWriteStream(logFile);
    this.child = spawn(process.execPath, [CLI, 'devcluster', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.pipe(log);
    this.child.stderr!.on('data', (d: Buffer) => {
      this.#stderr += d.toString();
      log.write(d);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get stderr(): string {
    return this.#stderr;
  }

  async waitForKubeconfig(path: string): Promise<void> {
    let gone = false;
    void this.exited.then(() => (gone = true));
    await waitUntil(
      'the devcluster to write its kubeconfig',
      () => {
        if (gone) throw new Error(`the devcluster exited: ${this.#stderr}`);
        return existsSync(path);
      },
      60_000,
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface ReplicaOptions {
  readonly id: string;
  readonly kubeconfig: string;
  readonly config: string;
  readonly logFile: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * Serve the admission webhooks on 127.0.0.1:port, reached by the API server at `url` (the chaos run's webhook
   * Service); absent: --no-webhook (the reconcilers' path alone).
   */
  readonly webhook?: { readonly port: number; readonly url: string };
}

/** One incarnation of a controller replica. */
interface Incarnation {
  readonly child: ChildProcess;
  readonly metricsPort: number;
  readonly exited: Promise<void>;
  leading: boolean;
  /** Its webhook server listens (it logged so); false again once it exits. */
  serving: boolean;
  /** SIGKILLed, not yet exited. */
  killed?: boolean;
  /** The last /metrics text scraped from it. */
  lastMetrics: string;
}

/** Restarts on exit, with a short back-off; counts starts, kills and exits by cause. */
export class SupervisedReplica {
  readonly id: string;
  starts = 0;
  kills = 0;
  /** Exits the replica chose (exit code), e.g. after losing the lease. */
  readonly exits: number[] = [];
  /** Final metrics of every incarnation, for totals. */
  readonly finishedMetrics: string[] = [];
  #current: Incarnation | undefined;
  #stopping = false;
  readonly #options: ReplicaOptions;
  readonly #log: WriteStream;

  constructor(options: ReplicaOptions) {
    this.id = options.id;
    this.#options = options;
    this.#log = createWriteStream(options.logFile);
  }

  get leading(): boolean {
    return this.#current?.leading === true && this.#current.killed !== true;
  }

  get alive(): boolean {
    return this.#current !== undefined && this.#current.killed !== true;
  }

  /** Whether the current incarnation serves the webhooks. */
  get serving(): boolean {
    return this.#current?.serving === true;
  }

  /** The webhook port (constant across restarts), when it serves webhooks. */
  get webhookPort(): number | undefined {
    return this.#options.webhook?.port;
  }

  get metricsUrl(): string | undefined {
    return this.#current ? `http://127.0.0.1:${this.#current.metricsPort}/metrics` : undefined;
  }

  async start(): Promise<void> {
    const metricsPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '--kubeconfig',
        this.#options.kubeconfig,
        '--config',
        this.#options.config,
        '--leader-elect',
        '--metrics-bind-address',
        `127.0.0.1:${metricsPort}`,
        '--health-probe-bind-address',
        '0',
        ...(this.#options.webhook
          ? [
              '--webhook-bind-address',
              `127.0.0.1:${this.#options.webhook.port}`,
              '--webhook-url',
              this.#options.webhook.url,
            ]
          : ['--no-webhook']),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.#options.env } },
    );
    this.starts++;
    const incarnation: Incarnation = {
      child,
      metricsPort,
      leading: false,
      serving: false,
      lastMetrics: '',
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    let pending = '';
    child.stdout!.on('data', (d: Buffer) => {
      this.#log.write(d);
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (incarnation.killed) continue;
        if (line.includes('"controllers started"')) incarnation.leading = true;
        if (line.includes('"webhook server listening"')) incarnation.serving = true;
      }
    });
    child.stderr!.on('data', (d: Buffer) => this.#log.write(d));
    this.#current = incarnation;
    void incarnation.exited.then(() => {
      incarnation.serving = false;
      this.finishedMetrics.push(incarnation.lastMetrics);
      if (this.#current === incarnation) this.#current = undefined;
      if (child.signalCode !== 'SIGKILL') this.exits.push(child.exitCode ?? -1);
      if (!this.#stopping) setTimeout(() => void (this.#stopping ? undefined : this.start()), 500);
    });
  }

  /**
   * SIGKILL now; the supervisor restarts it. From now on it neither leads nor serves (its exit is reported a moment
   * later), so a kill planned right after this one picks another target.
   */
  kill(): void {
    const current = this.#current;
    if (!current || current.killed) return;
    this.kills++;
    current.killed = true;
    current.leading = false;
    current.serving = false;
    current.child.kill('SIGKILL');
  }

  async scrape(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    try {
      const res = await fetch(`http://127.0.0.1:${current.metricsPort}/metrics`, {
        signal: AbortSignal.timeout(2000),
      });
      if (res.ok) current.lastMetrics = await res.text();
    } catch {
      // not listening yet, or just killed
    }
  }

  /** Metrics texts of every incarnation (the live one's latest scrape included). */
  allMetrics(): string[] {
    return [...this.finishedMetrics, ...(this.#current ? [this.#current.lastMetrics] : [])];
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const current = this.#current;
    if (current) {
      await this.scrape();
      current.child.kill('SIGTERM');
      const timer = setTimeout(() => current.child.kill('SIGKILL'), 15_000);
      await current.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}

/** Sums the samples of a metric (all label sets) in Prometheus text, optionally only those whose labels match. */
export function sumMetric(text: string, name: string, labelFilter?: (labels: string) => boolean): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (labelFilter && !labelFilter(m[2] ?? '')) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) total += v;
  }
  return total;
}
