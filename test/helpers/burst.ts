/**
 * Issue 15's burst measurement, on either bed: while a Restore is InProgress, Velero's ServiceAccount restores N
 * Deployments × R replicas (no ReplicaSets or pods in the backup), each template asking for the annotation init hook
 * `restore-hook`, as fast as it can create them, with the controller running on one of two paths:
 *
 * - `reconcilers`: the controller alone (no webhook configuration), so hooks reach pods only through the template
 *   patch and pod replacement;
 * - `admission`: the controller also serves its mutating webhooks (url mode, failurePolicy Ignore).
 *
 * Once every Deployment has rolled out and runs R pods, it counts from the kubelet's run log the pods that started an
 * application container without `restore-hook` having run before it, and from the write audit the controller's
 * template writes (Deployments and ReplicaSets) and pod deletions; and it counts the ReplicaSets. The e2e cases
 * (deployment-rollout-race.e2e.test.ts, 20 × 3) assert on the result; `npm run burst` (test/burst/run-burst.ts) prints
 * it for any size, bed, delay and path.
 */
import type { Settings } from '../../src/config/settings.ts';
import type { WriteRecord } from '../../src/devcluster/audit/write-log.ts';
import type { ContainerRun } from '../../src/devcluster/kubelet/run-log.ts';
import type { Pod, Workload } from '../../src/kube/types.ts';
import { CONTROLLER_USER } from './bed.ts';
import type { BedKind } from './bed.ts';
import type { ControllerEnv } from './controller-env.ts';
import { ANNOTATION_HOOK, podSpec, restoreR2, restoredLabels } from './restore-fixtures.ts';
import type { KubeBody } from './restored-targets.ts';
import { installUrlWebhooks, startServingWebhooks } from './webhook-serving.ts';

export type BurstPath = 'reconcilers' | 'admission';
export const BURST_PATHS: readonly BurstPath[] = ['reconcilers', 'admission'];
/** The init container the annotation hook asks for. */
export const BURST_HOOK = ANNOTATION_HOOK['init.hook.restore.velero.io/container-name'];
const NAMESPACE = 'app';
/** How long the controller's writes about the burst must have stopped before the figures are taken. */
const QUIET_MS = 6_000;
const POLL_MS = 1_000;

export interface BurstOptions {
  readonly deployments: number;
  readonly replicas: number;
  /** The kubelet's start delay for the burst's pods. */
  readonly startDelayMs: number;
  /** Prefix of the Deployments' names (`<prefix>-<i>`) and of the Restore's (`r-<prefix>`); unique per bed. */
  readonly prefix: string;
  /** How long every Deployment may take to roll out and run its replicas. */
  readonly settleTimeoutMs: number;
}

export interface BurstResult {
  readonly bed: BedKind;
  readonly deployments: number;
  readonly replicas: number;
  readonly startDelayMs: number;
  readonly restore: string;
  readonly names: readonly string[];
  /** Pods that started an application container (run log), deleted ones included. */
  readonly started: number;
  /** Of those, the ones whose application container started without `restore-hook` having run before it. */
  readonly unhooked: readonly string[];
  /** The controller's writes to the burst's Deployments and ReplicaSets. */
  readonly templateWrites: readonly WriteRecord[];
  /** The controller's pod deletions among the burst's pods. */
  readonly podDeletions: readonly WriteRecord[];
  /** ReplicaSets of the burst's Deployments once settled (one each when nothing was rolled out). */
  readonly replicaSets: number;
  /** From the first Deployment's creation to every Deployment settled (the figures are taken QUIET_MS later or more). */
  readonly settledAfterMs: number;
}

/**
 * Starts the controller on `path`. On `admission` an administrator first installs the webhook configuration (url
 * mode), and this resolves once the controller's CA is in its caBundle and its server listens.
 */
export async function startBurstController(
  env: ControllerEnv,
  path: BurstPath,
  timeoutMs: number,
): Promise<Settings['webhook'] | undefined> {
  if (path === 'reconcilers') {
    await env.startController();
    return undefined;
  }
  const webhook = await installUrlWebhooks(env);
  await startServingWebhooks(env, webhook, timeoutMs);
  return webhook;
}

export function burstDeployment(name: string, restore: string, replicas: number): KubeBody {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels: restoredLabels(restore) },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations: ANNOTATION_HOOK }, spec: podSpec() },
    },
  };
}

