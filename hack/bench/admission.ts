/**
 * Restores through the admission webhooks, as the product runs them: the controller serves its webhooks (url mode,
 * its own MutatingWebhookConfiguration and CA) and the devcluster calls them. Velero's ServiceAccount creates the
 * Restore (InProgress) and then the restored Deployments; the devcluster's workload controllers create the pods as
 * their own ServiceAccounts, and its kubelet starts them at once (no start delay: the hardest case for hooks).
 *
 * Per run: the time from the first Deployment create to every pod existing with its hook (and, in a `floor` run, the
 * same restore with no controller and no webhook configuration: every pod existing); from the kubelet's run log,
 * the pods whose app container started with no hook run before it; from the devcluster's write audit, every write
 * the controller's identity made in the window; the controller's RSS peak and steady RSS.
 */
import { BENCH_LABEL, HOOK_NAME, PODS_PER_WORKLOAD, deployment, namespaces, restore } from './fixtures.ts';
import { workloadPlacement } from './fixtures.ts';
import type { BenchClient } from './kube.ts';
import { BenchClient as Client, readKubeconfig } from './kube.ts';
import {
  CONTROLLER_NAMESPACE,
  cpuMs,
  freePort,
  serviceAccountKubeconfig,
  serviceAccountUser,
  startController,
  startDevcluster,
  until,
} from './processes.ts';
import type { ControllerProcess, ControllerSettings, DevclusterProcess } from './processes.ts';
import { RestoreTracker, createAll, prepareCluster } from './restore-run.ts';
import { PeakRss, steadyMemory } from './steady-memory.ts';

export const VELERO_SA = 'velero/velero';
export const CONTROLLER_SA = `${CONTROLLER_NAMESPACE}/restore-hooks`;
export const CONTROLLER_USER = serviceAccountUser(CONTROLLER_SA);

export type AdmissionMode = 'admission' | 'floor';

/** The resources a restored workload consists of: a write by the controller to one of them is a write "beyond Velero's". */
const WORKLOAD_OBJECTS = new Set([
  'deployments.apps',
  'replicasets.apps',
  'statefulsets.apps',
  'daemonsets.apps',
  'pods',
]);

export interface AdmissionRestoreResult {
  readonly mode: AdmissionMode;
  readonly pods: number;
  readonly workloads: number;
  /** From the first Deployment create to every pod existing (with its hook, in an admission run, unless a call failed). */
  readonly totalMs: number;
  /** Pods whose app container the kubelet started (run log), and of them those with no hook run before it. */
  readonly podsStarted: number;
  readonly startedWithoutHooks: number;
  /** Pods the bench's watch saw without the hook at any time (admission runs: should be none). */
  readonly podsSeenWithoutHook: number;
  /** Writes by the controller's identity in the window, by "verb resource[/subresource]". */
  readonly controllerWrites: Readonly<Record<string, number>>;
  /** Of those, writes to the restored workloads' own objects (workloads, ReplicaSets, pods). */
  readonly controllerWorkloadWrites: number;
  /** Writes by Velero's identity in the window (its own: the Deployments). */
  readonly veleroWrites: number;
  /** Webhook calls the devcluster made in the window, by webhook name. */
  readonly webhookCalls: Readonly<Record<string, number>>;
  /** Of those, calls that failed (timed out, refused) and were ignored: their objects were admitted unchanged. */
  readonly failedWebhookCalls: number;
  readonly rssPeakBytes?: number;
  readonly rssBytes?: number;
  /** CPU ms of the devcluster and the controller in the window. */
  readonly cpuMs: { readonly devcluster: number; readonly controller?: number };
  /** `restore-hooks status` on the measured restore, when asked for. */
  readonly status?: readonly StatusRun[];
}

export interface StatusRun {
  /** Wall time of `restore-hooks status -o json`, process start to exit. */
  readonly seconds: number;
  /** Requests it made (User-Agent restore-hooks-status), by "verb resource". */
  readonly requests: Readonly<Record<string, number>>;
  readonly requestsTotal: number;
  /** Pods and workloads the report covers. */
  readonly pods: number;
  readonly workloads: number;
}

interface Run {
  readonly seq: number;
  readonly namespace: string;
  readonly uid: string;
  readonly container: string;
  readonly init: boolean;
}

/** Pods whose app container started, and those of them with no run of the hook container before it. */
export function startedWithoutHooks(runs: readonly Run[]): { started: number; withoutHooks: number } {
  const hookAt = new Map<string, number>();
  const appAt = new Map<string, number>();
  for (const r of runs) {
    const into = r.init ? (r.container === HOOK_NAME ? hookAt : undefined) : appAt;
    if (into && !into.has(r.uid)) into.set(r.uid, r.seq);
  }
  let withoutHooks = 0;
  for (const [uid, seq] of appAt) if ((hookAt.get(uid) ?? Infinity) > seq) withoutHooks++;
  return { started: appAt.size, withoutHooks };
}

interface WriteRecord {
  readonly seq: number;
  readonly user: string;
  readonly verb: string;
  readonly resource: string;
  readonly subresource: string;
}

