/**
 * A real Kubernetes control plane on loopback, for tests and `npm run cluster:real`: etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler 1.20 (built by build.sh) as child processes on free 127.0.0.1 ports,
 * and the stand-in kubelet (src/devcluster/node-agent) in this process. See docs/real-cluster.md.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import type { WriteRecord } from '../../src/devcluster/audit/write-log.ts';
import type { ExecHistoryItem } from '../../src/devcluster/audit/admin.ts';
import { readCrdFiles } from '../../src/devcluster/crd/preinstall.ts';
import { ContainerRunLog } from '../../src/devcluster/kubelet/run-log.ts';
import type { ContainerRun } from '../../src/devcluster/kubelet/run-log.ts';
import { renderKubeconfig } from '../../src/devcluster/kubeconfig.ts';
import { AgentApiClient, isApiCode } from '../../src/devcluster/node-agent/api-client.ts';
import { DEFAULT_START_DELAY_MS, NodeAgent } from '../../src/devcluster/node-agent/node-agent.ts';
import { SimulatedExecRunner } from '../../src/devcluster/exec/simulator.ts';
import { generateServingCertificates } from '../../src/devcluster/tls/certificates.ts';
import { AUDIT_POLICY, AuditWriteLog } from './audit-log.ts';
import { Component } from './component.ts';

export interface RealControlPlaneOptions {
  /** Stand-in kubelet: nodes to register (default 2) and delay from binding to the first container start (default 1000 ms). */
  nodes?: number;
  startDelayMs?: number;
  /** Pods each node admits (default 110, a kubelet's --max-pods): 200 Deployments × 3 replicas need 6 nodes or more. */
  maxPodsPerNode?: number;
  /** Where etcd data, certs, logs and kubeconfigs go (default: a fresh temp dir, removed on stop unless keepDir). */
  dir?: string;
  keepDir?: boolean;
  /** Progress lines (default: none). */
  log?: (message: string) => void;
}

export interface RealControlPlane {
  /** Admin kubeconfig text (token user ADMIN_USER in system:masters) and the file that holds it. */
  readonly kubeconfig: string;
  /** ADMIN_USER, as the API server reports it in userInfo and the audit log. */
  readonly adminUser: string;
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly dir: string;
  /** Kubeconfig for a ServiceAccount (created if missing), with its token (1.20 token Secret). */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** The stand-in kubelet: its run log, its exec history and runner, and its start delay, changeable at runtime. */
  readonly nodeAgent: {
    runs(filter?: { namespace?: string }): ContainerRun[];
    execHistory(): ExecHistoryItem[];
    setStartDelay(ms: number): void;
    /** The exec runner (register handlers); kept across restarts. */
    readonly exec: SimulatedExecRunner;
    readonly runLog: ContainerRunLog;
  };
  /** Every write the API server answered, from its audit log, in the devcluster's WriteRecord shape. */
  writes(filter?: { user?: string; since?: number }): Promise<WriteRecord[]>;
  /** Kill (SIGKILL) and restart one component: 'kube-controller-manager' | 'kube-scheduler' | 'node-agent' (also 'kube-apiserver', 'etcd'). */
  restart(component: string): Promise<void>;
  stop(): Promise<void>;
}

export const COMPONENTS = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'node-agent',
] as const;
const KUBERNETES_VERSION = 'v1.20.2';
/** The user name the admin token authenticates as (the kubeconfig's user). */
export const ADMIN_USER = 'admin';
const READY_TIMEOUT_MS = 180_000;
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

/** The directory with kube-apiserver & co: $RESTORE_HOOKS_REAL_CLUSTER_BIN, or whatever build.sh builds or reuses. */
export async function controlPlaneBinaries(): Promise<string> {
  const fromEnv = process.env['RESTORE_HOOKS_REAL_CLUSTER_BIN'];
  if (fromEnv) return fromEnv;
  const { stdout } = await promisify(execFile)('bash', [join(here, 'build.sh')], {
    maxBuffer: 64 * 1024 * 1024,
  }).catch((e: { stderr?: string; message: string }) => {
    throw new Error(
      `hack/real-cluster/build.sh failed: ${e.stderr?.split('\n').slice(-20).join('\n') ?? e.message}`,
    );
  });
  const bin = stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(join(bin, 'kube-apiserver')))
    throw new Error(`build.sh printed no binary directory (got "${bin}")`);
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

