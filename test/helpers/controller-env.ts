import { PassThrough } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_SETTINGS } from '../../src/config/settings.ts';
import type { Settings } from '../../src/config/settings.ts';
import { runController } from '../../src/controller/run-controller.ts';
import { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import { startDevCluster } from '../../src/devcluster/index.ts';
import type { DevCluster } from '../../src/devcluster/index.ts';
import { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node';

export const CONTROLLER_NAMESPACE = 'restore-hooks';

export interface ControllerEnv {
  readonly cluster: DevCluster;
  readonly kubeConfig: KubeConfig;
  /** A plain-JSON client for setup and assertions, over client-node's transport. */
  readonly client: KubeJsonClient;
  /** JSON log lines the controller wrote. */
  readonly logs: Record<string, unknown>[];
  /** The running controller's /metrics text. */
  scrapeMetrics(): Promise<string>;
  /** Starts (or restarts) the controller. */
  startController(overrides?: Partial<Settings>): Promise<void>;
  /** Stops the controller gracefully; resolves to its exit status. */
  stopController(): Promise<number>;
  stop(): Promise<void>;
}

export async function startControllerEnv(options: { conditionsCrd?: boolean } = {}): Promise<ControllerEnv> {
  const cluster = await startDevCluster();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(cluster.kubeconfig());
  const client = new KubeJsonClient(kubeConfig, new IsomorphicFetchHttpLibrary(), 'restore-hooks-tests');
  for (const name of ['velero', 'app', 'other', CONTROLLER_NAMESPACE]) {
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
  }
  if (options.conditionsCrd) await addConditionsToRestoreCrd(client);
  const logs: Record<string, unknown>[] = [];
  let running: { abort: AbortController; done: Promise<number> } | undefined;
  let metricsUrl: string | undefined;

  const env: ControllerEnv = {
    cluster,
    kubeConfig,
    client,
    logs,
    async scrapeMetrics() {
      if (!metricsUrl) throw new Error('the controller serves no metrics yet');
      return (await fetch(`${metricsUrl}/metrics`)).text();
    },
    async startController(overrides = {}) {
      if (running) throw new Error('controller already running');
      const stream = new PassThrough();
      stream.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n'))
          if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      });
      const abort = new AbortController();
      const settings: Settings = {
        ...DEFAULT_SETTINGS,
        metricsBindAddress: '127.0.0.1:0',
        healthProbeBindAddress: '127.0.0.1:0',
        logLevel: 'debug',
        ...overrides,
      };
      const done = runController({
        settings,
        env: { POD_NAMESPACE: CONTROLLER_NAMESPACE },
        signal: abort.signal,
        logStream: stream,
        kubeConfig,
        onListening: (addresses) => (metricsUrl = addresses.metrics),
      });
      running = { abort, done };
    },
    async stopController() {
      if (!running) return 0;
      const { abort, done } = running;
      running = undefined;
      abort.abort();
      return done;
    },
    async stop() {
      await env.stopController();
      await cluster.stop();
    },
  };
  return env;
}

/** Applies config/crd/patches/restore-status-conditions.yaml's change, as a cluster admin would. */
async function addConditionsToRestoreCrd(client: KubeJsonClient): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const ops = parse(
    readFileSync(new URL('../../config/crd/patches/restore-status-conditions.yaml', import.meta.url), 'utf8'),
  ) as unknown;
  await client.request({
    method: 'PATCH',
    path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/restores.velero.io',
    contentType: 'application/json-patch+json',
    body: ops,
  });
}

/** Polls `probe` until it returns a value other than undefined; fails with the last value's description. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