async function writesOf(admin: BenchClient, user: string, since: number): Promise<WriteRecord[]> {
  const { items } = await admin.request<{ items: WriteRecord[] }>(
    'GET',
    `/devcluster/writes?user=${encodeURIComponent(user)}&since=${since}`,
  );
  return items;
}

const lastSeq = (records: readonly { seq: number }[]) => records.at(-1)?.seq ?? 0;

interface CallRecord {
  readonly seq: number;
  readonly webhook: string;
  readonly namespace: string;
  readonly operation: string;
  readonly durationMs: number;
  readonly outcome: string;
}

export async function webhookCalls(
  admin: BenchClient,
  since: number,
  webhook?: string,
): Promise<CallRecord[]> {
  const query = `since=${since}${webhook ? `&webhook=${encodeURIComponent(webhook)}` : ''}`;
  return (await admin.request<{ items: CallRecord[] }>('GET', `/devcluster/admission/webhook-calls?${query}`))
    .items;
}

/** A devcluster with the controller serving its webhooks as CONTROLLER_SA (admission), or none (floor). */
export async function admissionCluster(
  dir: string,
  mode: AdmissionMode,
  settings: ControllerSettings,
  extraNamespaces: readonly string[],
): Promise<{ devcluster: DevclusterProcess; controller?: ControllerProcess; velero: BenchClient }> {
  const devcluster = await startDevcluster(dir);
  try {
    await prepareCluster(devcluster.admin, extraNamespaces);
    const velero = new Client(
      await readKubeconfig(await serviceAccountKubeconfig(devcluster, VELERO_SA)),
      'velero',
    );
    if (mode === 'floor') return { devcluster, velero };
    const controller = await startController(dir, await serviceAccountKubeconfig(devcluster, CONTROLLER_SA), {
      ...settings,
      webhookPort: await freePort(),
    });
    return { devcluster, controller, velero };
  } catch (error) {
    await devcluster.stop();
    throw error;
  }
}

/** Velero's restore: the Restore InProgress, then (a second later: creationTimestamps have whole seconds) its Deployments. */
async function veleroRestore(
  velero: BenchClient,
  name: string,
  workloads: number,
  onCreating: () => void,
): Promise<void> {
  await velero.request('POST', '/apis/velero.io/v1/namespaces/velero/restores', restore(name, 'InProgress'));
  await new Promise((r) => setTimeout(r, 1000));
  onCreating();
  await createAll(
    velero,
    workloadPlacement(name, workloads).map((w) => ({
      path: `/apis/apps/v1/namespaces/${w.namespace}/deployments`,
      body: deployment(name, w.namespace, w.name, false),
    })),
  );
}

/**
 * Every pod of restore `name` existing, as the tracker's watch sees them. With admission they exist with their hooks,
 * unless a webhook call failed (failurePolicy Ignore): such pods are counted, not waited for (they start at once,
 * so nothing can add hooks to them any more).
 */
async function allPods(tracker: RestoreTracker, name: string, pods: number): Promise<void> {
  await until(
    `every pod of restore ${name} to exist`,
    () => (tracker.total >= pods ? true : undefined),
    1_800_000,
    5,
  );
}

