/**
 * Hook latency at a steady arrival rate: restored bare pods (Velero restores pods without their owner references)
 * appear at `rate` per second, and the bench's own watch times each pod from its first appearance without the hook
 * to the appearance of the pod with the hook (for a bare pod, the controller's hook write is the replacement pod).
 * Also timed: the controller's first write for the pod (its deletion, seen as a deletionTimestamp or the pod gone),
 * so that the controller's reaction and the old pod's graceful termination can be told apart.
 * The first `warmupSeconds` of arrivals are excluded.
 */
import { barePod, hasHook, restore, BENCH_LABEL } from './fixtures.ts';
import { BenchClient, readKubeconfig } from './kube.ts';
import {
  CONTROLLER_NAMESPACE,
  cpuMs,
  metricTotal,
  startController,
  startDevcluster,
  until,
} from './processes.ts';
import { startReplacementFloor } from './replacement-floor.ts';
import type { ControllerSettings } from './processes.ts';
import { prepareCluster } from './restore-run.ts';
import { CONTROLLER_AGENT, FLOOR_AGENT } from './requests.ts';
import type { RequestCount } from '../../src/devcluster/requests/request-counter.ts';
import { atSteadyRate } from './steady-rate.ts';

export interface LatencyRunResult {
  readonly ratePerSecond: number;
  /** Measured pods (warm-up excluded). */
  readonly pods: number;
  /** The arrival rate achieved by the bench (pods created per second of the measured phase). */
  readonly achievedRatePerSecond: number;
  /** Per measured pod: from appearing to the pod with its hook appearing. */
  readonly latenciesMs: readonly number[];
  /** Per measured pod: from appearing to the controller's first write for it (the old pod marked for deletion). */
  readonly firstWriteMs: readonly number[];
  readonly mode: 'controller' | 'floor';
  /** The replacing client's requests per replaced pod (warm-up included), by "verb resource[/subresource]". */
  readonly requestsPerPod: Readonly<Record<string, number>>;
  /** CPU time per replaced pod (warm-up included) of the devcluster and of the controller (controller runs). */
  readonly cpuMsPerPod: { readonly devcluster?: number; readonly controller?: number };
  /** Controller runs: how its client-side rate limit (api.qps, api.burst) held its requests (warm-up included). */
  readonly rateLimiter?: RateLimiterHold;
}

export interface RateLimiterHold {
  /** The share of requests held back 1 ms or more. */
  readonly heldShare: number;
  /** Milliseconds requests were held, in all, per replaced pod. */
  readonly heldMsPerPod: number;
}

const LIMITER = 'rest_client_rate_limiter_duration_seconds';

function limiterTotals(exposition: string): { count: number; quick: number; seconds: number } {
  return {
    count: metricTotal(exposition, `${LIMITER}_count`),
    quick: metricTotal(exposition, `${LIMITER}_bucket`, 'le="0.001"'),
    seconds: metricTotal(exposition, `${LIMITER}_sum`),
  };
}

interface PodLike {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { initContainers?: { name: string }[] };
}

const NAMESPACE = 'latency';
const RESTORE = 'latency';

async function arrive(
  admin: BenchClient,
  prefix: string,
  rate: number,
  seconds: number,
  names: string[],
): Promise<number> {
  return atSteadyRate(rate, seconds, (i) => {
    const name = `${prefix}-${String(i).padStart(5, '0')}`;
    names.push(name);
    return admin.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, barePod(RESTORE, NAMESPACE, name));
  });
}

/**
 * One run: the controller replaces the pods, or (`floor`) a bare client makes the same necessary writes
 * (replacement-floor.ts), on a fresh devcluster.
 */
