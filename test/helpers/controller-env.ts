import { PassThrough } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_SETTINGS } from '../../src/config/settings.ts';
import type { Settings } from '../../src/config/settings.ts';
import { runController } from '../../src/controller/run-controller.ts';
import type { RunControllerOptions } from '../../src/controller/run-controller.ts';
import { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import { rbacAuthorizer } from '../../src/devcluster/rbac/index.ts';
import type { RequestAttributes } from '../../src/devcluster/http/extension-points.ts';
import { startSimulatedCluster } from '../../src/devcluster/simulated.ts';
import type { SimulatedCluster } from '../../src/devcluster/simulated.ts';
import type { SimulationOptions } from '../../src/devcluster/sim/simulation.ts';
import { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node';

export const CONTROLLER_NAMESPACE = 'restore-hooks';
const CONTROLLER_USER = `system:serviceaccount:${CONTROLLER_NAMESPACE}:restore-hooks`;

export interface ControllerEnv {
  /** The devcluster: API server, pods/exec, fault injector, and the simulation when asked for. */
  readonly cluster: SimulatedCluster;
  /** With `rbac`: every request the controller's ServiceAccount was allowed to make, in order. */
  readonly authorizedRequests: RequestAttributes[];
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

export interface ControllerEnvOptions {
  /** Apply the optional CRD patch that keeps status.conditions. */
  readonly conditionsCrd?: boolean;
  /**
   * Enforce RBAC and run the controller as the restore-hooks ServiceAccount with exactly the rules of
   * manifests/base/rbac.yaml. Tests keep using an admin client.
   */
  readonly rbac?: boolean;
  /** Simulated nodes, kubelet and workload controllers; default none (the API server alone). */
  readonly simulation?: SimulationOptions;
  /** Namespaces to create besides velero, app, other and the controller's. */
  readonly namespaces?: readonly string[];
}

export async function startControllerEnv(options: ControllerEnvOptions = {}): Promise<ControllerEnv> {
  const cluster = await startSimulatedCluster({ simulation: options.simulation ?? false });
  const adminConfig = new KubeConfig();
  adminConfig.loadFromString(cluster.kubeconfig());
  const client = new KubeJsonClient(adminConfig, new IsomorphicFetchHttpLibrary(), 'restore-hooks-tests');
  for (const name of ['velero', 'app', 'other', CONTROLLER_NAMESPACE, ...(options.namespaces ?? [])]) {
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
  }
  if (options.conditionsCrd) await addConditionsToRestoreCrd(client);
  let kubeConfig = adminConfig;
  const authorizedRequests: RequestAttributes[] = [];
  if (options.rbac) {
    await applyManifestRbac(client);
    const authorize = rbacAuthorizer(cluster.api);
    cluster.http.authorizer = async (attributes) => {
      const decision = await authorize(attributes);
      if (decision.allowed && attributes.user.username === CONTROLLER_USER)
        authorizedRequests.push(attributes);
      return decision;
    };
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(
      cluster.kubeconfig({ serviceAccount: { namespace: CONTROLLER_NAMESPACE, name: 'restore-hooks' } }),
    );
  }
  const logs: Record<string, unknown>[] = [];
  let running: { abort: AbortController; done: Promise<number> } | undefined;
  let metricsUrl: string | undefined;

  const env: ControllerEnv = {
    cluster,
    authorizedRequests,
    kubeConfig,
    client,
    logs,
    async scrapeMetrics() {
      if (!metricsUrl) throw new Error('the controller serves no metrics yet');
      return (await fetch(`${metricsUrl}/metrics`)).text();
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
      await cluster.stop();
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

/** The ServiceAccount and the RBAC objects of manifests/base/rbac.yaml, in the controller's namespace. */
async function applyManifestRbac(client: KubeJsonClient): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { parseAllDocuments } = await import('yaml');
  const sa = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'restore-hooks', namespace: CONTROLLER_NAMESPACE },
  };
  await client.request({
    method: 'POST',
    path: `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/serviceaccounts`,
    body: sa,
  });
  const text = readFileSync(new URL('../../manifests/base/rbac.yaml', import.meta.url), 'utf8');
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJSON() as { kind: string; metadata: { namespace?: string } };
    const plural = `${obj.kind.toLowerCase()}s`;
    const namespaced = obj.kind === 'Role' || obj.kind === 'RoleBinding';
    if (namespaced) obj.metadata.namespace = CONTROLLER_NAMESPACE;
    const path = namespaced
      ? `/apis/rbac.authorization.k8s.io/v1/namespaces/${CONTROLLER_NAMESPACE}/${plural}`
      : `/apis/rbac.authorization.k8s.io/v1/${plural}`;
    await client.request({ method: 'POST', path, body: obj });
  }
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

export { eventually } from './eventually.ts';
