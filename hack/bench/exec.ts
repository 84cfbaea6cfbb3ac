/**
 * Exec hooks per second at the configured concurrency (concurrency.execHooks): N restored pods, each with one exec
 * hook from the Restore's spec.hooks, created at once on a warm controller. The clock runs from the first create
 * to the bench's watch seeing the last pod's progress record (annotation restore-hooks.dev/exec-hooks) report the
 * hook Succeeded. The simulated kubelet starts pods at once and the devcluster's simulated shell runs `echo` in no
 * time, so the figure is the controller's own rate: waiting for the container, the exec WebSocket, the record write.
 * The pods are bare pods Velero restored, so the controller runs with exec.veleroRestoredPods: Run.
 */
import PQueue from 'p-queue';
import { BENCH_LABEL, isoNowSeconds } from './fixtures.ts';
import { startController, startDevcluster, until } from './processes.ts';
import type { ControllerSettings } from './processes.ts';
import { prepareCluster } from './restore-run.ts';
import type { BenchClient } from './kube.ts';

export interface ExecRunResult {
  readonly hooks: number;
  readonly seconds: number;
}

export type ExecFigure =
  | {
      readonly available: true;
      readonly concurrency: number;
      readonly hooksPerRun: number;
      readonly hooksPerSecond: number;
    }
  | { readonly available: false; readonly reason: string };

const NAMESPACE = 'exec';
const RESTORE = 'exec';
const RECORD = 'restore-hooks.dev/exec-hooks';

function execRestore() {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: RESTORE, namespace: 'velero' },
    spec: {
      backupName: `${RESTORE}-backup`,
      includedNamespaces: ['*'],
      hooks: {
        resources: [
          {
            name: 'bench-exec',
            postHooks: [{ exec: { container: 'app', command: ['/bin/sh', '-c', 'echo restored'] } }],
          },
        ],
      },
    },
    status: { phase: 'InProgress', startTimestamp: isoNowSeconds() },
  };
}

function runningPod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NAMESPACE,
      labels: {
        'velero.io/restore-name': RESTORE,
        'velero.io/backup-name': `${RESTORE}-backup`,
        [BENCH_LABEL]: RESTORE,
      },
    },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
  };
}

interface PodLike {
  metadata: { name: string; annotations?: Record<string, string> };
}

/** Whether the pod's progress record shows its one hook finished successfully. */
function hookSucceeded(pod: PodLike): boolean {
  const text = pod.metadata.annotations?.[RECORD];
  if (!text) return false;
  try {
    const record = JSON.parse(text) as { hooks?: Record<string, { result?: string }> };
    const entries = Object.values(record.hooks ?? {});
    return entries.length > 0 && entries.every((e) => e.result === 'Succeeded');
  } catch {
    return false;
  }
}

async function createPods(admin: BenchClient, prefix: string, count: number): Promise<string[]> {
  const queue = new PQueue({ concurrency: 16 });
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
  await Promise.all(
    names.map((n) =>
      queue.add(() => admin.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, runningPod(n))),
    ),
  );
  return names;
}

export async function execRun(
  dir: string,
  settings: ControllerSettings,
  hooks: number,
): Promise<ExecRunResult> {
  const devcluster = await startDevcluster(dir);
  const { admin } = devcluster;
  let stopController: (() => Promise<void>) | undefined;
  const done = new Set<string>();
  let watchError: Error | undefined;
  const stopWatch = admin.watch<PodLike>(
    `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(`${BENCH_LABEL}=${RESTORE}`)}`,
    (e) => {
      if ((e.type === 'ADDED' || e.type === 'MODIFIED') && hookSucceeded(e.object))
        done.add(e.object.metadata.name);
    },
    (e) => (watchError ??= e),
  );
  const allDone = (names: readonly string[]) => () => {
    if (watchError) throw watchError;
    return names.every((n) => done.has(n)) ? true : undefined;
  };
  try {
    await prepareCluster(admin, [NAMESPACE]);
    const controller = await startController(dir, devcluster.kubeconfig, {
      ...settings,
      runExecHooksOfVeleroPods: true,
    });
    stopController = () => controller.stop();
    await admin.request('POST', '/apis/velero.io/v1/namespaces/velero/restores', execRestore());
    // creationTimestamp has whole seconds: pods must not predate the Restore's startTimestamp.
    await new Promise((r) => setTimeout(r, 1000));
    const warmup = await createPods(admin, 'warmup', 20);
    await until('the warm-up exec hooks', allDone(warmup), 300_000, 20);
    const t0 = performance.now();
    const measured = await createPods(admin, 'pod', hooks);
    await until(`${hooks} exec hooks to succeed`, allDone(measured), 600_000, 10);
    return { hooks, seconds: (performance.now() - t0) / 1000 };
  } finally {
    stopWatch();
    await stopController?.();
    await devcluster.stop();
  }
}
