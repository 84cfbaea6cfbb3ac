/**
 * The two processes under measurement, each started as a user would: `restore-hooks devcluster --simulation` and
 * `restore-hooks run`, with the same Node binary as the benchmark. Nothing is shared in memory with the bench.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchClient, readKubeconfig } from './kube.ts';

const SOURCE_CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/** What `npm run build` produces and the container image runs (node dist/cli.js run). */
export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

/**
 * The Node.js flags the container image runs the controller with: those between `node` and `dist/cli.js` in the
 * Dockerfile's ENTRYPOINT (exec form). The bench passes the same, so that it measures the controller as shipped.
 */
export function imageNodeFlags(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string[] {
  const line = dockerfile.split('\n').findLast((l) => l.startsWith('ENTRYPOINT '));
  let argv: unknown;
  try {
    argv = line ? JSON.parse(line.slice('ENTRYPOINT '.length)) : undefined;
  } catch {
    argv = undefined;
  }
  const node = Array.isArray(argv) ? argv.indexOf('node') : -1;
  const cli = Array.isArray(argv) ? argv.indexOf('dist/cli.js') : -1;
  if (!Array.isArray(argv) || node < 0 || cli < node)
    throw new Error(`${DOCKERFILE}: expected an exec-form ENTRYPOINT running node ... dist/cli.js`);
  return argv.slice(node + 1, cli).map(String);
}

/**
 * The environment the container image sets: the `ENV KEY=VALUE ...` lines of the Dockerfile's final stage (e.g.
 * glibc malloc's tunables). The bench starts the controller with them too. Quoted values are not supported.
 */
export function imageEnv(dockerfile = readFileSync(DOCKERFILE, 'utf8')): Record<string, string> {
  const lines = dockerfile.split('\n');
  const env: Record<string, string> = {};
  for (const line of lines.slice(lines.findLastIndex((l) => l.startsWith('FROM ')) + 1)) {
    if (!line.startsWith('ENV ')) continue;
    for (const pair of line.slice('ENV '.length).trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || /["'\\]/.test(pair))
        throw new Error(
          `${DOCKERFILE}: expected ENV KEY=VALUE pairs without quotes, got ${JSON.stringify(line)}`,
        );
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** Which program runs the controller: the built one, as shipped, unless told otherwise. */
let controllerCli = BUILT_CLI;
export function useControllerFrom(source: 'dist' | 'src'): void {
  controllerCli = source === 'dist' ? BUILT_CLI : SOURCE_CLI;
}
/** The CLI the controller runs from (also `restore-hooks status` in the bench). */
export const controllerCliPath = () => controllerCli;

/** Polls until `probe` returns something other than undefined, or fails naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Children still running: killed if the bench exits early (an error, Ctrl-C), so none outlives it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });

function start(cli: string, args: string[], env: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeFlags, cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      // A process that ends on its own mid-run leaves the bench waiting on a dead server: say so, with its output.
      if (!child.killed)
        process.stderr.write(
          `[bench] ${cli} ${args[0] ?? ''} exited on its own (${String(code ?? signal)}):\n${output.slice(-5000)}\n`,
        );
      resolve(code);
    }),
  );
  return { process: child, exited, output: () => output };
}

async function stop(child: Child, what: string): Promise<void> {
  if (child.process.exitCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 15_000);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0 && code !== null) throw new Error(`${what} exited ${code} on SIGTERM:\n${child.output()}`);
}

function failFast(child: Child, what: string): Promise<never> {
  return child.exited.then((code) => {
    throw new Error(`${what} exited early (${String(code)}):\n${child.output()}`);
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface DevclusterProcess {
  readonly pid: number;
  readonly kubeconfig: string;
  /** An admin client for setup and observation (User-Agent restore-hooks-bench). */
  readonly admin: BenchClient;
  stop(): Promise<void>;
}

/** Extra Node options for the processes the bench starts (e.g. --cpu-prof), from --profile DIR. */
let profileDir: string | undefined;
export function profileInto(dir: string | undefined): void {
  profileDir = dir;
}
const profiling = (): NodeJS.ProcessEnv =>
  profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir} ` } : {};

export async function startDevcluster(dir: string): Promise<DevclusterProcess> {
  const kubeconfig = join(dir, `kubeconfig-${Date.now()}`);
  const child = start(SOURCE_CLI, ['devcluster', '--simulation', '--kubeconfig', kubeconfig], profiling());
  const ready = until('the devcluster kubeconfig', () => (existsSync(kubeconfig) ? true : undefined), 60_000);
  await Promise.race([ready, failFast(child, 'devcluster')]);
  const admin = new BenchClient(await readKubeconfig(kubeconfig), 'restore-hooks-bench');
  return {
    pid: child.process.pid!,
    kubeconfig,
    admin,
    stop: async () => {
      admin.close();
      await stop(child, 'devcluster');
    },
  };
}

export interface ControllerSettings {
  readonly reconciles: number;
  readonly qps: number;
  readonly burst: number;
  /** concurrency.execHooks; default the controller's. */
  readonly execHooks?: number;
  /** exec.veleroRestoredPods: Run (the bench's exec restore has no Velero running its hooks). */
  readonly runExecHooksOfVeleroPods?: boolean;
  /**
   * Serve the admission webhooks on this port of 127.0.0.1 (url mode: the controller writes the
   * MutatingWebhookConfiguration itself), as the product does; absent: `--no-webhook`, the reconcilers' path.
   */
  readonly webhookPort?: number;
}

export interface ControllerProcess {
  readonly pid: number;
  /** The controller's /metrics text. */
  scrape(): Promise<string>;
  stop(): Promise<void>;
}

export const CONTROLLER_NAMESPACE = 'restore-hooks';

export async function startController(
  dir: string,
  kubeconfig: string,
  settings: ControllerSettings,
): Promise<ControllerProcess> {
  const config = join(dir, 'controller.yaml');
  await writeFile(
    config,
    [
      'veleroNamespaces: [velero]',
      `concurrency: { reconciles: ${settings.reconciles}${settings.execHooks ? `, execHooks: ${settings.execHooks}` : ''} }`,
      `api: { qps: ${settings.qps}, burst: ${settings.burst} }`,
      ...(settings.runExecHooksOfVeleroPods ? ['exec: { veleroRestoredPods: Run }'] : []),
      ...(settings.webhookPort !== undefined
        ? [
            `webhook: { bindAddress: '127.0.0.1:${settings.webhookPort}', url: 'https://127.0.0.1:${settings.webhookPort}' }`,
          ]
        : []),
      '',
    ].join('\n'),
  );
  const metrics = await freePort();
  const health = await freePort();
  const child = start(
    controllerCli,
    [
      'run',
      '--kubeconfig',
      kubeconfig,
      '--config',
      config,
      '--metrics-bind-address',
      `127.0.0.1:${metrics}`,
      '--health-probe-bind-address',
      `127.0.0.1:${health}`,
      '--log-level',
      'error',
      // Without a webhook port: the reconcilers' path, as the figures of docs/performance.md before admission.
      ...(settings.webhookPort === undefined ? ['--no-webhook'] : []),
    ],
    {
      ...imageEnv(),
      POD_NAMESPACE: CONTROLLER_NAMESPACE,
      ...profiling(),
    },
    imageNodeFlags(),
  );
  const ready = until(
    'the controller to be ready (/readyz)',
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${health}/readyz`)).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
    100,
  );
  await Promise.race([ready, failFast(child, 'controller')]);
  if (settings.webhookPort !== undefined)
    await Promise.race([webhooksServed(kubeconfig), failFast(child, 'controller')]);
  return {
    pid: child.process.pid!,
    scrape: async () => (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text(),
    stop: () => stop(child, 'controller'),
  };
}