/** Runs one burst with the controller already started (startBurstController) and measures it. */
export async function runBurst(env: ControllerEnv, options: BurstOptions): Promise<BurstResult> {
  const { deployments, replicas, startDelayMs, prefix } = options;
  for (const [field, value] of Object.entries({ deployments, replicas }))
    if (!(Number.isInteger(value) && value >= 1))
      throw new RangeError(`${field}: must be an integer >= 1, got ${value}`);
  env.bed.setKubeletStartDelay(startDelayMs);
  const restore = `r-${prefix}`;
  const names = Array.from({ length: deployments }, (_, i) => `${prefix}-${i}`);
  await env.velero.request({
    method: 'POST',
    path: '/apis/velero.io/v1/namespaces/velero/restores',
    body: restoreR2({ name: restore, hooks: {} }),
  });
  const began = Date.now();
  for (const name of names)
    await env.velero.request({
      method: 'POST',
      path: `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
      body: burstDeployment(name, restore, replicas),
    });
  await slowly(
    async () => ((await unsettled(env, names, replicas)).length === 0 ? true : undefined),
    `${deployments} Deployments to roll out and run ${replicas} pods each`,
    options.settleTimeoutMs,
  ).catch(async (e: Error) => {
    const left = await unsettled(env, names, replicas);
    throw new Error(`${e.message}; not settled: ${left.slice(0, 10).join('; ')}`);
  });
  const settledAfterMs = Date.now() - began;
  // The controller may still be writing (the reconcilers' template patches trail the roll-outs): the figures are
  // taken once its writes about the burst have stopped for QUIET_MS and every Deployment is still settled.
  const ourWrites = async () =>
    (await env.bed.writes({ user: CONTROLLER_USER })).filter(
      (w) => w.namespace === NAMESPACE && names.some((n) => w.name === n || w.name.startsWith(`${n}-`)),
    );
  let writes = await ourWrites();
  let quietSince = Date.now();
  await slowly(
    async () => {
      const now = await ourWrites();
      if (now.length !== writes.length) {
        writes = now;
        quietSince = Date.now();
        return undefined;
      }
      if (Date.now() - quietSince < QUIET_MS) return undefined;
      if ((await unsettled(env, names, replicas)).length > 0) {
        quietSince = Date.now();
        return undefined;
      }
      return true;
    },
    `the controller to stop writing the burst's objects for ${QUIET_MS / 1000} s`,
    options.settleTimeoutMs,
  );

  const ours = (pod: string) => names.some((n) => pod.startsWith(`${n}-`));
  const runs = (await env.bed.runs({ namespace: NAMESPACE })).filter((r) => ours(r.pod));
  const byPod = new Map<string, ContainerRun[]>();
  for (const r of runs) byPod.set(r.uid, [...(byPod.get(r.uid) ?? []), r]);
  let started = 0;
  const unhooked: string[] = [];
  for (const podRuns of byPod.values()) {
    const app = podRuns.filter((r) => !r.init).sort((a, b) => a.seq - b.seq)[0];
    if (!app) continue;
    started++;
    if (!podRuns.some((r) => r.init && r.container === BURST_HOOK && r.seq < app.seq)) unhooked.push(app.pod);
  }
  const sets = await list<Workload>(env, `/apis/apps/v1/namespaces/${NAMESPACE}/replicasets`);
  return {
    bed: env.bed.kind,
    deployments,
    replicas,
    startDelayMs,
    restore,
    names,
    started,
    unhooked: unhooked.sort(),
    templateWrites: writes.filter(
      (w) => w.resource === 'deployments.apps' || w.resource === 'replicasets.apps',
    ),
    podDeletions: writes.filter((w) => w.resource === 'pods' && w.verb === 'delete'),
    replicaSets: sets.filter((rs) => names.includes(rs.spec.template.metadata?.labels?.['app'] ?? '')).length,
    settledAfterMs,
  };
}

/**
 * `eventually`, polling once a second: listing hundreds of pods and reading the write audit 40 times a second would
 * load the machine whose timing is being measured.
 */
async function slowly<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const list = async <T>(env: ControllerEnv, path: string) =>
  (await env.client.request<{ items: T[] }>({ method: 'GET', path })).items;

/**
 * The Deployments that have not rolled out yet, with why: not observed, paused, fewer updated or available
 * replicas than asked, or not exactly `replicas` pods, all Running, none being deleted.
 */
async function unsettled(env: ControllerEnv, names: readonly string[], replicas: number): Promise<string[]> {
  const wanted = new Set(names);
  const deployments = new Map(
    (await list<Workload>(env, `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`))
      .filter((d) => wanted.has(d.metadata.name ?? ''))
      .map((d) => [d.metadata.name!, d]),
  );
  const podsOf = new Map<string, Pod[]>();
  for (const p of await list<Pod>(env, `/api/v1/namespaces/${NAMESPACE}/pods`)) {
    const app = p.metadata.labels?.['app'];
    if (app && wanted.has(app)) podsOf.set(app, [...(podsOf.get(app) ?? []), p]);
  }
  const left: string[] = [];
  for (const name of names) {
    const d = deployments.get(name);
    const status = (d?.status ?? {}) as {
      observedGeneration?: number;
      updatedReplicas?: number;
      availableReplicas?: number;
    };
    const pods = podsOf.get(name) ?? [];
    const why = !d
      ? 'missing'
      : d.spec.paused === true
        ? 'paused'
        : (status.observedGeneration ?? 0) < (d.metadata.generation ?? 1)
          ? 'not observed'
          : (status.updatedReplicas ?? 0) !== replicas || (status.availableReplicas ?? 0) !== replicas
            ? `${status.updatedReplicas ?? 0} updated, ${status.availableReplicas ?? 0} available`
            : pods.length !== replicas ||
                pods.some((p) => p.metadata.deletionTimestamp || p.status?.phase !== 'Running')
              ? `${pods.length} pods (${pods.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).length} running)`
              : undefined;
    if (why) left.push(`${name}: ${why}`);
  }
  return left;
}

/** One line of the figures, as the e2e cases log it and the script prints it. */
export function burstSummary(r: BurstResult): string {
  return `${r.deployments} × ${r.replicas} on ${r.bed}, start delay ${r.startDelayMs} ms: ${r.started} pods started, ${r.unhooked.length} without the hook, ${r.templateWrites.length} template writes, ${r.podDeletions.length} pod deletions, ${r.replicaSets} ReplicaSets, settled after ${(r.settledAfterMs / 1000).toFixed(1)} s`;
}
