/**
 * Admission latency at a steady rate of pod creations: the bench creates marked pods (what a restored workload's
 * ReplicaSet creates from a template admission marked) as the ReplicaSet controller's ServiceAccount, at `rate`
 * per second, while their Restore is InProgress, so that each one goes through the pod webhook and gets its hooks.
 *
 * Timed: each webhook call as the API server sees it (the devcluster's call log: building the AdmissionReview to
 * the verified answer, TLS and JSON included), the controller's own `controller_runtime_webhook_latency_seconds`
 * (a histogram: its quantiles are interpolated within buckets, as Prometheus' histogram_quantile does), and the
 * create's round trip as the creating client sees it. A `floor` run makes the same creates with no webhook
 * configuration: the round trip without admission. A `trivial` run is the control: the same webhook configuration
 * and TLS, served by a process that admits every pod untouched at once (trivial-webhook.ts), with no controller:
 * what any webhook costs on this bed. The first `warmupSeconds` of creations are excluded.
 */
import { HOOK_NAME, markedPod, ownerReplicaSet, restore } from './fixtures.ts';
import { BenchClient, readKubeconfig } from './kube.ts';
import { generateCa, signServingCertificate } from '../../src/kube/certificates.ts';
import { servingHosts } from '../../src/controller/admission/webhook-certificate-rules.ts';
import {
  WEBHOOK_SERVICE_NAME,
  webhookConfiguration,
} from '../../src/controller/admission/webhook-configuration.ts';
import { admissionCluster, webhookCalls } from './admission.ts';
import {
  CONTROLLER_NAMESPACE,
  WEBHOOK_CONFIGURATION_PATH,
  cpuMs,
  metricValue,
  serviceAccountKubeconfig,
  startTrivialWebhook,
} from './processes.ts';
import type { ControllerSettings, TrivialWebhookProcess } from './processes.ts';
import { atSteadyRate } from './steady-rate.ts';

export const POD_WEBHOOK = 'pods.restore-hooks.dev';
export const POD_WEBHOOK_PATH = '/mutate-pods';
export const REPLICASET_CONTROLLER_SA = 'kube-system/replicaset-controller';
export const LATENCY_NAMESPACE = 'admission-latency';
export const LATENCY_RESTORE = 'admission-latency';

/** With restore-hooks serving the webhooks; with no webhook (floor); with the trivial webhook in its place. */
export type LatencyMode = 'admission' | 'floor' | 'trivial';

export interface AdmissionLatencyRunResult {
  readonly mode: LatencyMode;
  readonly ratePerSecond: number;
  readonly achievedRatePerSecond: number;
  readonly pods: number;
  /** Per pod webhook call on a measured pod (two per pod when the first patches): its duration in the devcluster. */
  readonly apiServerMs: readonly number[];
  /** The controller's histogram over the measured creations: p50 and p99 interpolated in its buckets. */
  readonly controllerMs?: { readonly p50: number; readonly p99: number; readonly count: number };
  /**
   * The controller's event-loop delay over the measured creations (prom-client's monitorEventLoopDelay, reset at
   * each scrape): how long a webhook request that has arrived may wait before the handler's timer starts.
   */
  readonly controllerLoopDelayMs?: { readonly p99: number; readonly max: number };
  /** The devcluster's event-loop delay over the measured creations (/devcluster/event-loop): its API server's wait. */
  readonly devclusterLoopDelayMs?: { readonly p99: number; readonly max: number };
  /** Per measured pod: the create's round trip as the client sees it. */
  readonly createMs: readonly number[];
  /** Measured creations answered without the hook (admission runs: should be none). */
  readonly createdWithoutHook: number;
  /** Webhook calls that failed (and were ignored under failurePolicy Ignore). */
  readonly failedCalls: number;
  /** The controller's (admission) or the trivial webhook's (trivial) CPU per pod. */
  readonly cpuMsPerPod: {
    readonly devcluster: number;
    readonly controller?: number;
    readonly webhook?: number;
  };
}

const LATENCY = 'controller_runtime_webhook_latency_seconds';

/** The cumulative buckets of the controller's latency histogram for one webhook path: [le seconds, count]. */
export function latencyBuckets(exposition: string, webhook: string): [number, number][] {
  return histogramBuckets(exposition, LATENCY, [`webhook="${webhook}"`]);
}

