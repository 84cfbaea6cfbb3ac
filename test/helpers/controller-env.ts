import { PassThrough } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_SETTINGS } from '../../src/config/settings.ts';
import type { Settings } from '../../src/config/settings.ts';
import { runController } from '../../src/controller/run-controller.ts';
import type { RunControllerOptions } from '../../src/controller/run-controller.ts';
import type { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import { rbacAuthorizer } from '../../src/devcluster/rbac/index.ts';
import type { RequestAttributes } from '../../src/devcluster/http/extension-points.ts';
import type { SimulatedCluster } from '../../src/devcluster/simulated.ts';
import { CONTROLLER_NAMESPACE, CONTROLLER_USER, startBed } from './bed.ts';
import type { Bed, BedKind, BedOptions } from './bed.ts';

export { CONTROLLER_NAMESPACE } from './bed.ts';

export interface ControllerEnv {
  /** The cluster the suite runs on (devcluster or real control plane). */
  readonly bed: Bed;
  /** The devcluster (fault injector, request counter, simulation); throws on another bed. */
  readonly cluster: SimulatedCluster;
  /**
   * Devcluster with `rbac`: every request the controller's ServiceAccount was allowed to make, in order. A real API
   * server does not expose its authorizer's decisions to the bed: empty there.
   */
  readonly authorizedRequests: RequestAttributes[];
  /** The kubeconfig the controller runs with. */
  readonly kubeConfig: KubeConfig;
  /** A plain-JSON admin client for setup and assertions, over client-node's transport. */
  readonly client: KubeJsonClient;
  /** Velero's client: Restores and the objects a restore brings back are created through it. */
  readonly velero: KubeJsonClient;
  /** JSON log lines the controller wrote. */
  readonly logs: Record<string, unknown>[];
  /** The running controller's /metrics text. */
  scrapeMetrics(): Promise<string>;
  /** Whether a controller started by startController is running. */
  readonly controllerRunning: boolean;
  /** Starts (or restarts) the controller. */
  startController(overrides?: Partial<Settings>): Promise<void>;
  /** Stops the controller gracefully; resolves to its exit status. */
  stopController(): Promise<number>;
  stop(): Promise<void>;
}

export interface ControllerEnvOptions extends BedOptions {
  /** The bed to run on (default the devcluster; suites written with describeOnBeds pass the selected one). */
  readonly bed?: BedKind;
}

export async function startControllerEnv(options: ControllerEnvOptions = {}): Promise<ControllerEnv> {
  const bed = await startBed(options.bed ?? 'devcluster', options);
  const authorizedRequests: RequestAttributes[] = [];
  const devcluster = bed.devcluster;
  if (devcluster && bed.rbac) {
    const authorize = rbacAuthorizer(devcluster.api);
    devcluster.http.authorizer = async (attributes) => {
      const decision = await authorize(attributes);
      if (decision.allowed && attributes.user.username === CONTROLLER_USER)
        authorizedRequests.push(attributes);
      return decision;
    };
  }
  const kubeConfig = bed.controllerKubeConfig;
  const logs: Record<string, unknown>[] = [];
  let running: { abort: AbortController; done: Promise<number> } | undefined;
  let metricsUrl: string | undefined;

  const env: ControllerEnv = {
    bed,
    get cluster(): SimulatedCluster {
      if (!devcluster) throw new Error(`this needs the devcluster; the suite runs on the ${bed.kind} bed`);
      return devcluster;
    },
    authorizedRequests,
    kubeConfig,
    client: bed.client,
    velero: bed.velero,
    logs,
    async scrapeMetrics() {
      if (!metricsUrl) throw new Error('the controller serves no metrics yet');
      return (await fetch(`${metricsUrl}/metrics`)).text();
    },
    get controllerRunning() {
      return running !== undefined;
    },
    async startController(overrides = {}) {
      if (running) throw new Error('controller already running');
      const settings: Settings = {
        ...DEFAULT_SETTINGS,
        metricsBindAddress: '127.0.0.1:0',
        healthProbeBindAddress: '127.0.0.1:0',
        logLevel: 'debug',
        // The admission webhooks only where a test asks for them (on a free port, out of cluster: url mode).
        webhook: { ...DEFAULT_SETTINGS.webhook, enabled: false, bindAddress: '127.0.0.1:0' },
        ...overrides,
      };
      const { abort, done } = runReplica(settings, kubeConfig, {
        logs,
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
      await bed.stop();
    },
  };
  return env;
}

export interface ControllerReplica {
  /** JSON log lines the replica wrote. */
  readonly logs: Record<string, unknown>[];
  readonly abort: AbortController;
  /** Its exit status, once aborted (graceful stop) or after losing the lease. */
  readonly done: Promise<number>;
}

/** Leader election that fails over within seconds, for tests with several replicas. */
export const FAST_LEADER_ELECTION: Settings['leaderElection'] = {
  enabled: true,
  leaseName: 'restore-hooks',
  leaseNamespace: CONTROLLER_NAMESPACE,
  leaseDuration: 3_000,
  renewDeadline: 2_000,
  retryPeriod: 500,
};

/** Runs one controller replica in this process, in the controller's namespace, collecting its JSON log lines. */
export function runReplica(
  settings: Settings,
  kubeConfig: KubeConfig,
  options: { logs?: Record<string, unknown>[]; onListening?: RunControllerOptions['onListening'] } = {},
): ControllerReplica {
  const logs = options.logs ?? [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n'))
      if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const abort = new AbortController();
  const done = runController({
    settings,
    env: { POD_NAMESPACE: CONTROLLER_NAMESPACE },
    signal: abort.signal,
    logStream: stream,
    kubeConfig,
    ...(options.onListening ? { onListening: options.onListening } : {}),
  });
  return { logs, abort, done };
}

export { eventually } from './eventually.ts';