const token = () => randomBytes(24).toString('hex');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails with the component's log tail if it exits or time runs out. */
async function waitFor(what: string, component: Component, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void component.whenExited().then(() => (exited = true));
  let last = '';
  for (;;) {
    if (exited || !component.running) {
      throw new Error(
        `${component.name} exited while waiting for ${what}; last lines of ${component.logPath}:\n${component.tail()}`,
      );
    }
    try {
      if (await check()) return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last ? ` (${last})` : ''}; last lines of ${component.logPath}:\n${component.tail()}`,
      );
    }
    await sleep(250);
  }
}

export async function startRealControlPlane(
  options: RealControlPlaneOptions = {},
): Promise<RealControlPlane> {
  const log = options.log ?? (() => {});
  const nodeCount = options.nodes ?? 2;
  if (!Number.isInteger(nodeCount) || nodeCount < 1)
    throw new RangeError(`nodes: must be an integer >= 1, got ${nodeCount}`);
  const maxPods = options.maxPodsPerNode;
  if (maxPods !== undefined && (!Number.isInteger(maxPods) || maxPods < 1))
    throw new RangeError(`maxPodsPerNode: must be an integer >= 1, got ${maxPods}`);
  let startDelayMs = options.startDelayMs ?? DEFAULT_START_DELAY_MS;
  if (!Number.isFinite(startDelayMs) || startDelayMs < 0)
    throw new RangeError(`startDelayMs: must be a non-negative number, got ${startDelayMs}`);
  const bin = await controlPlaneBinaries();

  const fresh = options.dir === undefined;
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'restore-hooks-real-')));
  const pki = join(dir, 'pki');
  const logs = join(dir, 'logs');
  // A reused directory starts a new cluster: etcd's data and the old logs go.
  rmSync(join(dir, 'etcd'), { recursive: true, force: true });
  rmSync(logs, { recursive: true, force: true });
  for (const d of [dir, pki, logs]) mkdirSync(d, { recursive: true });

  // Certificates: the API server's CA and serving certificate, and the ServiceAccount token signing key pair.
  const serving = await generateServingCertificates(['127.0.0.1', 'localhost']);
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const file = (name: string, content: string) => {
    const path = join(pki, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const caPath = file('ca.crt', serving.caCert);
  const certPath = file('apiserver.crt', serving.cert);
  const keyPath = file('apiserver.key', serving.key);
  const saKeyPath = file('sa.key', sa.privateKey);
  const saPubPath = file('sa.pub', sa.publicKey);
  const tokens = { admin: token(), kcm: token(), scheduler: token(), agent: token() };
  const tokenFile = file(
    'tokens.csv',
    [
      `${tokens.admin},${ADMIN_USER},${ADMIN_USER},"system:masters"`,
      `${tokens.kcm},system:kube-controller-manager,system:kube-controller-manager`,
      `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
      // The agent serves every node, so it cannot be one node's system:node:<name> identity.
      `${tokens.agent},restore-hooks:node-agent,restore-hooks:node-agent,"system:masters"`,
    ].join('\n') + '\n',
  );
  const auditPolicy = file('audit-policy.yaml', AUDIT_POLICY);
  const auditLogPath = join(logs, 'audit.log');

  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigFor = (userToken: string, name = 'real-cluster') =>
    renderKubeconfig({ server, caCert: serving.caCert, token: userToken, name });
  const kubeconfig = kubeconfigFor(tokens.admin);
  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const kcmKubeconfig = join(dir, 'kube-controller-manager.kubeconfig');
  writeFileSync(kcmKubeconfig, kubeconfigFor(tokens.kcm), { mode: 0o600 });
  const schedulerKubeconfig = join(dir, 'kube-scheduler.kubeconfig');
  writeFileSync(schedulerKubeconfig, kubeconfigFor(tokens.scheduler), { mode: 0o600 });

  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const components = new Map<string, Component>([
    [
      'etcd',
      new Component(
        'etcd',
        'etcd',
        [
          '--name=real-cluster',
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
          `--initial-cluster=real-cluster=http://127.0.0.1:${etcdPeerPort}`,
          '--listen-metrics-urls=',
        ],
        logs,
      ),
    ],
    [
      'kube-apiserver',
      new Component(
        'kube-apiserver',
        join(bin, 'kube-apiserver'),
        [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          '--insecure-port=0',
          `--cert-dir=${pki}`,
          `--tls-cert-file=${certPath}`,
          `--tls-private-key-file=${keyPath}`,
          `--client-ca-file=${caPath}`,
          `--token-auth-file=${tokenFile}`,
          '--authorization-mode=Node,RBAC',
          `--service-account-key-file=${saPubPath}`,
          `--service-account-signing-key-file=${saKeyPath}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          '--service-cluster-ip-range=10.96.0.0/16',
          '--endpoint-reconciler-type=none',
          '--kubelet-preferred-address-types=InternalIP',
          '--allow-privileged=true',
          `--audit-policy-file=${auditPolicy}`,
          `--audit-log-path=${auditLogPath}`,
          '--audit-log-mode=blocking',
          '--profiling=false',
        ],
        logs,
      ),
    ],
    [
      'kube-controller-manager',
      new Component(
        'kube-controller-manager',
        join(bin, 'kube-controller-manager'),
        [
          `--kubeconfig=${kcmKubeconfig}`,
          `--service-account-private-key-file=${saKeyPath}`,
          `--root-ca-file=${caPath}`,
          '--use-service-account-credentials=true',
          '--controllers=*,-nodelifecycle,-nodeipam,-cloud-node-lifecycle,-service,-route',
          '--leader-elect=false',
          '--port=0',
          '--secure-port=0',
        ],
        logs,
      ),
    ],
    [
      'kube-scheduler',
      new Component(
        'kube-scheduler',
        join(bin, 'kube-scheduler'),
        [`--kubeconfig=${schedulerKubeconfig}`, '--leader-elect=false', '--port=0', '--secure-port=0'],
        logs,
      ),
    ],
  ]);
  const component = (name: string) => components.get(name)!;

  const dispatcher = new Agent({ connect: { ca: serving.caCert } });
  const admin = new AgentApiClient({ server, caCert: serving.caCert, token: tokens.admin });
  const runLog = new ContainerRunLog();
  const execRunner = new SimulatedExecRunner();
  const nodes = Array.from({ length: nodeCount }, (_, i) => `node-${i + 1}`);
  let agent: NodeAgent | undefined;
  let execPort = 0;

  const etcdReady = () =>
    waitFor('etcd /health', component('etcd'), async () => {
      const res = await request(`${etcdUrl}/health`);
      const body = (await res.body.json()) as { health?: string };
      return res.statusCode === 200 && body.health === 'true';
    });
  const apiserverReady = () =>
    waitFor('kube-apiserver /readyz', component('kube-apiserver'), async () => {
      const res = await request(`${server}/readyz`, {
        dispatcher,
        headers: { authorization: `Bearer ${tokens.admin}` },
      });
      await res.body.text();
      return res.statusCode === 200;
    });
  const startAgent = async () => {
    agent = new NodeAgent({
      connection: { server, caCert: serving.caCert, token: tokens.agent },
      nodes,
      startDelayMs,
      runs: runLog,
      execRunner,
      execPort,
      kubeletVersion: KUBERNETES_VERSION,
      ...(options.maxPodsPerNode !== undefined ? { maxPods: options.maxPodsPerNode } : {}),
      log: (message, meta) =>
        appendFileSync(
          join(logs, 'node-agent.log'),
          `${JSON.stringify({ time: new Date().toISOString(), level: 'warn', message, ...meta })}\n`,
        ),
    });
    await agent.start();
    execPort = agent.execPort;
  };

  const stopAll = async () => {
    await agent?.stop();
    agent = undefined;
    for (const name of ['kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd']) {
      await component(name).stop();
    }
    await admin.close().catch(() => {});
    await dispatcher.close().catch(() => {});
    if (fresh && !options.keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    log(`binaries: ${bin}; directory: ${dir}`);
    component('etcd').start();
    await etcdReady();
    log('etcd ready');
    component('kube-apiserver').start();
    await apiserverReady();
    log('kube-apiserver ready');
    component('kube-controller-manager').start();
    component('kube-scheduler').start();
    const kcm = component('kube-controller-manager');
    await waitFor('the default namespace', component('kube-apiserver'), async () => {
      await admin.request('GET', '/api/v1/namespaces/default');
      return true;
    });
    await waitFor('the ServiceAccount token controller (default/default has a token)', kcm, async () => {
      const sa = await admin.request<{ secrets?: unknown[] }>(
        'GET',
        '/api/v1/namespaces/default/serviceaccounts/default',
      );
      return (sa.secrets ?? []).length > 0;
    });
    log('kube-controller-manager ready');
    for (const { path, crd } of readCrdFiles(join(repoRoot, 'config', 'crd'))) {
      try {
        await admin.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
      } catch (e) {
        if (!isApiCode(e, 409)) throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
      }
      const name = crd.metadata.name ?? '';
      await waitFor(`CRD ${name} Established`, component('kube-apiserver'), async () => {
        const got = await admin.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
          'GET',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        );
        return (got.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
      });
    }
    await startAgent();
    log(`node agent ready: ${nodes.join(', ')} (exec on 127.0.0.1:${execPort})`);
  } catch (e) {
    await stopAll().catch(() => {});
    throw e;
  }

  const auditLog = new AuditWriteLog(auditLogPath);
  let stopping: Promise<void> | undefined;
  return {
    kubeconfig,
    adminUser: ADMIN_USER,
    kubeconfigPath,
    server,
    dir,
    async serviceAccountKubeconfig(namespace, name) {
      try {
        await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } });
      } catch (e) {
        if (!isApiCode(e, 409)) throw e;
      }
      try {
        await admin.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
          body: { metadata: { name } },
        });
      } catch (e) {
        if (!isApiCode(e, 409)) throw e;
      }
      let saToken = '';
      await waitFor(
        `a token for ServiceAccount ${namespace}/${name}`,
        component('kube-controller-manager'),
        async () => {
          const sa = await admin.request<{ secrets?: { name: string }[] }>(
            'GET',
            `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`,
          );
          for (const ref of sa.secrets ?? []) {
            const secret = await admin.request<{ type?: string; data?: { token?: string } }>(
              'GET',
              `/api/v1/namespaces/${namespace}/secrets/${ref.name}`,
            );
            if (secret.type === 'kubernetes.io/service-account-token' && secret.data?.token) {
              saToken = Buffer.from(secret.data.token, 'base64').toString('utf8');
              return true;
            }
          }
          return false;
        },
      );
      return renderKubeconfig({
        server,
        caCert: serving.caCert,
        token: saToken,
        name: 'real-cluster',
        namespace,
      });
    },
    nodeAgent: {
      runs: (filter = {}) => runLog.entries(filter),
      execHistory: () => agent?.execHistory() ?? [],
      setStartDelay(ms: number) {
        agent?.setStartDelay(ms);
        startDelayMs = ms;
      },
      exec: execRunner,
      runLog,
    },
    writes: async (filter = {}) => auditLog.entries(filter),
    async restart(name) {
      if (name === 'node-agent') {
        // A crash: no graceful clean-up; the new agent re-lists and carries on from the pods' statuses.
        await agent?.stop();
        await startAgent();
        return;
      }
      const c = components.get(name);
      if (!c) throw new RangeError(`component: expected one of ${COMPONENTS.join(', ')}, got "${name}"`);
      await c.kill();
      c.start();
      if (name === 'etcd') await etcdReady();
      if (name === 'kube-apiserver') await apiserverReady();
    },
    stop: () => (stopping ??= stopAll()),
  };
}
