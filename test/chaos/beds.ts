/**
 * The clusters a chaos run can use. `devcluster`: the simulated cluster as its own process, with its fault injector,
 * its simulated Velero and its admin endpoints (run log, write audit, exec history, fail-open record). `real`: the
 * real control plane of hack/real-cluster (etcd, kube-apiserver, kube-controller-manager, kube-scheduler as child
 * processes, the stand-in kubelet in this process); there is no injector, the faults are processes dying, and the
 * run plays Velero itself (the Restore's status, then the backup's objects created as ServiceAccount velero/velero
 * in Velero's order, as the devcluster's simulated Velero does).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRun } from '../../src/devcluster/kubelet/run-log.ts';
import type { WriteRecord } from '../../src/devcluster/audit/write-log.ts';
import type { ExecHistoryItem } from '../../src/devcluster/audit/admin.ts';
import type { FailOpenRecord } from '../../src/devcluster/admission/fail-open-log.ts';
import type { FaultCounters } from '../../src/devcluster/faults/index.ts';
import type { KubeObject } from '../../src/devcluster/api/types.ts';
import { planRestore } from '../../src/devcluster/velero/plan.ts';
import type { RestoreSpecLike } from '../../src/devcluster/velero/plan.ts';
import { ClusterClient, HttpError, parseKubeconfig } from './cluster-client.ts';
import { DevclusterProcess } from './processes.ts';
import type { RestartableComponent } from './fault-schedule.ts';
import { NODE_COUNT, RESTORE_NAME, VELERO_NAMESPACE } from './scenario.ts';
import type { Scenario } from './scenario.ts';

export type ChaosBedKind = 'devcluster' | 'real';

export interface ChaosBed {
  readonly kind: ChaosBedKind;
  /** Admin client (system:masters). */
  readonly client: ClusterClient;
  /** A kubeconfig (YAML) for a ServiceAccount, created if missing. */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** Waits until pods can be created in the namespace (a real API server needs its default ServiceAccount). */
  namespaceReady(namespace: string): Promise<void>;
  /** Creates the Restore; Velero (simulated, or played here) restores the backup. Resolves once it is created. */
  startRestore(scenario: Scenario): Promise<void>;
  /** Resolves once Velero has finished the restore (real: the objects are created; devcluster: at once). */
  readonly veleroDone: Promise<void>;
  /** Devcluster: the injector's rules, history compaction and API pauses. */
  readonly injector?: {
    setRules(seed: number, rules: unknown[]): Promise<void>;
    counters(): Promise<FaultCounters>;
    compact(): Promise<void>;
    pause(): Promise<void>;
    resume(): Promise<void>;
    off(): Promise<void>;
  };
  /** Real: SIGKILL and restart a control-plane process, or crash and restart the stand-in kubelet. */
  restart?(component: RestartableComponent): Promise<void>;
  runs(): Promise<ContainerRun[]>;
  writes(user: string): Promise<WriteRecord[]>;
  execHistory(): Promise<ExecHistoryItem[]>;
  /**
   * The webhook calls failurePolicy Ignore forgave: each with its object on the devcluster; on the real bed only
   * their number (kube-apiserver 1.20 logs "Failed calling webhook, failing open" without the object).
   */
  failOpens(): Promise<{ total: number; items: FailOpenRecord[] | undefined }>;
  /** Where the bed's own logs are. */
  readonly logDir: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDevclusterBed(workDir: string, backup: Scenario['backup']): Promise<ChaosBed> {
  const backupDir = join(workDir, 'backups', 'chaos-backup');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(backupDir, { recursive: true });
  writeFileSync(
    join(backupDir, 'backup.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: backup }),
  );
  writeFileSync(join(workDir, 'faults.json'), JSON.stringify({ seed: 0, rules: [] }));
  const adminKubeconfig = join(workDir, 'admin.kubeconfig');
  const devcluster = new DevclusterProcess(
    [
      '--kubeconfig',
      adminKubeconfig,
      '--backups',
      join(workDir, 'backups'),
      '--rbac',
      '--faults',
      join(workDir, 'faults.json'),
    ],
    join(workDir, 'devcluster.log'),
  );
  try {
    await devcluster.waitForKubeconfig(adminKubeconfig);
  } catch (e) {
    await devcluster.stop();
    throw e;
  }
  const client = new ClusterClient(parseKubeconfig(readFileSync(adminKubeconfig, 'utf8')));
  return {
    kind: 'devcluster',
    client,
    serviceAccountKubeconfig: (namespace, name) =>
      client.admin<string>(`/devcluster/kubeconfig?serviceAccount=${namespace}/${name}`),
    namespaceReady: async () => {},
    async startRestore(scenario) {
      await client.json(
        'POST',
        `/apis/velero.io/v1/namespaces/${VELERO_NAMESPACE}/restores`,
        scenario.restore,
      );
    },
    veleroDone: Promise.resolve(),
    injector: {
      setRules: (seed, rules) => client.admin('/devcluster/faults', 'PUT', { seed, rules }),
      counters: async () => (await client.admin<{ counters: FaultCounters }>('/devcluster/faults')).counters,
      compact: () => client.admin('/devcluster/faults/compact', 'POST'),
      pause: () => client.admin('/devcluster/faults/pause', 'POST'),
      resume: () => client.admin('/devcluster/faults/resume', 'POST'),
      off: () => client.admin('/devcluster/faults', 'PUT', { rules: [], paused: false }),
    },
    runs: async () => (await client.admin<{ items: ContainerRun[] }>('/devcluster/kubelet/runs')).items,
    writes: async (user) =>
      (await client.admin<{ items: WriteRecord[] }>(`/devcluster/writes?user=${encodeURIComponent(user)}`))
        .items,
    execHistory: async () =>
      (await client.admin<{ items: ExecHistoryItem[] }>('/devcluster/exec/history')).items,
    failOpens: () =>
      client.admin<{ total: number; items: FailOpenRecord[] }>('/devcluster/admission/fail-open'),
    logDir: workDir,
    async stop() {
      client.close();
      await devcluster.stop();
    },
  };
}

interface RealPlane {
  readonly kubeconfig: string;
  readonly dir: string;
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  readonly nodeAgent: { runs(): ContainerRun[]; execHistory(): ExecHistoryItem[] };
  writes(filter?: { user?: string }): Promise<WriteRecord[]>;
  restart(component: string): Promise<void>;
  stop(): Promise<void>;
}

/** Velero's path for a planned object. */
function collectionPath(
  type: { group: string; version: string; resource: string; namespaced: boolean },
  ns?: string,
) {
  const base = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  return `${base}${type.namespaced && ns ? `/namespaces/${ns}` : ''}/${type.resource}`;
}

export async function startRealBed(workDir: string, log: (line: string) => void): Promise<ChaosBed> {
  const { startRealControlPlane } = (await import('../../hack/real-cluster/control-plane.ts')) as {
    startRealControlPlane(options: {
      nodes?: number;
      dir?: string;
      keepDir?: boolean;
      log?: (m: string) => void;
    }): Promise<RealPlane>;
  };
  const dir = join(workDir, 'real-cluster');
  const plane = await startRealControlPlane({ nodes: NODE_COUNT, dir, keepDir: true, log });
  const client = new ClusterClient(parseKubeconfig(plane.kubeconfig));
  let velero: ClusterClient | undefined;
  let resolveDone: () => void = () => {};
  let rejectDone: (e: unknown) => void = () => {};
  const veleroDone = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  veleroDone.catch(() => {});
  const restorePath = `/apis/velero.io/v1/namespaces/${VELERO_NAMESPACE}/restores/${RESTORE_NAME}`;
  const setStatus = (status: Record<string, unknown>) =>
    velero!.json('PATCH', restorePath, { status }, { contentType: 'application/merge-patch+json' });
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  /** What the devcluster's simulated Velero does (src/devcluster/velero/server.ts), through the real API server. */
  async function playVelero(scenario: Scenario): Promise<void> {
    const spec = (scenario.restore as { spec: RestoreSpecLike }).spec;
    const plan = planRestore(scenario.backup as unknown as KubeObject[], RESTORE_NAME, spec);
    await setStatus({ phase: 'InProgress', startTimestamp: now() });
    let restored = 0;
    let warnings = 0;
    let errors = 0;
    for (const { type, object } of plan.objects) {
      try {
        await velero!.json('POST', collectionPath(type, object.metadata.namespace), object, { attempts: 10 });
        restored++;
      } catch (e) {
        if (e instanceof HttpError && e.status === 409) warnings++;
        else {
          errors++;
          log(
            `velero: could not restore ${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}: ${(e as Error).message}`,
          );
        }
      }
    }
    await setStatus({
      phase: errors > 0 ? 'PartiallyFailed' : 'Completed',
      completionTimestamp: now(),
      progress: { itemsRestored: restored, totalItems: plan.objects.length },
      ...(warnings > 0 ? { warnings } : {}),
      ...(errors > 0 ? { errors } : {}),
    });
  }

  const namespaceReady = async (namespace: string) => {
    for (let i = 0; i < 600; i++) {
      const sa = await client.json<{ kind?: string }>(
        'GET',
        `/api/v1/namespaces/${namespace}/serviceaccounts/default`,
        undefined,
        { accept: [404] },
      );
      if (sa.kind === 'ServiceAccount') return;
      await sleep(100);
    }
    throw new Error(`namespace ${namespace}: no default ServiceAccount after 60 s`);
  };

  return {
    kind: 'real',
    client,
    serviceAccountKubeconfig: (namespace, name) => plane.serviceAccountKubeconfig(namespace, name),
    namespaceReady,
    async startRestore(scenario) {
      if (!velero) {
        await client.json(
          'POST',
          '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: 'velero' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'ServiceAccount', name: 'velero', namespace: VELERO_NAMESPACE }],
          },
          { accept: [409] },
        );
        velero = new ClusterClient(
          parseKubeconfig(await plane.serviceAccountKubeconfig(VELERO_NAMESPACE, 'velero')),
        );
      }
      await client.json(
        'POST',
        `/apis/velero.io/v1/namespaces/${VELERO_NAMESPACE}/restores`,
        scenario.restore,
      );
      void playVelero(scenario).then(resolveDone, rejectDone);
    },
    veleroDone,
    restart: (component) => plane.restart(component),
    runs: async () => plane.nodeAgent.runs(),
    writes: (user) => plane.writes({ user }),
    execHistory: async () => plane.nodeAgent.execHistory(),
    async failOpens() {
      let text = '';
      try {
        text = readFileSync(join(dir, 'logs', 'kube-apiserver.log'), 'utf8');
      } catch {
        // no log yet
      }
      return { total: text.split('Failed calling webhook, failing open').length - 1, items: undefined };
    },
    logDir: join(dir, 'logs'),
    async stop() {
      velero?.close();
      client.close();
      await plane.stop();
    },
  };
}