/** Runs `restore-hooks status -n velero NAME -o json` against the devcluster, timed, with its requests counted. */
export async function statusRun(
  devcluster: DevclusterProcess,
  restoreName: string,
  cli: string,
): Promise<StatusRun> {
  const { spawn } = await import('node:child_process');
  await devcluster.admin.request('DELETE', '/devcluster/requests');
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cli, 'status', '-n', 'velero', restoreName, '-o', 'json', '--kubeconfig', devcluster.kubeconfig],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(new Error(`restore-hooks status exited ${String(code)}: ${err.slice(-2000)}`)),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const report = JSON.parse(output) as { summary: { pods: number; workloads: number } };
  const counts = await devcluster.admin.request<{
    requests: { userAgent: string; verb: string; resource: string; subresource: string; count: number }[];
  }>('GET', '/devcluster/requests');
  const requests: Record<string, number> = {};
  for (const c of counts.requests) {
    if (c.userAgent !== 'restore-hooks-status') continue;
    const kind = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}`;
    requests[kind] = (requests[kind] ?? 0) + c.count;
  }
  return {
    seconds,
    requests,
    requestsTotal: Object.values(requests).reduce((a, b) => a + b, 0),
    pods: report.summary.pods,
    workloads: report.summary.workloads,
  };
}

export interface AdmissionRestoreOptions {
  /** Run `restore-hooks status` this many times on the measured restore (admission runs only). */
  readonly statusRepeats?: number;
  /** The CLI to run status with (the built one, as shipped, or the sources). */
  readonly cli?: string;
  /** Skip the warm-up restore (a status-only run). */
  readonly noWarmup?: boolean;
}

export async function admissionRestoreRun(
  dir: string,
  mode: AdmissionMode,
  workloads: number,
  settings: ControllerSettings,
  options: AdmissionRestoreOptions = {},
): Promise<AdmissionRestoreResult> {
  const { devcluster, controller, velero } = await admissionCluster(dir, mode, settings, [
    ...namespaces('warmup', 20),
    ...namespaces('measured', workloads),
  ]);
  const { admin } = devcluster;
  try {
    if (!options.noWarmup) {
      const warm = new RestoreTracker(admin, 'warmup');
      try {
        await veleroRestore(velero, 'warmup', 20, () => undefined);
        await allPods(warm, 'warmup', 20 * PODS_PER_WORKLOAD);
      } finally {
        warm.stop();
      }
    }
    const pods = workloads * PODS_PER_WORKLOAD;
    const tracker = new RestoreTracker(admin, 'measured');
    let unhookedSeen = 0;
    let watchError: Error | undefined;
    const seenWithout = new Set<string>();
    const stopWatch = admin.watch<{
      metadata: { namespace: string; name: string };
      spec?: { initContainers?: { name: string }[] };
    }>(
      `/api/v1/pods?labelSelector=${encodeURIComponent(`${BENCH_LABEL}=measured`)}`,
      (e) => {
        if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
        const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
        if (
          !(e.object.spec?.initContainers ?? []).some((c) => c.name === HOOK_NAME) &&
          !seenWithout.has(key)
        ) {
          seenWithout.add(key);
          unhookedSeen++;
        }
      },
      (e) => (watchError ??= e),
    );
    const controllerSince = lastSeq(await writesOf(admin, CONTROLLER_USER, 0));
    const veleroSince = lastSeq(await writesOf(admin, serviceAccountUser(VELERO_SA), 0));
    const callsSince = lastSeq(await webhookCalls(admin, 0));
    const runsSinceSeq = lastSeq(
      (await admin.request<{ items: Run[] }>('GET', '/devcluster/kubelet/runs')).items,
    );
    const peak = controller ? new PeakRss(controller) : undefined;
    let t0 = 0;
    const cpu = () => ({
      devcluster: cpuMs(devcluster.pid) ?? 0,
      controller: controller ? (cpuMs(controller.pid) ?? 0) : 0,
    });
    let cpu0 = cpu();
    try {
      await veleroRestore(velero, 'measured', workloads, () => {
        t0 = performance.now();
        cpu0 = cpu();
      });
      await allPods(tracker, 'measured', pods);
    } finally {
      tracker.stop();
    }
    const totalMs = performance.now() - t0;
    const cpu1 = cpu();
    // Every pod's app container started (the kubelet starts pods at once; at 10,000 pods that takes a while).
    let runs: Run[] = [];
    let since = runsSinceSeq;
    await until(
      `the app containers of the ${pods} pods to start`,
      async () => {
        const all = (await admin.request<{ items: Run[] }>('GET', `/devcluster/kubelet/runs?since=${since}`))
          .items;
        since = lastSeq(all) || since;
        runs = runs.concat(all.filter((r) => r.namespace.startsWith('measured-')));
        return startedWithoutHooks(runs).started >= pods ? true : undefined;
      },
      900_000,
      2000,
    );
    stopWatch();
    if (watchError) throw watchError;
    const started = startedWithoutHooks(runs);
    const memory = controller ? await steadyMemory(controller) : undefined;
    const rssPeakBytes = peak?.stop();
    const controllerWrites: Record<string, number> = {};
    let controllerWorkloadWrites = 0;
    for (const w of await writesOf(admin, CONTROLLER_USER, controllerSince)) {
      const kind = `${w.verb} ${w.resource}${w.subresource ? `/${w.subresource}` : ''}`;
      controllerWrites[kind] = (controllerWrites[kind] ?? 0) + 1;
      if (WORKLOAD_OBJECTS.has(w.resource)) controllerWorkloadWrites++;
    }
    const calls: Record<string, number> = {};
    let failedWebhookCalls = 0;
    for (const c of await webhookCalls(admin, callsSince)) {
      calls[c.webhook] = (calls[c.webhook] ?? 0) + 1;
      if (c.outcome.startsWith('failed')) failedWebhookCalls++;
    }
    const status: StatusRun[] = [];
    if (controller && options.statusRepeats && options.cli)
      for (let i = 0; i < options.statusRepeats; i++)
        status.push(await statusRun(devcluster, 'measured', options.cli));
    return {
      mode,
      pods,
      workloads,
      totalMs,
      podsStarted: started.started,
      startedWithoutHooks: started.withoutHooks,
      podsSeenWithoutHook: unhookedSeen,
      controllerWrites,
      controllerWorkloadWrites,
      veleroWrites: (await writesOf(admin, serviceAccountUser(VELERO_SA), veleroSince)).length,
      webhookCalls: calls,
      failedWebhookCalls,
      ...(memory
        ? { rssBytes: memory.rssBytes, rssPeakBytes: Math.max(rssPeakBytes ?? 0, memory.rssBytes) }
        : {}),
      cpuMs: {
        devcluster: cpu1.devcluster - cpu0.devcluster,
        ...(controller ? { controller: cpu1.controller - cpu0.controller } : {}),
      },
      ...(status.length > 0 ? { status } : {}),
    };
  } finally {
    velero.close();
    await controller?.stop();
    await devcluster.stop();
  }
}
