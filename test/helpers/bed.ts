/**
 * The cluster an end-to-end suite runs on: the devcluster (simulated nodes, kubelet and workload controllers, in this
 * process) or a real Kubernetes control plane (hack/real-cluster/control-plane.ts: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and the stand-in kubelet). Suites are written once against `Bed`;
 * RESTORE_HOOKS_TEST_BED picks the bed (`npm test`: devcluster, `npm run test:real`: real).
 */
import { readFileSync } from 'node:fs';
import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import type { ExecHistoryItem } from '../../src/devcluster/audit/admin.ts';
import { SimulatedExecRunner } from '../../src/devcluster/exec/index.ts';
import type { WriteRecord } from '../../src/devcluster/audit/write-log.ts';
import type { ContainerRun } from '../../src/devcluster/kubelet/run-log.ts';
import { ADMIN } from '../../src/devcluster/http/authentication.ts';
import { startSimulatedCluster } from '../../src/devcluster/simulated.ts';
import type { SimulatedCluster } from '../../src/devcluster/simulated.ts';
import type { SimulationOptions } from '../../src/devcluster/sim/simulation.ts';
import { eventually } from './eventually.ts';

export type BedKind = 'devcluster' | 'real';
export const BED_KINDS: readonly BedKind[] = ['devcluster', 'real'];
export const BED_ENV = 'RESTORE_HOOKS_TEST_BED';