export async function latencyRun(
  dir: string,
  mode: 'controller' | 'floor',
  settings: ControllerSettings,
  rate: number,
  seconds: number,
  warmupSeconds: number,
): Promise<LatencyRunResult> {
  const devcluster = await startDevcluster(dir);
  const { admin } = devcluster;
  let stopController: (() => Promise<void>) | undefined;
  let scrapeController: (() => Promise<string>) | undefined;
  let floorClient: BenchClient | undefined;
  const appearedAt = new Map<string, number>();
  const hookedAfter = new Map<string, number>();
  const firstWriteAfter = new Map<string, number>();
  let watchError: Error | undefined;
  const stopWatch = admin.watch<PodLike>(
    `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(`${BENCH_LABEL}=${RESTORE}`)}`,
    (e) => {
      const name = e.object.metadata.name;
      const now = performance.now();
      const appeared = appearedAt.get(name);
      if (
        appeared !== undefined &&
        !firstWriteAfter.has(name) &&
        (e.type === 'DELETED' || e.object.metadata.deletionTimestamp !== undefined)
      )
        firstWriteAfter.set(name, now - appeared);
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
      if (!hasHook(e.object.spec)) {
        if (!appearedAt.has(name)) appearedAt.set(name, now);
      } else if (appearedAt.has(name) && !hookedAfter.has(name)) {
        hookedAfter.set(name, now - appearedAt.get(name)!);
      }
    },
    (e) => (watchError ??= e),
  );
  try {
    await prepareCluster(admin, [NAMESPACE]);
    let controllerPid: number | undefined;
    if (mode === 'controller') {
      const controller = await startController(dir, devcluster.kubeconfig, settings);
      stopController = () => controller.stop();
      scrapeController = () => controller.scrape();
      controllerPid = controller.pid;
    } else {
      floorClient = new BenchClient(await readKubeconfig(devcluster.kubeconfig), FLOOR_AGENT);
      startReplacementFloor(floorClient, NAMESPACE, CONTROLLER_NAMESPACE, (e) => (watchError ??= e));
    }
    await admin.request(
      'POST',
      '/apis/velero.io/v1/namespaces/velero/restores',
      restore(RESTORE, 'InProgress'),
    );
    // creationTimestamp has whole seconds: pods must not predate the Restore's startTimestamp.
    await new Promise((r) => setTimeout(r, 1000));
    await admin.request('DELETE', '/devcluster/requests');
    const cpuAtStart = [cpuMs(devcluster.pid), controllerPid && cpuMs(controllerPid)];
    const limiterAtStart = scrapeController && limiterTotals(await scrapeController());
    const warmup: string[] = [];
    await arrive(admin, 'warmup', rate, warmupSeconds, warmup);
    const measured: string[] = [];
    const achieved = await arrive(admin, 'pod', rate, seconds, measured);
    const all = [...warmup, ...measured];
    await until(
      'every latency pod to be replaced with its hook',
      () => {
        if (watchError) throw watchError;
        return all.every((n) => hookedAfter.has(n)) ? true : undefined;
      },
      300_000,
      20,
    );
    const cpuAtEnd = [cpuMs(devcluster.pid), controllerPid && cpuMs(controllerPid)];
    const limiterAtEnd = scrapeController && limiterTotals(await scrapeController());
    const rateLimiter =
      limiterAtStart && limiterAtEnd
        ? {
            heldShare:
              1 -
              (limiterAtEnd.quick - limiterAtStart.quick) /
                Math.max(1, limiterAtEnd.count - limiterAtStart.count),
            heldMsPerPod: ((limiterAtEnd.seconds - limiterAtStart.seconds) * 1000) / all.length,
          }
        : undefined;
    const perPod = (i: number) => {
      const [start, end] = [cpuAtStart[i], cpuAtEnd[i]];
      return start !== undefined && end !== undefined ? (end - start) / all.length : undefined;
    };
    const counts = await admin.request<{ requests: RequestCount[] }>('GET', '/devcluster/requests');
    const requestsPerPod: Record<string, number> = {};
    for (const c of counts.requests) {
      if (c.userAgent !== (mode === 'controller' ? CONTROLLER_AGENT : FLOOR_AGENT)) continue;
      const kind = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}`;
      requestsPerPod[kind] = (requestsPerPod[kind] ?? 0) + c.count / all.length;
    }
    const [devclusterCpu, controllerCpu] = [perPod(0), perPod(1)];
    return {
      mode,
      requestsPerPod,
      cpuMsPerPod: {
        ...(devclusterCpu !== undefined ? { devcluster: devclusterCpu } : {}),
        ...(controllerCpu !== undefined ? { controller: controllerCpu } : {}),
      },
      ...(rateLimiter ? { rateLimiter } : {}),
      ratePerSecond: rate,
      pods: measured.length,
      achievedRatePerSecond: achieved,
      latenciesMs: measured.map((n) => hookedAfter.get(n)!),
      firstWriteMs: measured.map((n) => firstWriteAfter.get(n) ?? hookedAfter.get(n)!),
    };
  } finally {
    stopWatch();
    floorClient?.close();
    await stopController?.();
    await devcluster.stop();
  }
}