const TRIVIAL_WEBHOOK = fileURLToPath(new URL('./trivial-webhook.ts', import.meta.url));

export interface TrivialWebhookProcess {
  readonly pid: number;
  /** https://127.0.0.1:PORT */
  readonly url: string;
  stop(): Promise<void>;
}

/** The latency's control (trivial-webhook.ts): admits every object untouched, with the given serving certificate. */
export async function startTrivialWebhook(
  dir: string,
  certificate: { cert: string; key: string },
): Promise<TrivialWebhookProcess> {
  const file = join(dir, `trivial-webhook-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(certificate), { mode: 0o600 });
  const child = start(TRIVIAL_WEBHOOK, [file], profiling());
  const port = until(
    'the trivial webhook to listen',
    () => /^listening (\d+)$/m.exec(child.output())?.[1],
    60_000,
  );
  const listening = await Promise.race([port, failFast(child, 'trivial webhook')]);
  return {
    pid: child.process.pid!,
    url: `https://127.0.0.1:${listening}`,
    stop: () => stop(child, 'trivial webhook'),
  };
}

/** The MutatingWebhookConfiguration the controller writes in url mode. */
export const WEBHOOK_CONFIGURATION_PATH =
  '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/restore-hooks';

/** Until the controller's CA is in every caBundle: from then on the devcluster calls its webhooks. */
async function webhooksServed(kubeconfig: string): Promise<void> {
  const client = new BenchClient(await readKubeconfig(kubeconfig), 'restore-hooks-bench');
  try {
    await until(
      'the controller to write its webhook configuration and CA bundle',
      async () => {
        const mwc = await client
          .request<{ webhooks?: { clientConfig?: { caBundle?: string } }[] }>(
            'GET',
            WEBHOOK_CONFIGURATION_PATH,
          )
          .catch(() => undefined);
        const hooks = mwc?.webhooks ?? [];
        return hooks.length > 0 && hooks.every((w) => (w.clientConfig?.caBundle ?? '') !== '')
          ? true
          : undefined;
      },
      60_000,
      100,
    );
  } finally {
    client.close();
  }
}