/**
 * The cumulative buckets of histogram `name` over the series whose labels include every one of `labels` (e.g.
 * `name="pods.restore-hooks.dev"`), summed per bound: [le seconds, count].
 */
export function histogramBuckets(
  exposition: string,
  name: string,
  labels: readonly string[],
): [number, number][] {
  const sums = new Map<number, number>();
  const pattern = new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const m of exposition.matchAll(pattern)) {
    const series = m[1]!;
    if (!labels.every((l) => series.includes(l))) continue;
    const le = /le="([^"]+)"/.exec(series)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    sums.set(bound, (sums.get(bound) ?? 0) + Number(m[2]));
  }
  return [...sums].sort((a, b) => a[0] - b[0]);
}

/**
 * The q quantile (0..1) of the observations between two scrapes of a cumulative histogram, interpolated linearly
 * within the bucket it falls in (Prometheus' histogram_quantile); NaN without observations. A quantile in the +Inf
 * bucket is reported as the highest finite bound.
 */
export function histogramQuantile(
  before: readonly [number, number][],
  after: readonly [number, number][],
  q: number,
): number {
  const prior = new Map(before);
  const deltas = after.map(([le, n]) => [le, n - (prior.get(le) ?? 0)] as const);
  const total = deltas.at(-1)?.[1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of deltas) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / Math.max(1, count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

export async function arrive(
  client: BenchClient,
  prefix: string,
  rate: number,
  seconds: number,
  owner: { name: string; uid: string },
  onCreated: (ms: number, hooked: boolean) => void,
): Promise<number> {
  return atSteadyRate(rate, seconds, (i) => {
    const sent = performance.now();
    return client
      .request<{ spec?: { initContainers?: { name: string }[] } }>(
        'POST',
        `/api/v1/namespaces/${LATENCY_NAMESPACE}/pods`,
        markedPod(LATENCY_RESTORE, LATENCY_NAMESPACE, `${prefix}-${String(i).padStart(5, '0')}`, owner),
      )
      .then((pod) =>
        onCreated(
          performance.now() - sent,
          (pod.spec?.initContainers ?? []).some((c) => c.name === HOOK_NAME),
        ),
      );
  });
}

/**
 * Velero starts the latency Restore and restores the pods' owner, a ReplicaSet (the pod webhook injects only into
 * pods a restored workload controls), as Velero's identity.
 */
export async function startLatencyRestore(
  velero: BenchClient,
): Promise<{ metadata: { name: string; uid: string } }> {
  await velero.request(
    'POST',
    '/apis/velero.io/v1/namespaces/velero/restores',
    restore(LATENCY_RESTORE, 'InProgress'),
  );
  // creationTimestamp has whole seconds: pods must not predate the Restore's startTimestamp.
  await new Promise((r) => setTimeout(r, 1000));
  return velero.request<{ metadata: { name: string; uid: string } }>(
    'POST',
    `/apis/apps/v1/namespaces/${LATENCY_NAMESPACE}/replicasets`,
    ownerReplicaSet(LATENCY_RESTORE, LATENCY_NAMESPACE, 'latency-owner'),
  );
}

/**
 * The trivial webhook in restore-hooks' place: a CA and serving certificate made as the controller makes its own,
 * and the controller's MutatingWebhookConfiguration (its name, rules, selectors, failure policy, reinvocation
 * policy and timeout, as the controller writes it in url mode) pointing at it.
 */
export async function trivialWebhook(dir: string, admin: BenchClient): Promise<TrivialWebhookProcess> {
  const ca = await generateCa({ name: 'restore-hooks-webhook-ca' });
  const serving = await signServingCertificate(ca, {
    hosts: servingHosts(CONTROLLER_NAMESPACE, 'https://127.0.0.1', []),
    serverName: `${WEBHOOK_SERVICE_NAME}.${CONTROLLER_NAMESPACE}.svc`,
  });
  const webhook = await startTrivialWebhook(dir, serving);
  try {
    await admin.request(
      'POST',
      WEBHOOK_CONFIGURATION_PATH.slice(0, WEBHOOK_CONFIGURATION_PATH.lastIndexOf('/')),
      webhookConfiguration({
        name: WEBHOOK_CONFIGURATION_PATH.slice(WEBHOOK_CONFIGURATION_PATH.lastIndexOf('/') + 1),
        namespace: CONTROLLER_NAMESPACE,
        clientConfig: { url: webhook.url },
        caBundle: ca.caCert,
        failurePolicy: 'Ignore',
      }),
    );
    return webhook;
  } catch (error) {
    await webhook.stop();
    throw error;
  }
}

export async function admissionLatencyRun(
  dir: string,
  mode: LatencyMode,
  settings: ControllerSettings,
  rate: number,
  seconds: number,
  warmupSeconds: number,
): Promise<AdmissionLatencyRunResult> {
  const { devcluster, controller, velero } = await admissionCluster(
    dir,
    mode === 'admission' ? 'admission' : 'floor',
    settings,
    [LATENCY_NAMESPACE],
  );
  const { admin } = devcluster;
  let creator: BenchClient | undefined;
  let webhook: TrivialWebhookProcess | undefined;
  try {
    if (mode === 'trivial') webhook = await trivialWebhook(dir, admin);
    const owner = await startLatencyRestore(velero);
    creator = new BenchClient(
      await readKubeconfig(await serviceAccountKubeconfig(devcluster, REPLICASET_CONTROLLER_SA)),
      'replicaset-controller',
      64,
    );
    const owned = { name: owner.metadata.name, uid: owner.metadata.uid };
    await arrive(creator, 'warmup', rate, warmupSeconds, owned, () => undefined);
    const callsSince = (await webhookCalls(admin, 0)).at(-1)?.seq ?? 0;
    const histogramBefore = controller && latencyBuckets(await controller.scrape(), POD_WEBHOOK_PATH);
    const server = controller?.pid ?? webhook?.pid;
    await admin.request('DELETE', '/devcluster/event-loop');
    const cpuBefore = [cpuMs(devcluster.pid) ?? 0, server ? (cpuMs(server) ?? 0) : 0];
    const createMs: number[] = [];
    let createdWithoutHook = 0;
    const achieved = await arrive(creator, 'pod', rate, seconds, owned, (ms, hooked) => {
      createMs.push(ms);
      if (!hooked) createdWithoutHook++;
    });
    const cpuAfter = [cpuMs(devcluster.pid) ?? 0, server ? (cpuMs(server) ?? 0) : 0];
    const loop = await admin.request<{ p99Ms: number; maxMs: number }>('GET', '/devcluster/event-loop');
    const scrapeAfter = controller && (await controller.scrape());
    const histogramAfter = scrapeAfter && latencyBuckets(scrapeAfter, POD_WEBHOOK_PATH);
    const calls = (await webhookCalls(admin, callsSince, POD_WEBHOOK)).filter(
      (c) => c.namespace === LATENCY_NAMESPACE && c.operation === 'CREATE',
    );
    const pods = createMs.length;
    return {
      mode,
      ratePerSecond: rate,
      achievedRatePerSecond: achieved,
      pods,
      apiServerMs: calls.map((c) => c.durationMs),
      ...(histogramBefore && histogramAfter
        ? {
            controllerMs: {
              p50: histogramQuantile(histogramBefore, histogramAfter, 0.5) * 1000,
              p99: histogramQuantile(histogramBefore, histogramAfter, 0.99) * 1000,
              count: (histogramAfter.at(-1)?.[1] ?? 0) - (histogramBefore.at(-1)?.[1] ?? 0),
            },
          }
        : {}),
      ...(scrapeAfter && scrapeAfter.includes('nodejs_eventloop_lag_p99_seconds')
        ? {
            controllerLoopDelayMs: {
              p99: metricValue(scrapeAfter, 'nodejs_eventloop_lag_p99_seconds') * 1000,
              max: metricValue(scrapeAfter, 'nodejs_eventloop_lag_max_seconds') * 1000,
            },
          }
        : {}),
      devclusterLoopDelayMs: { p99: loop.p99Ms, max: loop.maxMs },
      createMs,
      createdWithoutHook: mode === 'admission' ? createdWithoutHook : 0,
      failedCalls: calls.filter((c) => c.outcome.startsWith('failed')).length,
      cpuMsPerPod: {
        devcluster: (cpuAfter[0]! - cpuBefore[0]!) / pods,
        ...(server ? { [controller ? 'controller' : 'webhook']: (cpuAfter[1]! - cpuBefore[1]!) / pods } : {}),
      },
    };
  } finally {
    creator?.close();
    velero.close();
    await controller?.stop();
    await webhook?.stop();
    await devcluster.stop();
  }
}
