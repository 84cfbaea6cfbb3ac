/**
 * The admission latency figure on a real control plane (hack/real-cluster: etcd, kube-apiserver 1.20,
 * kube-controller-manager, kube-scheduler and the stand-in kubelet), the judge of the devcluster's figure: the same
 * controller process (as shipped, url-mode webhooks), the same marked pods created as the ReplicaSet controller's
 * ServiceAccount at the same steady rate, timed by kube-apiserver itself: the pod webhook's
 * `apiserver_admission_webhook_admission_duration_seconds` between two scrapes of its /metrics.
 *
 * That histogram's buckets are coarse (1.20: 5 ms, 25 ms, 100 ms, 500 ms, 1 s, 2.5 s), so besides the interpolated
 * p50/p99 the run reports the share of calls within 5 ms and within 25 ms: a p99 "≤ 10 ms" can only be told apart
 * from "≤ 25 ms" by the share within 5 ms reaching 99 %.
 *
 * A `trivial` run is the control, as on the devcluster (admission-latency.ts): the trivial webhook in the
 * controller's place, with the same configuration and TLS, and no controller.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startRealControlPlane } from '../real-cluster/control-plane.ts';
import {
  LATENCY_NAMESPACE,
  POD_WEBHOOK,
  POD_WEBHOOK_PATH,
  REPLICASET_CONTROLLER_SA,
  arrive,
  histogramBuckets,
  histogramQuantile,
  latencyBuckets,
  startLatencyRestore,
  trivialWebhook,
} from './admission-latency.ts';
import { CONTROLLER_SA, VELERO_SA } from './admission.ts';
import { BenchClient, readKubeconfig } from './kube.ts';
import { cpuMs, freePort, startController, until } from './processes.ts';
import type { ControllerSettings } from './processes.ts';
import { prepareCluster } from './restore-run.ts';
import { percentile } from './stats.ts';

const APISERVER_WEBHOOK_DURATION = 'apiserver_admission_webhook_admission_duration_seconds';

export interface RealAdmissionLatencyResult {
  /** restore-hooks' controller serving the webhook, or the trivial webhook in its place. */
  readonly webhook: 'restore-hooks' | 'trivial';
  readonly ratePerSecond: number;
  readonly achievedRatePerSecond: number;
  readonly pods: number;
  /** kube-apiserver's histogram of the pod webhook's CREATE calls over the measured creations. */
  readonly apiServer: {
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly count: number;
    /** Shares (0..1) of those calls that took at most 5 ms and at most 25 ms (whole buckets, no interpolation). */
    readonly within5Ms: number;
    readonly within25Ms: number;
    /** The histogram's finite bucket bounds, in seconds. */
    readonly bucketsSeconds: readonly number[];
  };
  readonly controllerMs: { readonly p50: number; readonly p99: number };
  readonly createMs: readonly number[];
  readonly createdWithoutHook: number;
  /**
   * CPU ms per created pod: the controller (or the trivial webhook), each control plane process (kube-apiserver, etcd, ...), and the bench's
   * own process (the pod creator and the stand-in kubelet).
   */
  readonly cpuMsPerPod: Readonly<Record<string, number>>;
}

/** The share of the observations between two scrapes that fell at or below `le` seconds (a bucket bound). */
export function shareWithin(
  before: readonly [number, number][],
  after: readonly [number, number][],
  le: number,
): number {
  const prior = new Map(before);
  const delta = (bound: number) => (after.find(([b]) => b === bound)?.[1] ?? NaN) - (prior.get(bound) ?? 0);
  const total = delta(Infinity);
  return total > 0 ? delta(le) / total : NaN;
}

/** The control plane's processes (etcd, kube-apiserver, ...): those whose command line names its directory. */
export function processesUnder(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.some((a) => a.includes(dir))) found.set(basename(argv[0] ?? entry), Number(entry));
  }
  return found;
}

/** Writes a ServiceAccount's kubeconfig (created with its token by the control plane) next to the others. */
async function saKubeconfig(
  plane: { serviceAccountKubeconfig(namespace: string, name: string): Promise<string> },
  dir: string,
  serviceAccount: string,
): Promise<string> {
  const [namespace, name] = serviceAccount.split('/') as [string, string];
  const path = join(dir, `kubeconfig-${namespace}-${name}`);
  writeFileSync(path, await plane.serviceAccountKubeconfig(namespace, name));
  return path;
}

