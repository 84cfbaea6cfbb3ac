/**
 * Controller memory against unrelated cluster objects: RSS and heap of a freshly started controller, idle after
 * its informers synced, on an empty cluster and then on the same cluster holding N unrelated running pods (no
 * restore label, not Pending). The controller's informers select restored workloads and Pending pods only, so
 * ideally nothing grows.
 */
import PQueue from 'p-queue';
import { namespaces, unrelatedPod } from './fixtures.ts';
import { startController, startDevcluster, until } from './processes.ts';
import type { ControllerSettings } from './processes.ts';
import { prepareCluster } from './restore-run.ts';
import { steadyMemory } from './steady-memory.ts';

export interface MemorySample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

export interface MemoryRunResult {
  readonly unrelatedPods: number;
  /** One sample per repeat. */
  readonly empty: readonly MemorySample[];
  readonly withUnrelated: readonly MemorySample[];
}

const SETTLE_MS = 3000;
const PODS_PER_NAMESPACE = 1000;

async function idleSample(
  dir: string,
  kubeconfig: string,
  settings: ControllerSettings,
): Promise<MemorySample> {
  const controller = await startController(dir, kubeconfig, settings);
  try {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const { rssBytes, heapUsedBytes } = await steadyMemory(controller);
    return { rssBytes, heapUsedBytes };
  } finally {
    await controller.stop();
  }
}

export async function memoryRun(
  dir: string,
  settings: ControllerSettings,
  unrelatedPods: number,
  repeats: number,
): Promise<MemoryRunResult> {
  const devcluster = await startDevcluster(dir);
  try {
    const { admin } = devcluster;
    const spaces = namespaces('unrelated', Math.ceil(unrelatedPods / PODS_PER_NAMESPACE) * 20);
    await prepareCluster(admin, spaces);
    const empty: MemorySample[] = [];
    for (let r = 0; r < repeats; r++) empty.push(await idleSample(dir, devcluster.kubeconfig, settings));

    const queue = new PQueue({ concurrency: 32 });
    await Promise.all(
      Array.from({ length: unrelatedPods }, (_, i) => {
        const namespace = spaces[Math.floor(i / PODS_PER_NAMESPACE)]!;
        return queue.add(() =>
          admin.request('POST', `/api/v1/namespaces/${namespace}/pods`, unrelatedPod(namespace, `u-${i}`)),
        );
      }),
    );
    await until(
      `${unrelatedPods} unrelated pods to be running`,
      async () => {
        const pending = await admin.request<{ items: unknown[] }>(
          'GET',
          '/api/v1/pods?fieldSelector=status.phase%3DPending&limit=1',
        );
        return pending.items.length === 0 ? true : undefined;
      },
      600_000,
      500,
    );
    const withUnrelated: MemorySample[] = [];
    for (let r = 0; r < repeats; r++)
      withUnrelated.push(await idleSample(dir, devcluster.kubeconfig, settings));
    return { unrelatedPods, empty, withUnrelated };
  } finally {
    await devcluster.stop();
  }
}