/** A kubeconfig for a ServiceAccount (NAMESPACE/NAME), minted by the devcluster, written next to the admin's. */
export async function serviceAccountKubeconfig(
  devcluster: DevclusterProcess,
  serviceAccount: string,
): Promise<string> {
  const yaml = await devcluster.admin.requestText(
    'GET',
    `/devcluster/kubeconfig?serviceAccount=${encodeURIComponent(serviceAccount)}`,
  );
  const path = `${devcluster.kubeconfig}-${serviceAccount.replace('/', '-')}`;
  await writeFile(path, yaml);
  return path;
}

/** The username the API server gives a ServiceAccount (NAMESPACE/NAME). */
export const serviceAccountUser = (serviceAccount: string) =>
  `system:serviceaccount:${serviceAccount.replace('/', ':')}`;

/** The samples named `name` in a Prometheus text exposition: their label sets (`{...}` or '') and values. */
function* samples(exposition: string, name: string): Iterable<{ labels: string; value: number }> {
  for (const m of exposition.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm')))
    yield { labels: m[1] ?? '', value: Number(m[2]) };
}

/** A sample of a Prometheus text exposition without labels, e.g. process_resident_memory_bytes. */
export function metricValue(exposition: string, name: string): number {
  for (const sample of samples(exposition, name)) return sample.value;
  throw new Error(`metric ${name} not found in the controller's /metrics`);
}

/** The sum of a sample over all its label sets (e.g. `x_count`), or only those whose labels contain `having`. */
export function metricTotal(exposition: string, name: string, having = ''): number {
  let total = 0;
  for (const sample of samples(exposition, name)) if (sample.labels.includes(having)) total += sample.value;
  return total;
}

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from /proc (Linux); undefined elsewhere.
 * Unlike latencies, it hardly depends on what else the machine runs.
 */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}