async function clusterAdmin(admin: BenchClient, serviceAccount: string): Promise<void> {
  const [namespace, name] = serviceAccount.split('/') as [string, string];
  await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `bench-${namespace}-${name}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  });
}

export async function realAdmissionLatencyRun(
  dir: string,
  webhook: RealAdmissionLatencyResult['webhook'],
  settings: ControllerSettings,
  rate: number,
  seconds: number,
  warmupSeconds: number,
  progress: (line: string) => void,
): Promise<RealAdmissionLatencyResult> {
  const planeDir = join(dir, `real-${Date.now()}`);
  mkdirSync(planeDir, { recursive: true });
  const pods = Math.round(rate * (seconds + warmupSeconds));
  progress('starting the real control plane (etcd, kube-apiserver 1.20, controller-manager, scheduler)');
  // The stand-in kubelet starts pods at once, as the devcluster's does in the bench.
  const plane = await startRealControlPlane({
    dir: planeDir,
    nodes: 2,
    startDelayMs: 0,
    maxPodsPerNode: Math.ceil(pods / 2) + 50,
  });
  const admin = new BenchClient(await readKubeconfig(plane.kubeconfigPath), 'restore-hooks-bench');
  let velero: BenchClient | undefined;
  let creator: BenchClient | undefined;
  let controller: Awaited<ReturnType<typeof startController>> | undefined;
  let trivial: Awaited<ReturnType<typeof trivialWebhook>> | undefined;
  try {
    // The control plane installs config/crd itself.
    await prepareCluster(admin, [LATENCY_NAMESPACE]);
    // The ServiceAccount admission plugin refuses pods until the namespace's default ServiceAccount exists.
    await until(
      `the default ServiceAccount of ${LATENCY_NAMESPACE}`,
      () =>
        admin.request('GET', `/api/v1/namespaces/${LATENCY_NAMESPACE}/serviceaccounts/default`).then(
          () => true,
          () => undefined,
        ),
      60_000,
      200,
    );
    // The bench measures latency, not least privilege (the e2e suites run the controller under the manifest RBAC).
    await clusterAdmin(admin, VELERO_SA);
    await clusterAdmin(admin, CONTROLLER_SA);
    velero = new BenchClient(await readKubeconfig(await saKubeconfig(plane, planeDir, VELERO_SA)), 'velero');
    if (webhook === 'restore-hooks') {
      progress('starting the controller (url-mode webhooks)');
      controller = await startController(planeDir, await saKubeconfig(plane, planeDir, CONTROLLER_SA), {
        ...settings,
        webhookPort: await freePort(),
      });
    } else {
      progress("starting the trivial webhook in the controller's place");
      trivial = await trivialWebhook(planeDir, admin);
    }
    const server = controller ?? trivial!;
    const owner = await startLatencyRestore(velero);
    creator = new BenchClient(
      await readKubeconfig(await saKubeconfig(plane, planeDir, REPLICASET_CONTROLLER_SA)),
      'replicaset-controller',
      64,
    );
    const owned = { name: owner.metadata.name, uid: owner.metadata.uid };
    progress(`creating marked pods at ${rate}/s: ${warmupSeconds} s of warm-up, then ${seconds} s measured`);
    await arrive(creator, 'warmup', rate, warmupSeconds, owned, () => undefined);
    const series = [`name="${POD_WEBHOOK}"`, 'operation="CREATE"', 'type="admit"'];
    const apiBefore = histogramBuckets(
      await admin.requestText('GET', '/metrics'),
      APISERVER_WEBHOOK_DURATION,
      series,
    );
    const controllerBefore = controller && latencyBuckets(await controller.scrape(), POD_WEBHOOK_PATH);
    const pids = new Map(
      [...processesUnder(planeDir)].filter(([name]) => name.startsWith('kube') || name === 'etcd'),
    );
    const cpu = () => {
      const own = process.cpuUsage();
      return new Map<string, number>([
        [controller ? 'controller' : 'trivial webhook', cpuMs(server.pid) ?? 0],
        ...[...pids].map(([name, pid]) => [name, cpuMs(pid) ?? 0] as [string, number]),
        ['bench (creator and stand-in kubelet)', (own.user + own.system) / 1000],
      ]);
    };
    const cpuBefore = cpu();
    const createMs: number[] = [];
    let createdWithoutHook = 0;
    const achieved = await arrive(creator, 'pod', rate, seconds, owned, (ms, hooked) => {
      createMs.push(ms);
      if (!hooked) createdWithoutHook++;
    });
    const cpuAfter = cpu();
    const apiAfter = histogramBuckets(
      await admin.requestText('GET', '/metrics'),
      APISERVER_WEBHOOK_DURATION,
      series,
    );
    const controllerAfter = controller && latencyBuckets(await controller.scrape(), POD_WEBHOOK_PATH);
    const count = (apiAfter.at(-1)?.[1] ?? 0) - (apiBefore.at(-1)?.[1] ?? 0);
    return {
      webhook,
      ratePerSecond: rate,
      achievedRatePerSecond: achieved,
      pods: createMs.length,
      apiServer: {
        p50Ms: histogramQuantile(apiBefore, apiAfter, 0.5) * 1000,
        p99Ms: histogramQuantile(apiBefore, apiAfter, 0.99) * 1000,
        count,
        within5Ms: shareWithin(apiBefore, apiAfter, 0.005),
        within25Ms: shareWithin(apiBefore, apiAfter, 0.025),
        bucketsSeconds: apiAfter.map(([le]) => le).filter((le) => le !== Infinity),
      },
      controllerMs:
        controllerBefore && controllerAfter
          ? {
              p50: histogramQuantile(controllerBefore, controllerAfter, 0.5) * 1000,
              p99: histogramQuantile(controllerBefore, controllerAfter, 0.99) * 1000,
            }
          : { p50: NaN, p99: NaN },
      createMs,
      // The trivial webhook adds no hook: every pod is created without it, by design.
      createdWithoutHook: controller ? createdWithoutHook : 0,
      cpuMsPerPod: Object.fromEntries(
        [...cpuAfter].map(([name, ms]) => [name, (ms - (cpuBefore.get(name) ?? 0)) / createMs.length]),
      ),
    };
  } finally {
    creator?.close();
    velero?.close();
    await controller?.stop();
    await trivial?.stop();
    admin.close();
    await plane.stop();
  }
}

const fixed = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const percent = (share: number) => (Number.isFinite(share) ? `${(share * 100).toFixed(1)} %` : 'n/a');

/** A run without its per-pod round trips (kept as p50/p99), for --json. */
export function realAdmissionLatencySummary(run: RealAdmissionLatencyResult) {
  const { createMs, ...rest } = run;
  return { ...rest, createMs: { p50: percentile(createMs, 50), p99: percentile(createMs, 99) } };
}

/** One paragraph per run, with the load average around it. */
export function formatRealAdmissionLatency(
  runs: readonly (RealAdmissionLatencyResult & { load: { start: number; end: number } })[],
): string {
  return runs
    .map((r, i) =>
      [
        `Admission latency on a real control plane, run ${i + 1}, ${r.webhook === 'trivial' ? "the control: the trivial webhook in restore-hooks' place" : 'restore-hooks'}, at ${r.ratePerSecond} pod creations/s (achieved ${fixed(r.achievedRatePerSecond)}/s, ${r.pods} pods, load ${r.load.start} → ${r.load.end}):`,
        `  pod webhook call as kube-apiserver times it (${r.apiServer.count} CREATE calls, ${fixed(r.apiServer.count / r.pods, 2)} per pod): p50 ${fixed(r.apiServer.p50Ms, 2)} ms, p99 ${fixed(r.apiServer.p99Ms, 2)} ms (interpolated in its buckets ${r.apiServer.bucketsSeconds.map((b) => `${b * 1000}`).join(', ')} ms); within 5 ms ${percent(r.apiServer.within5Ms)}, within 25 ms ${percent(r.apiServer.within25Ms)}`,
        `  controller_runtime_webhook_latency_seconds: p50 ${fixed(r.controllerMs.p50, 2)} ms, p99 ${fixed(r.controllerMs.p99, 2)} ms`,
        `  pod create round trip: p50 ${fixed(percentile(r.createMs, 50), 0)} ms, p99 ${fixed(percentile(r.createMs, 99), 0)} ms; created without the hook ${r.createdWithoutHook}`,
        `  CPU ms per pod: ${Object.entries(r.cpuMsPerPod)
          .map(([name, ms]) => `${name} ${fixed(ms, 2)}`)
          .join(', ')}`,
      ].join('\n'),
    )
    .join('\n');
}
