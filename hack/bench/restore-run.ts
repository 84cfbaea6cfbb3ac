/**
 * One measured restore: W restored Deployments of 5 Pending pods each, in namespaces of 20 workloads, on a fresh
 * devcluster process. The clock starts when the Restore turns InProgress (controller mode) or when the bare client
 * starts writing (floor mode), and stops when the bench's own watch sees every pod of the restore carrying the hook
 * and none without it. A warm-up restore of 20 workloads goes first and is not measured.
 */
import PQueue from 'p-queue';
import { ClientRateLimiter } from '../../src/controller/machinery/rate-limit.ts';
import {
  BENCH_LABEL,
  PODS_PER_WORKLOAD,
  TEMPLATE_PATCH,
  deployment,
  hasHook,
  namespaces,
  restore,
  workloadPlacement,
} from './fixtures.ts';
import type { BenchClient, WatchEvent } from './kube.ts';
import { CONTROLLER_NAMESPACE, cpuMs, startController, startDevcluster, until } from './processes.ts';
import type { ControllerProcess, ControllerSettings } from './processes.ts';
import { countWrites } from './requests.ts';
import { PeakRss, steadyMemory } from './steady-memory.ts';
import type { WriteCounts } from './requests.ts';

export type Mode = 'controller' | 'floor';

export interface RestoreRunResult {
  readonly mode: Mode;
  readonly pods: number;
  readonly workloads: number;
  /** From start to every pod hooked. */
  readonly totalMs: number;
  /** Per workload: from start to the bench seeing its template carry the hook. */
  readonly templateHookedMs: readonly number[];
  readonly writes: WriteCounts;
  /** Status writes per second of the measured window (start to every pod hooked, plus 2 s for the last write). */
  readonly windowSeconds: number;
  /** The controller's memory at steady state after the restore (steady-memory.ts): medians of 5 scrapes. */
  readonly rssBytes?: number;
  readonly heapUsedBytes?: number;
  /** How long after every pod was hooked (plus the 2 s for the last status write) its queues were empty. */
  readonly quietAfterMs?: number;
  readonly steady?: boolean;
  /** The highest RSS scraped (every second) from the start of the measured restore to steady state. */
  readonly rssPeakBytes?: number;
  /**
   * CPU milliseconds (user + system, from /proc) spent from the start to every pod hooked, by the devcluster and by
   * the controller (none in a floor run): unlike the wall time, they hardly change with the machine's load.
   */
  readonly cpuMs?: { readonly devcluster: number; readonly controller?: number };
}

interface PodLike {
  metadata: { namespace?: string; name: string; deletionTimestamp?: string };
  spec?: { initContainers?: { name: string }[] };
}
interface WorkloadLike {
  metadata: { namespace?: string; name: string };
  spec: { template: { spec?: { initContainers?: { name: string }[] } } };
}

/** Follows the pods and Deployments of one restore through watches: which pods have the hook, when templates got it. */
export class RestoreTracker {
  readonly #pods = new Map<string, boolean>();
  #unhooked = 0;
  #hooked = 0;
  lastPodEventAt = 0;
  readonly templateHookedAt = new Map<string, number>();
  #error: Error | undefined;
  readonly #stops: (() => void)[] = [];

  constructor(client: BenchClient, restoreName: string) {
    const fail = (e: Error) => (this.#error ??= e);
    this.#stops.push(
      client.watch<PodLike>(
        `/api/v1/pods?labelSelector=${encodeURIComponent(`${BENCH_LABEL}=${restoreName}`)}`,
        (e) => this.#onPod(e),
        fail,
      ),
      client.watch<WorkloadLike>(
        `/apis/apps/v1/deployments?labelSelector=${encodeURIComponent(`velero.io/restore-name=${restoreName}`)}`,
        (e) => {
          const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
          if (e.type !== 'DELETED' && hasHook(e.object.spec.template.spec) && !this.templateHookedAt.has(key))
            this.templateHookedAt.set(key, performance.now());
        },
        fail,
      ),
    );
  }

  #onPod(e: WatchEvent<PodLike>): void {
    if (e.type === 'ERROR' || e.type === 'BOOKMARK') {
      if (e.type === 'ERROR') this.#error ??= new Error(`pod watch error: ${JSON.stringify(e.object)}`);
      return;
    }
    this.lastPodEventAt = performance.now();
    const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    const before = this.#pods.get(key);
    if (before !== undefined) {
      if (before) this.#hooked--;
      else this.#unhooked--;
    }
    if (e.type === 'DELETED') {
      this.#pods.delete(key);
      return;
    }
    const now = hasHook(e.object.spec);
    this.#pods.set(key, now);
    if (now) this.#hooked++;
    else this.#unhooked++;
  }

  get total(): number {
    this.#check();
    return this.#hooked + this.#unhooked;
  }

  allHooked(pods: number): boolean {
    this.#check();
    return this.#hooked === pods && this.#unhooked === 0;
  }

  #check(): void {
    if (this.#error) throw this.#error;
  }

  stop(): void {
    for (const s of this.#stops) s();
  }
}

export async function createAll(
  client: BenchClient,
  items: { path: string; body: unknown }[],
): Promise<void> {
  const queue = new PQueue({ concurrency: 16 });
  await Promise.all(items.map((i) => queue.add(() => client.request('POST', i.path, i.body))));
}

/** Namespaces, the conditions field of the Restore CRD, and the controller's own namespace. */
export async function prepareCluster(admin: BenchClient, extraNamespaces: readonly string[]): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const { parse } = await import('yaml');
  const ops = parse(
    await readFile(
      new URL('../../config/crd/patches/restore-status-conditions.yaml', import.meta.url),
      'utf8',
    ),
  ) as unknown;
  await admin.request(
    'PATCH',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/restores.velero.io',
    ops,
    'application/json-patch+json',
  );
  await createAll(
    admin,
    ['velero', CONTROLLER_NAMESPACE, ...extraNamespaces].map((name) => ({
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    })),
  );
}