/** The bed this process runs its suites on, from RESTORE_HOOKS_TEST_BED (default devcluster). */
export function selectedBed(env: NodeJS.ProcessEnv = process.env): BedKind {
  const value = env[BED_ENV] ?? 'devcluster';
  if (!(BED_KINDS as readonly string[]).includes(value))
    throw new Error(`${BED_ENV}: expected one of ${BED_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as BedKind;
}

export const CONTROLLER_NAMESPACE = 'restore-hooks';
export const CONTROLLER_SERVICE_ACCOUNT = 'restore-hooks';
export const CONTROLLER_USER = `system:serviceaccount:${CONTROLLER_NAMESPACE}:${CONTROLLER_SERVICE_ACCOUNT}`;
/** Velero's identity, as its Helm chart installs it: ServiceAccount velero/velero bound to cluster-admin. */
export const VELERO_USER = 'system:serviceaccount:velero:velero';

export interface BedOptions {
  /**
   * Devcluster: the simulated nodes, kubelet and workload controllers (default none: the API server alone). A real
   * control plane always has its controllers, scheduler and node agent.
   */
  readonly simulation?: SimulationOptions;
  /**
   * Run the controller as the restore-hooks ServiceAccount with exactly the rules of manifests/base/rbac.yaml.
   * On the devcluster this also turns RBAC enforcement on; a real API server always enforces RBAC, so there the
   * controller always runs under the manifest RBAC.
   */
  readonly rbac?: boolean;
  /** Apply the optional CRD patch that keeps status.conditions. */
  readonly conditionsCrd?: boolean;
  /** Namespaces to create besides velero, app, other and the controller's. */
  readonly namespaces?: readonly string[];
  /** The kubelet's delay from binding to the first container start (devcluster default 0, real default 1000 ms). */
  readonly startDelayMs?: number;
  /**
   * Pods each node admits (capacity.pods, which both schedulers honour): real default 110 on 2 nodes, devcluster
   * default DEFAULT_SIMULATED_MAX_PODS on 3 nodes. Node counts: `simulation.nodes` on the devcluster, `nodes` here.
   */
  readonly maxPodsPerNode?: number;
  /** Real bed: the node agent's node count (default 2). */
  readonly nodes?: number;
}

export interface Bed {
  readonly kind: BedKind;
  /** Admin client (system:masters) for setup and assertions. */
  readonly client: KubeJsonClient;
  /** The admin client's user name, as the API server reports it (userInfo, audit). */
  readonly adminUser: string;
  readonly adminKubeConfig: KubeConfig;
  /** Velero's client (ServiceAccount velero/velero, cluster-admin): restores and the objects they bring back. */
  readonly velero: KubeJsonClient;
  /** The kubeconfig the controller runs with: its ServiceAccount under the manifest RBAC, or admin. */
  readonly controllerKubeConfig: KubeConfig;
  /** Whether the controller runs under the manifest RBAC. */
  readonly rbac: boolean;
  /** A kubeconfig for a ServiceAccount (its object is created if missing). */
  serviceAccountKubeConfig(namespace: string, name: string): Promise<KubeConfig>;
  /** What the kubelet ran: one record per container start, pods deleted since included. */
  runs(filter?: { namespace?: string }): Promise<ContainerRun[]>;
  /** Every write the API server accepted or refused, with its user. */
  writes(filter?: { user?: string }): Promise<WriteRecord[]>;
  /** The commands the kubelet's exec endpoint ran. */
  execHistory(namespace?: string): Promise<ExecHistoryItem[]>;
  /** The kubelet's exec shell: register command handlers, read the containers' files and the full history. */
  readonly execRunner: SimulatedExecRunner;
  setKubeletStartDelay(ms: number): void;
  /** The devcluster (fault injector, request counter, authorizer, exec runner); undefined on real Kubernetes. */
  readonly devcluster: SimulatedCluster | undefined;
  /** The real control plane (restart components for chaos); undefined on the devcluster. */
  readonly realControlPlane: RealControlPlane | undefined;
  stop(): Promise<void>;
}

/** hack/real-cluster/control-plane.ts as the contract with the realbed helper gives it. */
export interface RealControlPlane {
  readonly kubeconfig: string;
  readonly adminUser: string;
  readonly kubeconfigPath: string;
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  readonly nodeAgent: {
    runs(filter?: { namespace?: string }): ContainerRun[];
    execHistory(): ExecHistoryItem[];
    setStartDelay(ms: number): void;
    /** The stand-in kubelet's exec runner (realbed's control plane has it; the contract does not name it). */
    readonly exec?: SimulatedExecRunner;
  };
  writes(filter?: { user?: string }): Promise<WriteRecord[]>;
  restart(component: string): Promise<void>;
  stop(): Promise<void>;
}
interface RealControlPlaneModule {
  startRealControlPlane(options?: {
    nodes?: number;
    startDelayMs?: number;
    maxPodsPerNode?: number;
  }): Promise<RealControlPlane>;
}
/** Resolved at run time so the devcluster side does not depend on the real control plane's module. */
const REAL_CONTROL_PLANE_MODULE = '../../hack/real-cluster/control-plane.ts';

const clientFor = (config: KubeConfig, agent: string) =>
  new KubeJsonClient(config, new IsomorphicFetchHttpLibrary(), agent);
const kubeConfigFrom = (text: string) => {
  const config = new KubeConfig();
  config.loadFromString(text);
  return config;
};

export function startBed(kind: BedKind, options: BedOptions = {}): Promise<Bed> {
  return kind === 'real' ? startRealBed(options) : startDevclusterBed(options);
}

async function startDevclusterBed(options: BedOptions): Promise<Bed> {
  const cluster = await startSimulatedCluster({
    simulation:
      options.simulation && options.maxPodsPerNode !== undefined
        ? { ...options.simulation, maxPodsPerNode: options.maxPodsPerNode }
        : (options.simulation ?? false),
    ...(options.rbac ? { rbac: true } : {}),
  });
  if (options.startDelayMs !== undefined && cluster.simulation?.kubelet)
    cluster.simulation.kubelet.startDelayMs = options.startDelayMs;
  const adminKubeConfig = kubeConfigFrom(cluster.kubeconfig());
  const client = clientFor(adminKubeConfig, 'restore-hooks-tests');
  const serviceAccountKubeConfig = async (namespace: string, name: string) => {
    await createServiceAccount(client, namespace, name);
    return kubeConfigFrom(cluster.kubeconfig({ serviceAccount: { namespace, name } }));
  };
  // The devcluster bootstraps no ClusterRoles; a real API server has cluster-admin from its bootstrap policy.
  await createIfMissing(client, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'cluster-admin' },
    rules: [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ],
  });
  const common = await commonSetup(
    client,
    adminKubeConfig,
    options,
    serviceAccountKubeConfig,
    async () => undefined,
    // Its scheduler does not look at volumes (docs/devcluster-semantics.md), and it runs no volume binder.
    async () => undefined,
  );
  const getAdmin = async <T>(path: string) =>
    (await client.request<{ items: T[] }>({ method: 'GET', path })).items;
  return {
    kind: 'devcluster',
    client,
    adminUser: ADMIN.username,
    adminKubeConfig,
    ...common,
    serviceAccountKubeConfig,
    runs: (filter = {}) =>
      getAdmin<ContainerRun>(
        `/devcluster/kubelet/runs${filter.namespace ? `?namespace=${encodeURIComponent(filter.namespace)}` : ''}`,
      ),
    writes: (filter = {}) =>
      getAdmin<WriteRecord>(
        `/devcluster/writes${filter.user ? `?user=${encodeURIComponent(filter.user)}` : ''}`,
      ),
    execHistory: (namespace) =>
      getAdmin<ExecHistoryItem>(
        `/devcluster/exec/history${namespace ? `?namespace=${encodeURIComponent(namespace)}` : ''}`,
      ),
    get execRunner() {
      if (!(cluster.exec instanceof SimulatedExecRunner))
        throw new Error('this devcluster runs another exec runner');
      return cluster.exec;
    },
    setKubeletStartDelay(ms) {
      const kubelet = cluster.simulation?.kubelet;
      if (!kubelet) throw new Error('this devcluster runs no kubelet (start the bed with simulation)');
      kubelet.startDelayMs = ms;
    },
    devcluster: cluster,
    realControlPlane: undefined,
    stop: () => cluster.stop(),
  };
}

async function startRealBed(options: BedOptions): Promise<Bed> {
  const { startRealControlPlane } = (await import(REAL_CONTROL_PLANE_MODULE)) as RealControlPlaneModule;
  const plane = await startRealControlPlane({
    ...(options.startDelayMs !== undefined ? { startDelayMs: options.startDelayMs } : {}),
    ...(options.maxPodsPerNode !== undefined ? { maxPodsPerNode: options.maxPodsPerNode } : {}),
    ...(options.nodes !== undefined ? { nodes: options.nodes } : {}),
  });
  try {
    const adminKubeConfig = kubeConfigFrom(plane.kubeconfig);
    const client = clientFor(adminKubeConfig, 'restore-hooks-tests');
    await installCrds(client);
    const serviceAccountKubeConfig = async (namespace: string, name: string) =>
      kubeConfigFrom(await plane.serviceAccountKubeconfig(namespace, name));
    // The ServiceAccount admission plugin refuses pods until the namespace's default ServiceAccount exists.
    const waitForDefaultServiceAccount = (namespace: string) =>
      eventually(
        async () =>
          (await exists(client, `/api/v1/namespaces/${namespace}/serviceaccounts/default`)) || undefined,
        `the default ServiceAccount of namespace ${namespace}`,
        60_000,
      );
    // The persistent-volume controller binds a pre-bound claim when it syncs it; a conflict between its own writes
    // can put that off until its periodic resync (15 s), and until the claim is Bound the scheduler leaves every pod
    // that mounts it Pending (FailedScheduling, then a backoff). Any change to the claim makes the controller sync it
    // again, so an annotation is touched every second while the claim waits.
    const waitForClaimBound = async (namespace: string, claim: string) => {
      const path = `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claim}`;
      let nudged = Date.now();
      await eventually(
        async () => {
          const found = await client.request<{ status?: { phase?: string } }>({ method: 'GET', path });
          if (found.status?.phase === 'Bound') return true;
          if (Date.now() - nudged >= 1000) {
            nudged = Date.now();
            await client.request({
              method: 'PATCH',
              path,
              contentType: 'application/merge-patch+json',
              body: { metadata: { annotations: { 'restore-hooks.dev/bed-resync': String(nudged) } } },
            });
          }
          return undefined;
        },
        `claim ${namespace}/${claim} to be Bound`,
        60_000,
      );
    };
    const common = await commonSetup(
      client,
      adminKubeConfig,
      { ...options, rbac: true },
      serviceAccountKubeConfig,
      waitForDefaultServiceAccount,
      waitForClaimBound,
    );
    return {
      kind: 'real',
      client,
      adminUser: plane.adminUser,
      adminKubeConfig,
      ...common,
      serviceAccountKubeConfig,
      runs: async (filter) => plane.nodeAgent.runs(filter),
      writes: (filter) => plane.writes(filter),
      execHistory: async (namespace) =>
        plane.nodeAgent.execHistory().filter((e) => namespace === undefined || e.namespace === namespace),
      get execRunner() {
        if (!plane.nodeAgent.exec)
          throw new Error("the real control plane's node agent exposes no exec runner");
        return plane.nodeAgent.exec;
      },
      setKubeletStartDelay: (ms) => plane.nodeAgent.setStartDelay(ms),
      devcluster: undefined,
      realControlPlane: plane,
      stop: () => plane.stop(),
    };
  } catch (e) {
    await plane.stop();
    throw e;
  }
}

/** What both beds set up the same way, through their API servers. */
async function commonSetup(
  client: KubeJsonClient,
  adminKubeConfig: KubeConfig,
  options: BedOptions,
  serviceAccountKubeConfig: (namespace: string, name: string) => Promise<KubeConfig>,
  namespaceReady: (namespace: string) => Promise<unknown>,
  claimReady: (namespace: string, claim: string) => Promise<unknown>,
): Promise<Pick<Bed, 'velero' | 'controllerKubeConfig' | 'rbac'>> {
  const namespaces = ['velero', 'app', 'other', CONTROLLER_NAMESPACE, ...(options.namespaces ?? [])];
  for (const name of namespaces)
    await createIfMissing(client, '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  for (const name of namespaces) await namespaceReady(name);
  const claimNamespaces = namespaces.filter((n) => n !== 'velero' && n !== CONTROLLER_NAMESPACE);
  for (const namespace of claimNamespaces)
    for (const claim of RESTORED_CLAIMS) await restoreVolume(client, namespace, claim);
  await Promise.all(
    claimNamespaces.flatMap((namespace) => RESTORED_CLAIMS.map((claim) => claimReady(namespace, claim))),
  );
  if (options.conditionsCrd) await addConditionsToRestoreCrd(client);

  await createServiceAccount(client, 'velero', 'velero');
  await createIfMissing(client, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'velero' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'velero', namespace: 'velero' }],
  });
  const velero = clientFor(await serviceAccountKubeConfig('velero', 'velero'), 'velero');

  const rbac = options.rbac === true;
  let controllerKubeConfig: KubeConfig;
  if (rbac) {
    await applyManifestRbac(client);
    controllerKubeConfig = await serviceAccountKubeConfig(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT);
  } else {
    controllerKubeConfig = adminKubeConfig;
  }
  return { velero, controllerKubeConfig, rbac };
}

/**
 * The claims the fixtures' pods mount (restore-fixtures.ts podSpec), each pre-bound to its own volume, as Velero
 * restores them before the pods. A real scheduler leaves a pod whose claim is missing or not yet Bound Pending
 * (FailedScheduling), so the real bed is ready only once they are Bound; the devcluster's scheduler does not look at
 * volumes (docs/devcluster-semantics.md).
 */
const RESTORED_CLAIMS = ['pvc1', 'pvc2'];

async function restoreVolume(client: KubeJsonClient, namespace: string, claim: string): Promise<void> {
  const volume = `${namespace}-${claim}`;
  const common = { accessModes: ['ReadWriteOnce'], storageClassName: '' };
  await createIfMissing(client, '/api/v1/persistentvolumes', {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volume },
    spec: {
      ...common,
      capacity: { storage: '1Gi' },
      hostPath: { path: `/tmp/restore-hooks-volumes/${volume}` },
      claimRef: { namespace, name: claim },
      persistentVolumeReclaimPolicy: 'Retain',
    },
  });
  await createIfMissing(client, `/api/v1/namespaces/${namespace}/persistentvolumeclaims`, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, namespace },
    spec: { ...common, volumeName: volume, resources: { requests: { storage: '1Gi' } } },
  });
}

async function exists(client: KubeJsonClient, path: string): Promise<boolean> {
  try {
    await client.request({ method: 'GET', path });
    return true;
  } catch (e) {
    if ((e as { code?: number }).code === 404) return false;
    throw e;
  }
}

async function createIfMissing(client: KubeJsonClient, path: string, body: unknown): Promise<void> {
  try {
    await client.request({ method: 'POST', path, body });
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
  }
}

const createServiceAccount = (client: KubeJsonClient, namespace: string, name: string) =>
  createIfMissing(client, `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  });

/** The controller's ServiceAccount and the RBAC objects of manifests/base/rbac.yaml, in the controller's namespace. */
async function applyManifestRbac(client: KubeJsonClient): Promise<void> {
  await createServiceAccount(client, CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT);
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

/** The repository's config/crd, as the devcluster preinstalls it; waits until the API server serves them. */
async function installCrds(client: KubeJsonClient): Promise<void> {
  const text = readFileSync(new URL('../../config/crd/velero.io_restores.yaml', import.meta.url), 'utf8');
  await createIfMissing(client, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', parse(text));
  await eventually(
    async () => (await exists(client, '/apis/velero.io/v1/restores')) || undefined,
    'the API server to serve restores.velero.io',
    60_000,
  );
}