/** Creates a restore's Deployments (Restore phase New) and waits until all their pods exist and the cluster is quiet. */
async function stageRestore(
  admin: BenchClient,
  name: string,
  workloads: number,
  tracker: RestoreTracker,
): Promise<{ namespace: string; name: string }[]> {
  await admin.request('POST', '/apis/velero.io/v1/namespaces/velero/restores', restore(name, 'New'));
  // creationTimestamp has whole seconds: the workloads must not predate the Restore's startTimestamp.
  await new Promise((r) => setTimeout(r, 1000));
  const placement = workloadPlacement(name, workloads);
  await createAll(
    admin,
    placement.map((w) => ({
      path: `/apis/apps/v1/namespaces/${w.namespace}/deployments`,
      body: deployment(name, w.namespace, w.name),
    })),
  );
  const pods = workloads * PODS_PER_WORKLOAD;
  await until(
    `${pods} pending pods of restore ${name}`,
    () => (tracker.total === pods ? true : undefined),
    600_000,
  );
  await until(
    'the simulated cluster to settle',
    () => (performance.now() - tracker.lastPodEventAt > 1000 ? true : undefined),
    600_000,
  );
  return placement;
}

/** The floor: the template patches alone, at the controller's concurrency and client rate limit. */
async function floorWrites(
  client: BenchClient,
  placement: readonly { namespace: string; name: string }[],
  settings: ControllerSettings,
): Promise<void> {
  const limiter = new ClientRateLimiter({ qps: settings.qps, burst: settings.burst });
  const queue = new PQueue({ concurrency: settings.reconciles });
  await Promise.all(
    placement.map((w) =>
      queue.add(async () => {
        await limiter.wait();
        await client.request(
          'PATCH',
          `/apis/apps/v1/namespaces/${w.namespace}/deployments/${w.name}`,
          TEMPLATE_PATCH,
          'application/merge-patch+json',
        );
      }),
    ),
  );
}

async function hookRestore(
  mode: Mode,
  admin: BenchClient,
  floor: BenchClient,
  name: string,
  workloads: number,
  settings: ControllerSettings,
  pids?: { devcluster: number; controller?: number },
): Promise<{ totalMs: number; templateHookedMs: number[]; cpuMs?: RestoreRunResult['cpuMs'] }> {
  const tracker = new RestoreTracker(admin, name);
  try {
    const placement = await stageRestore(admin, name, workloads, tracker);
    const pods = workloads * PODS_PER_WORKLOAD;
    await admin.request('DELETE', '/devcluster/requests');
    const cpuAt = () => ({
      devcluster: pids ? (cpuMs(pids.devcluster) ?? 0) : 0,
      controller: pids?.controller !== undefined ? (cpuMs(pids.controller) ?? 0) : 0,
    });
    const cpu0 = cpuAt();
    const t0 = performance.now();
    if (mode === 'controller')
      await admin.request(
        'PATCH',
        `/apis/velero.io/v1/namespaces/velero/restores/${name}`,
        { status: { phase: 'InProgress' } },
        'application/merge-patch+json',
      );
    else await floorWrites(floor, placement, settings);
    await until(
      `every pod of restore ${name} to have its hook`,
      () => (tracker.allHooked(pods) ? true : undefined),
      1_800_000,
      5,
    );
    const totalMs = performance.now() - t0;
    const cpu1 = cpuAt();
    return {
      totalMs,
      templateHookedMs: [...tracker.templateHookedAt.values()].map((t) => t - t0),
      ...(pids
        ? {
            cpuMs: {
              devcluster: cpu1.devcluster - cpu0.devcluster,
              ...(pids.controller !== undefined ? { controller: cpu1.controller - cpu0.controller } : {}),
            },
          }
        : {}),
    };
  } finally {
    tracker.stop();
  }
}

export async function restoreRun(
  dir: string,
  mode: Mode,
  workloads: number,
  settings: ControllerSettings,
  floorClient: (kubeconfig: string) => Promise<BenchClient>,
): Promise<RestoreRunResult> {
  const devcluster = await startDevcluster(dir);
  let controller: ControllerProcess | undefined;
  let floor: BenchClient | undefined;
  try {
    const { admin } = devcluster;
    await prepareCluster(admin, [...namespaces('warmup', 20), ...namespaces('measured', workloads)]);
    floor = await floorClient(devcluster.kubeconfig);
    if (mode === 'controller') controller = await startController(dir, devcluster.kubeconfig, settings);
    await hookRestore(mode, admin, floor, 'warmup', 20, settings);
    const peak = controller ? new PeakRss(controller) : undefined;
    const measured = await hookRestore(mode, admin, floor, 'measured', workloads, settings, {
      devcluster: devcluster.pid,
      ...(controller ? { controller: controller.pid } : {}),
    });
    // The restore's last status write is coalesced up to a second after the last workload change.
    await new Promise((r) => setTimeout(r, 2000));
    const writes = countWrites(await admin.request('GET', '/devcluster/requests'));
    const memory = controller ? await steadyMemory(controller) : undefined;
    const rssPeakBytes = peak?.stop();
    return {
      mode,
      pods: workloads * PODS_PER_WORKLOAD,
      workloads,
      ...measured,
      writes,
      windowSeconds: measured.totalMs / 1000 + 2,
      ...(memory ? { ...memory, rssPeakBytes: Math.max(rssPeakBytes ?? 0, memory.rssBytes) } : {}),
    };
  } finally {
    floor?.close();
    await controller?.stop();
    await devcluster.stop();
  }
}
