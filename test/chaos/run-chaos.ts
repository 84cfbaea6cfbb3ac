/**
 * `npm run test:chaos`: a Restore of several hundred pods, served by two controller replicas with leader election
 * (separate processes, SIGKILLed and restarted) that also serve the admission webhooks behind a webhook Service
 * (webhook-service.ts), under faults; then the invariants of invariants.ts are checked against the final state, the
 * kubelet's run log, the write audit and the webhooks' fail-open record, a summary table is printed, and the run
 * exits 0 only when every invariant holds. See docs/chaos.md.
 *
 * Beds (`--bed`, or CHAOS_BED): `devcluster` (default; the devcluster's fault injector fails ~10% of API calls,
 * injects write conflicts, cuts watches, compacts the history and pauses the API) and `real` (the real control
 * plane of hack/real-cluster; kube-controller-manager, kube-scheduler and the stand-in kubelet are killed and
 * restarted). On both: serving replicas killed, webhook calls that time out, and the serving certificate and its CA
 * rotated during the run. `--short` (or CHAOS_SHORT=1) runs the small scenario (58 pods) and a shorter schedule.
 *
 * Environment: CHAOS_SEED (default: random, printed), CHAOS_TIMEOUT_SECONDS (hard limit for the whole run, default
 * 420; real bed 600), CHAOS_CONVERGE_SECONDS (bound on the time to converge, default 240),
 * CHAOS_KEEP=1 keeps the work directory.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { parseAllDocuments } from 'yaml';
import { seededRandom } from '../../src/devcluster/faults/random.ts';
import type { FaultCounters } from '../../src/devcluster/faults/index.ts';
import { webhookConfiguration } from '../../src/controller/admission/webhook-configuration.ts';
import type { ClusterClient } from './cluster-client.ts';
import { SupervisedReplica, freePort, sumMetric, waitUntil } from './processes.ts';
import {
  DECOY_NAMESPACE,
  DEFAULT_SIZE,
  FORGED_POD_PREFIXES,
  RESTORED_NAMESPACES,
  RESTORE_NAME,
  SHORT_SIZE,
  VELERO_NAMESPACE,
  buildScenario,
  expectedExecHooks,
  expectedInitHooks,
  forgedObjects,
} from './scenario.ts';
import type { Scenario } from './scenario.ts';
import {
  bypassedOwners,
  checkBypassesReported,
  checkDecoysUntouched,
  checkExecHooks,
  checkInitHooksRanOnce,
  execRepeats,
  checkNoDuplicateHooks,
  checkRestoreStatus,
  checkTemplatePathReported,
  checkWritesStayInRestore,
  unconverged,
} from './invariants.ts';
import type { Expectations, FinalState, PodLike, RestoreLike, WorkloadLike } from './invariants.ts';
import { faultRules, planRealSchedule, planSchedule } from './fault-schedule.ts';
import type { ScheduledEvent } from './fault-schedule.ts';
import { startDevclusterBed, startRealBed } from './beds.ts';
import type { ChaosBed, ChaosBedKind } from './beds.ts';
import { WebhookService } from './webhook-service.ts';
import {
  checkCertificatesFollowed,
  injectCertificateFault,
  observeCertificates,
  readServingSecret,
} from './certificate-faults.ts';
import type { CertificateSettings } from './certificate-faults.ts';

const { values: flags } = parseArgs({
  options: { bed: { type: 'string' }, short: { type: 'boolean' }, 'admission-faults': { type: 'boolean' } },
  allowNegative: true,
  strict: true,
});
const bedKind = (flags.bed ?? process.env.CHAOS_BED ?? 'devcluster') as ChaosBedKind;
if (bedKind !== 'devcluster' && bedKind !== 'real') {
  process.stderr.write(`chaos: --bed: expected devcluster or real, got ${JSON.stringify(bedKind)}\n`);
  process.exit(2);
}
const short = flags.short === true || process.env.CHAOS_SHORT === '1';
/**
 * Faults that keep the API server from the webhooks (calls stalled past timeoutSeconds, a killed replica left in the
 * Service's rotation for a moment, certificate and CA rotations forced). On by default; `--no-admission-faults` (or
 * CHAOS_ADMISSION_FAULTS=0) leaves them out, to tell a failure of the admission path from one of the reconcilers.
 */
const admissionFaults = flags['admission-faults'] ?? process.env.CHAOS_ADMISSION_FAULTS !== '0';
const rerun = `CHAOS_SEED=%s npm run test:chaos${bedKind === 'real' || short || !admissionFaults ? ' --' : ''}${bedKind === 'real' ? ' --bed real' : ''}${short ? ' --short' : ''}${admissionFaults ? '' : ' --no-admission-faults'}`;

const CONTROLLER_NAMESPACE = 'restore-hooks';
const CONTROLLER_USER = `system:serviceaccount:${CONTROLLER_NAMESPACE}:restore-hooks`;
const WEBHOOK_CONFIGURATION = 'restore-hooks';
const WEBHOOK_SECRET = 'restore-hooks-webhook-cert';
/**
 * The serving certificate's lifetime in the run. Long enough that nothing expires by itself during a run; the
 * certificate faults age it (certificate-faults.ts). Replicas re-read the Secret every 2 s.
 */
const CERTIFICATE_VALIDITY_MS = 24 * 3_600_000;
const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
const hardTimeoutMs = Number(process.env.CHAOS_TIMEOUT_SECONDS ?? (bedKind === 'real' ? 600 : 420)) * 1000;
const convergeBoundMs = Number(process.env.CHAOS_CONVERGE_SECONDS ?? 240) * 1000;
/**
 * After the faults stop, how long the Restore's status may take to catch up. The status follows the controller's
 * informer caches, and an informer whose watch was cut again and again waits up to its restart backoff cap (30 s, as
 * client-go's reflector) before it lists again; the status write after that is coalesced (1 s).
 */
const statusCatchUpBoundMs = 45_000;
const repoRoot = new URL('../../', import.meta.url);

const say = (line: string) =>
  process.stdout.write(`[chaos +${((Date.now() - began) / 1000).toFixed(1)}s] ${line}\n`);
const began = Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const workDir = mkdtempSync(join(tmpdir(), `restore-hooks-chaos-${bedKind}-`));
let bed: ChaosBed | undefined;
let webhookService: WebhookService | undefined;
const replicas: SupervisedReplica[] = [];

async function cleanUp(): Promise<void> {
  await Promise.all(replicas.map((r) => r.stop()));
  await webhookService?.close();
  await bed?.stop();
  if (process.env.CHAOS_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
}

const hardTimer = setTimeout(() => {
  process.stderr.write(
    `chaos: hard timeout of ${hardTimeoutMs / 1000}s reached (seed ${seed}); logs in ${workDir}\n`,
  );
  for (const r of replicas) r.kill();
  void bed?.stop();
  setTimeout(() => process.exit(1), 5000).unref();
}, hardTimeoutMs);
hardTimer.unref();

async function setUp(bed: ChaosBed, scenario: Scenario): Promise<Map<string, string>> {
  const client = bed.client;
  const namespaces = [VELERO_NAMESPACE, CONTROLLER_NAMESPACE, DECOY_NAMESPACE, ...RESTORED_NAMESPACES];
  for (const name of namespaces)
    await client.json(
      'POST',
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      { accept: [409] },
    );
  for (const name of namespaces) await bed.namespaceReady(name);
  // The controller runs as its ServiceAccount with exactly the RBAC of the manifests.
  await client.json(
    'POST',
    `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/serviceaccounts`,
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'restore-hooks', namespace: CONTROLLER_NAMESPACE },
    },
    { accept: [409] },
  );
  const rbac = readFileSync(new URL('manifests/base/rbac.yaml', repoRoot), 'utf8');
  for (const doc of parseAllDocuments(rbac)) {
    const obj = doc.toJSON() as { kind: string; metadata: { namespace?: string } };
    const namespaced = obj.kind === 'Role' || obj.kind === 'RoleBinding';
    if (namespaced) obj.metadata.namespace = CONTROLLER_NAMESPACE;
    const plural = `${obj.kind.toLowerCase()}s`;
    await client.json(
      'POST',
      namespaced
        ? `/apis/rbac.authorization.k8s.io/v1/namespaces/${CONTROLLER_NAMESPACE}/${plural}`
        : `/apis/rbac.authorization.k8s.io/v1/${plural}`,
      obj,
    );
  }
  const conditionsPatch = parse(
    readFileSync(new URL('config/crd/patches/restore-status-conditions.yaml', repoRoot), 'utf8'),
  ) as unknown;
  await client.json(
    'PATCH',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/restores.velero.io',
    conditionsPatch,
    { contentType: 'application/json-patch+json' },
  );
  const decoyUids = new Map<string, string>();
  for (const decoy of scenario.decoys) {
    const d = decoy as { kind: string; metadata: { namespace?: string; name: string } };
    if (d.kind === 'Namespace') continue;
    const path =
      d.kind === 'Pod'
        ? `/api/v1/namespaces/${d.metadata.namespace}/pods`
        : `/apis/apps/v1/namespaces/${d.metadata.namespace}/deployments`;
    const created = await client.json<{ metadata: { uid: string } }>('POST', path, decoy);
    decoyUids.set(`${d.kind}/${d.metadata.namespace}/${d.metadata.name}`, created.metadata.uid);
  }
  // The labelled decoys must predate the Restore's startTimestamp, which has whole seconds.
  await sleep(1100);
  return decoyUids;
}

/**
 * The forging tenant's objects (scenario.ts, forgedObjects), created once the Restore has a startTimestamp: they are
 * newer than the restore, so only the namespace rule keeps them out. Their uids join the decoys.
 */
async function createForgedObjects(client: ClusterClient, decoyUids: Map<string, string>): Promise<void> {
  await waitUntil(
    'the Restore to start',
    async () =>
      (
        await client.json<{ status?: { startTimestamp?: string } }>(
          'GET',
          `/apis/velero.io/v1/namespaces/${VELERO_NAMESPACE}/restores/${RESTORE_NAME}`,
        )
      ).status?.startTimestamp !== undefined,
    60_000,
  );
  // startTimestamp has whole seconds: be sure to be created after it.
  await sleep(1100);
  for (const forged of forgedObjects()) {
    const f = forged as { kind: string; metadata: { namespace: string; name: string } };
    const path =
      f.kind === 'Pod'
        ? `/api/v1/namespaces/${f.metadata.namespace}/pods`
        : `/apis/apps/v1/namespaces/${f.metadata.namespace}/deployments`;
    // An injected fault may refuse the create: try again, it is the tenant's.
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await client.json<{ metadata: { uid: string } }>('POST', path, forged);
        decoyUids.set(`${f.kind}/${f.metadata.namespace}/${f.metadata.name}`, created.metadata.uid);
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(200);
      }
    }
  }
}

interface Snapshot extends FinalState {
  readonly decoysNow: Map<string, string | undefined>;
}

async function snapshot(bed: ChaosBed, withLogs: boolean): Promise<Snapshot> {
  const client = bed.client;
  const pods: PodLike[] = [];
  const workloads: WorkloadLike[] = [];
  for (const ns of RESTORED_NAMESPACES) {
    pods.push(...(await client.json<{ items: PodLike[] }>('GET', `/api/v1/namespaces/${ns}/pods`)).items);
    for (const [kind, plural] of [
      ['Deployment', 'deployments'],
      ['StatefulSet', 'statefulsets'],
      ['DaemonSet', 'daemonsets'],
    ] as const) {
      const list = await client.json<{ items: WorkloadLike[] }>(
        'GET',
        `/apis/apps/v1/namespaces/${ns}/${plural}`,
      );
      workloads.push(...list.items.map((w) => ({ ...w, kind })));
    }
  }
  const restore = await client.json<RestoreLike>(
    'GET',
    `/apis/velero.io/v1/namespaces/${VELERO_NAMESPACE}/restores/${RESTORE_NAME}`,
  );
  const decoysNow = new Map<string, string | undefined>();
  for (const ns of [DECOY_NAMESPACE, ...RESTORED_NAMESPACES]) {
    for (const [kind, name, path] of [
      ['Pod', 'decoy-pod', `/api/v1/namespaces/${ns}/pods/decoy-pod`],
      ['Deployment', 'decoy-web', `/apis/apps/v1/namespaces/${ns}/deployments/decoy-web`],
      // The forging tenant's objects in this namespace.
      ...forgedObjects()
        .map((f) => f as { kind: string; metadata: { namespace: string; name: string } })
        .filter((f) => f.metadata.namespace === ns)
        .map(
          (f) =>
            [
              f.kind,
              f.metadata.name,
              f.kind === 'Pod'
                ? `/api/v1/namespaces/${ns}/pods/${f.metadata.name}`
                : `/apis/apps/v1/namespaces/${ns}/deployments/${f.metadata.name}`,
            ] as const,
        ),
    ]) {
      const obj = await client.json<{ metadata?: { uid?: string } } | undefined>('GET', path, undefined, {
        accept: [404],
      });
      decoysNow.set(`${kind}/${ns}/${name}`, obj?.metadata?.uid);
    }
  }
  const runs = withLogs ? await bed.runs() : [];
  const writes = withLogs ? await bed.writes(CONTROLLER_USER) : [];
  const execHistory = withLogs ? await bed.execHistory() : [];
  return { pods, workloads, restore, runs, writes, execHistory, decoysNow };
}

function table(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  const line = `+${'-'.repeat(width + 2)}+${'-'.repeat(22)}+`;
  return [line, ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${String(v).padStart(20)} |`), line].join(
    '\n',
  );
}

/** The AdmissionBypassed reports: Events in the restored namespaces, and the controller's warning log lines. */
async function bypassReports(bed: ChaosBed): Promise<{ events: Set<string>; logs: Set<string> }> {
  const events = new Set<string>();
  for (const ns of RESTORED_NAMESPACES) {
    const list = await bed.client.json<{
      items: { reason?: string; involvedObject?: { kind?: string; name?: string } }[];
    }>('GET', `/api/v1/namespaces/${ns}/events`);
    for (const e of list.items)
      if (e.reason === 'AdmissionBypassed')
        events.add(`${e.involvedObject?.kind ?? ''}/${ns}/${e.involvedObject?.name ?? ''}`);
  }
  const logs = new Set<string>();
  for (const r of replicas) {
    let text: string;
    try {
      text = readFileSync(join(workDir, `controller-${r.id}.log`), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('admission was bypassed')) continue;
      try {
        const entry = JSON.parse(line) as { kind?: string; namespace?: string; name?: string };
        logs.add(`${entry.kind ?? ''}/${entry.namespace ?? ''}/${entry.name ?? ''}`);
      } catch {
        // a line cut by SIGKILL
      }
    }
  }
  return { events, logs };
}

function sumByLabel(texts: readonly string[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const text of texts)
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)\{([^}]*)\} (\S+)/.exec(line);
      if (!m || m[1] !== name) continue;
      const value = new RegExp(`${label}="([^"]*)"`).exec(m[2]!)?.[1] ?? '';
      out[value] = (out[value] ?? 0) + Number(m[3]);
    }
  return out;
}

async function main(): Promise<number> {
  say(
    `seed ${seed} (reproduce with ${rerun.replace('%s', String(seed))}); bed ${bedKind}${short ? ' (short)' : ''}; admission faults ${admissionFaults ? 'on (--no-admission-faults: off)' : 'off'}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; work directory ${workDir}`,
  );
  const random = seededRandom(seed);
  const scenario = buildScenario(short ? SHORT_SIZE : DEFAULT_SIZE);
  bed =
    bedKind === 'real'
      ? await startRealBed(workDir, (line) => say(`real control plane: ${line}`))
      : await startDevclusterBed(workDir, scenario.backup);
  const client = bed.client;
  const decoyUids = await setUp(bed, scenario);
  const saKubeconfig = join(workDir, 'controller.kubeconfig');
  writeFileSync(saKubeconfig, await bed.serviceAccountKubeconfig(CONTROLLER_NAMESPACE, 'restore-hooks'));

  // The webhook Service: the configuration's url names it; it passes each connection to a serving replica.
  const webhookPorts = { a: await freePort(), b: await freePort() };
  webhookService = new WebhookService(
    () => replicas.map((r) => ({ id: r.id, port: r.webhookPort ?? 0, serving: r.serving })),
    admissionFaults ? undefined : 0,
  );
  await webhookService.listen();
  // As the manifests install it: failurePolicy Ignore (the default), an empty caBundle the controller fills in.
  await client.json(
    'POST',
    '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    webhookConfiguration({
      name: WEBHOOK_CONFIGURATION,
      namespace: CONTROLLER_NAMESPACE,
      clientConfig: { url: webhookService.url },
      caBundle: '',
      failurePolicy: 'Ignore',
    }),
  );
  const certificateSettings: CertificateSettings = {
    namespace: CONTROLLER_NAMESPACE,
    secretName: WEBHOOK_SECRET,
    configurationName: WEBHOOK_CONFIGURATION,
    url: webhookService.url,
    validityMs: CERTIFICATE_VALIDITY_MS,
  };

  const config = join(workDir, 'controller.yaml');
  writeFileSync(
    config,
    [
      'veleroNamespaces: [velero]',
      // Retain keeps the hooks in the templates, so the final state shows every pod with its hooks.
      'templateCleanup: Retain',
      'api: {qps: 100, burst: 200}',
      'leaderElection: {leaseDuration: 6s, renewDeadline: 4s, retryPeriod: 1s}',
      // The simulated Velero runs no exec hooks, so restore-hooks runs those of the pods Velero restored too.
      // Retries: an injected 429/5xx on the pods/exec upgrade fails the hook with ExecError (nothing ran), and
      // ExecError is retried only when retries are configured (see docs/chaos.md, findings).
      'exec: {veleroRestoredPods: Run, retries: {attempts: 6, backoffBase: 200ms, backoffMax: 2s}}',
      // failurePolicy Ignore, the default (docs/chaos.md says why); Secrets re-read every 2 s, so a rotation
      // reaches every replica within the run.
      `webhook: {failurePolicy: Ignore, certificates: {refreshInterval: 2s, validity: ${CERTIFICATE_VALIDITY_MS / 3_600_000}h}}`,
      'logLevel: debug',
      '',
    ].join('\n'),
  );
  for (const id of ['a', 'b'] as const) {
    const replica = new SupervisedReplica({
      id,
      kubeconfig: saKubeconfig,
      config,
      logFile: join(workDir, `controller-${id}.log`),
      env: { POD_NAMESPACE: CONTROLLER_NAMESPACE },
      webhook: { port: webhookPorts[id], url: webhookService.url },
    });
    replicas.push(replica);
    await replica.start();
  }
  await waitUntil('a leader', () => replicas.some((r) => r.leading), 120_000);
  await waitUntil('both replicas serving the webhooks', () => replicas.every((r) => r.serving), 120_000);
  const firstSecret = await readServingSecret(client, certificateSettings);
  await waitUntil(
    "the controller's CA in the webhook configuration",
    async () => (await observeCertificates(client, certificateSettings, [])).caBundles.every((b) => b !== ''),
    60_000,
  );
  say(
    `leader elected (replica ${replicas.find((r) => r.leading)!.id}); both replicas serve the webhooks behind ${webhookService.url}; ${scenario.expectedPods} pods expected`,
  );

  const schedule = (bedKind === 'real' ? planRealSchedule(random) : planSchedule(random)).filter(
    (e) => admissionFaults || (e.kind !== 'stall-webhook' && e.kind !== 'certificate'),
  );
  await bed.injector?.setRules(seed, faultRules());
  await bed.startRestore(scenario);
  const t0 = Date.now();
  say(`Restore ${VELERO_NAMESPACE}/${RESTORE_NAME} created; faults on`);
  // Alongside the schedule, not before it: the kills and pauses keep their times.
  const forging = createForgedObjects(client, decoyUids).then(() =>
    say(
      'forging tenant: labelled Deployment and pod outside the restored namespaces, a Deployment with our mark inside',
    ),
  );

  const kills = { leader: 0, follower: 0 };
  const restarts: Record<string, number> = {};
  const certificateFaults = { serving: 0, ca: 0 };
  const expectations: Expectations = {
    hooksFor: expectedInitHooks,
    execHooksFor: expectedExecHooks,
    get leaderKills() {
      return kills.leader;
    },
    restoredNamespaces: RESTORED_NAMESPACES,
    workloads: scenario.workloads,
    barePods: scenario.barePods,
    decoys: decoyUids,
    decoyPodPrefixes: ['decoy-web', ...FORGED_POD_PREFIXES],
    controllerNamespace: CONTROLLER_NAMESPACE,
    veleroNamespace: VELERO_NAMESPACE,
    restoreName: RESTORE_NAME,
    conditions: true,
    webhook: { configurationName: WEBHOOK_CONFIGURATION, secretName: WEBHOOK_SECRET },
  };
  let convergedAt: number | undefined;
  let lastMissing: string[] = [];
  let pauses = 0;
  let pausedMs = 0;
  let nextPoll = Date.now();
  let compactions = 0;
  const pending: Promise<unknown>[] = [];
  const events: ScheduledEvent[] = [...schedule];
  const disruptive = (e: ScheduledEvent) => e.kind !== 'compact' && e.kind !== 'pause';
  while (convergedAt === undefined && Date.now() - t0 < convergeBoundMs) {
    const elapsed = Date.now() - t0;
    while (events.length > 0 && events[0]!.atMs <= elapsed) {
      const event = events.shift()!;
      if (event.kind === 'compact') {
        await bed.injector!.compact();
        compactions++;
      } else if (event.kind === 'pause') {
        await bed.injector!.pause();
        await sleep(event.durationMs);
        await bed.injector!.resume();
        say(`API paused for ${(event.durationMs / 1000).toFixed(1)}s`);
        pauses++;
        pausedMs += event.durationMs;
      } else if (event.kind === 'stall-webhook') {
        webhookService.stall(event.durationMs);
        say(`webhook Service stalled for ${(event.durationMs / 1000).toFixed(1)}s (timeoutSeconds 5)`);
      } else if (event.kind === 'certificate') {
        await injectCertificateFault(client, certificateSettings, event.fault);
        if (event.fault === 'near-expiry-ca') certificateFaults.ca++;
        else certificateFaults.serving++;
        say(`certificate fault: ${event.fault} (the controller must rotate)`);
      } else if (event.kind === 'restart') {
        say(`SIGKILL and restart ${event.component}`);
        restarts[event.component] = (restarts[event.component] ?? 0) + 1;
        pending.push(
          bed.restart!(event.component).then(
            () => say(`${event.component} restarted`),
            (e: unknown) => say(`${event.component} restart failed: ${(e as Error).message}`),
          ),
        );
      } else {
        const leader = replicas.find((r) => r.leading);
        const target = event.kind === 'kill-leader' ? leader : replicas.find((r) => r.alive && !r.leading);
        if (!target) {
          // No leader (or no follower) right now: try again in a second, so every planned kill happens.
          events.push({ ...event, atMs: elapsed + 1000 });
          events.sort((a, b) => a.atMs - b.atMs);
          continue;
        }
        const serving = target.serving;
        target.kill();
        if (target === leader) kills.leader++;
        else kills.follower++;
        say(
          `SIGKILL replica ${target.id} (${target === leader ? 'leader' : 'follower'}${serving ? ', serving webhooks' : ''})`,
        );
      }
    }
    await Promise.all(replicas.map((r) => r.scrape()));
    if (Date.now() >= nextPoll && !events.some(disruptive)) {
      nextPoll = Date.now() + 3000;
      try {
        lastMissing = unconverged(await snapshot(bed, false), expectations);
        if (lastMissing.length === 0) convergedAt = Date.now();
      } catch (e) {
        say(`poll failed: ${(e as Error).message}`);
      }
    }
    await sleep(250);
  }
  await forging;
  await Promise.all(pending);
  await bed.veleroDone.catch((e: unknown) => say(`velero failed: ${(e as Error).message}`));
  const counters: FaultCounters | undefined = await bed.injector?.counters();
  await bed.injector?.off();
  if (convergedAt === undefined) {
    say(
      `NOT converged within ${convergeBoundMs / 1000}s: ${lastMissing.length} owners short, e.g.\n  ${lastMissing.slice(0, 10).join('\n  ')}`,
    );
  } else say(`converged after ${((convergedAt - t0) / 1000).toFixed(1)}s; faults off, letting it settle`);
  const statusStart = Date.now();
  let statusCaughtUpMs: number | undefined;
  while (convergedAt !== undefined && Date.now() - statusStart < statusCatchUpBoundMs) {
    if (checkRestoreStatus(await snapshot(bed, true), expectations).length === 0) {
      statusCaughtUpMs = Date.now() - statusStart;
      break;
    }
    await sleep(2000);
  }
  if (statusCaughtUpMs !== undefined)
    say(`Restore status caught up ${(statusCaughtUpMs / 1000).toFixed(1)}s after the faults stopped`);
  // Every replica re-reads the Secret each 2 s: give the last rotation time to reach all of them.
  let certificates = await observeCertificates(client, certificateSettings, replicaEndpoints());
  for (
    const until = Date.now() + 30_000;
    Date.now() < until &&
    checkCertificatesFollowed(firstSecret, certificates, certificateFaults, CERTIFICATE_VALIDITY_MS).length >
      0;
  ) {
    await sleep(1000);
    certificates = await observeCertificates(client, certificateSettings, replicaEndpoints());
  }
  // Settle: nothing may change once converged; writes made now are audited like the rest.
  await sleep(5000);
  await Promise.all(replicas.map((r) => r.scrape()));
  const final = await snapshot(bed, true);
  const stillMissing = unconverged(final, expectations);
  const failOpen = await bed.failOpens();
  const reports = await bypassReports(bed);
  const violations: [string, string[]][] = [
    ['converged within the bound', convergedAt === undefined ? lastMissing : []],
    ['still converged after settling', stillMissing],
    ['init hooks ran exactly once, before the app containers', checkInitHooksRanOnce(final, expectations)],
    ['no duplicate hooks in templates or pods', checkNoDuplicateHooks(final, expectations)],
    ['controller wrote only objects of the restore', checkWritesStayInRestore(final, expectations)],
    ['objects outside the restore untouched', checkDecoysUntouched(final.decoysNow, expectations)],
    ['Restore status tells what happened', checkRestoreStatus(final, expectations)],
    [
      'exec hooks ran and were recorded (at most one repeat per leader SIGKILL)',
      checkExecHooks(final, expectations),
    ],
    [
      'every admission bypass is reported (AdmissionBypassed)',
      [
        ...(failOpen.items === undefined
          ? []
          : checkBypassesReported(failOpen.items, reports.events, reports.logs, expectations)),
        ...checkTemplatePathReported(final, reports.events, reports.logs, expectations),
      ],
    ],
    [
      'certificate rotations reached the Secret, the caBundle and every replica',
      checkCertificatesFollowed(firstSecret, certificates, certificateFaults, CERTIFICATE_VALIDITY_MS),
    ],
  ];
  const metrics = replicas.flatMap((r) => r.allMetrics());
  const total = (name: string, filter?: (labels: string) => boolean) =>
    metrics.reduce((n, text) => n + sumMetric(text, name, filter), 0);
  const hookRuns = final.runs.filter((r) => r.init && r.container.startsWith('hook-')).length;
  const failOpenBy = (webhook: string) =>
    failOpen.items === undefined ? '-' : failOpen.items.filter((r) => r.webhook === webhook).length;
  const owners = failOpen.items === undefined ? undefined : bypassedOwners(failOpen.items, expectations);
  const admission = sumByLabel(metrics, 'restore_hooks_admission_total', 'result');
  const webhookCodes = sumByLabel(metrics, 'controller_runtime_webhook_requests_total', 'code');
  const ws = webhookService.counters;
  const c = counters;
  const summary: [string, string | number][] = [
    ['seed', seed],
    ['bed', `${bedKind}${short ? ' (short)' : ''}`],
    ['load average at start / end', `${startLoad} / ${loadavg()[0]!.toFixed(1)}`],
    ['pods expected (restored + recreated)', scenario.expectedPods],
    ...(c
      ? ([
          ['API requests seen by the fault injector', c.requests],
          ['injected 429 (Retry-After)', c.errors['429'] ?? 0],
          ['injected 500', c.errors['500'] ?? 0],
          ['injected 503', c.errors['503'] ?? 0],
          ['injected 409 conflicts', c.errors['409'] ?? 0],
          ['watches cut', c.watchesCut],
          ['history compactions (410 on resume)', compactions],
          ['API pauses / total paused', `${pauses} / ${(pausedMs / 1000).toFixed(1)}s`],
          ['requests held by a pause', c.pausedRequests],
        ] as [string, string | number][])
      : []),
    ...Object.entries(restarts).map(([k, n]): [string, string | number] => [`SIGKILL + restart ${k}`, n]),
    ['SIGKILL leader / follower (all serving)', `${kills.leader} / ${kills.follower}`],
    ['controller starts (all replicas)', replicas.reduce((n, r) => n + r.starts, 0)],
    ['controller exits on its own (lost lease)', replicas.reduce((n, r) => n + r.exits.length, 0)],
    ['controller work-queue retries', total('workqueue_retries_total')],
    ['controller reconcile errors', total('controller_runtime_reconcile_errors_total')],
    ['controller API answers not 2xx', total('rest_client_requests_total', (l) => !/code="2\d\d"/.test(l))],
    ['informer re-lists', total('restore_hooks_informer_relists_total')],
    ['informer restarts', total('restore_hooks_informer_restarts_total')],
    ['webhook Service connections / refused', `${ws.connections} / ${ws.refused + ws.noEndpoint}`],
    [
      'webhook stalls / connections held',
      `${ws.stalls} (${(ws.stalledMs / 1000).toFixed(1)}s) / ${ws.stalled}`,
    ],
    ['certificate faults serving / CA', `${certificateFaults.serving} / ${certificateFaults.ca}`],
    [
      'webhook answers 200 / other (replicas)',
      `${webhookCodes['200'] ?? 0} / ${Object.entries(webhookCodes).reduce((n, [k, v]) => n + (k === '200' ? 0 : v), 0)}`,
    ],
    [
      'admission patched / untouched / bypass / err',
      ['patched', 'untouched', 'bypass', 'error'].map((k) => admission[k] ?? 0).join(' / '),
    ],
    ['calls failed open (all webhooks)', failOpen.total],
    [
      'failed open: workloads / pods webhook',
      `${failOpenBy('workloads.restore-hooks.dev')} / ${failOpenBy('pods.restore-hooks.dev')}`,
    ],
    [
      'failed open by cause: timeout / connection / TLS',
      failOpen.items === undefined
        ? '-'
        : [
            (r: string) => r.includes('deadline exceeded'),
            (r: string) => /ECONNRESET|ECONNREFUSED|socket hang up|connection refused/.test(r),
            (r: string) => r.includes('x509') || r.includes('tls:'),
          ]
            .map((cause) => failOpen.items!.filter((r) => cause(r.reason)).length)
            .join(' / '),
    ],
    ['restored owners bypassed', owners === undefined ? '-' : owners.size],
    ['AdmissionBypassed Events / logged', `${reports.events.size} / ${reports.logs.size}`],
    ['controller writes (audited)', final.writes.length],
    ['init hook container runs', hookRuns],
    ['exec hook runs / repeats', `${final.execHistory.length} / ${execRepeats(final)}`],
    [
      'Restore hookStatus attempted / failed',
      `${final.restore.status?.hookStatus?.hooksAttempted ?? '-'} / ${final.restore.status?.hookStatus?.hooksFailed ?? '-'}`,
    ],
    [
      'time to converge',
      convergedAt === undefined ? 'did not' : `${((convergedAt - t0) / 1000).toFixed(1)}s`,
    ],
    [
      'Restore status caught up after faults',
      statusCaughtUpMs === undefined ? 'did not' : `${(statusCaughtUpMs / 1000).toFixed(1)}s`,
    ],
    ['harness retries', client.retries],
  ];
  process.stdout.write(`\nchaos summary\n${table(summary)}\n\n`);
  // Every violation, not only the first 20 of each: kept with the work directory (CHAOS_KEEP=1).
  writeFileSync(
    join(workDir, 'violations.txt'),
    violations.map(([name, list]) => [name, ...list.map((v) => `  ${v}`)].join('\n')).join('\n'),
  );
  let failed = 0;
  for (const [name, list] of violations) {
    process.stdout.write(`${list.length === 0 ? 'PASS' : 'FAIL'}  ${name}\n`);
    for (const v of list.slice(0, 20)) process.stdout.write(`        ${v}\n`);
    if (list.length > 20) process.stdout.write(`        ... and ${list.length - 20} more\n`);
    if (list.length > 0) failed++;
  }
  if (failOpen.items === undefined)
    process.stdout.write(
      `NOTE  every admission bypass is reported: on this bed judged from the templates only (kube-apiserver 1.20 logs "failing open" without the object): ${failOpen.total} calls failed open, ${reports.events.size} workloads have AdmissionBypassed Events\n`,
    );
  process.stdout.write(
    failed === 0
      ? `\nchaos: all invariants hold (seed ${seed}, bed ${bedKind}${short ? ' short' : ''}, ${((Date.now() - began) / 1000).toFixed(0)}s)\n`
      : `\nchaos: ${failed} invariant(s) violated; reproduce with ${rerun.replace('%s', String(seed))} (logs: CHAOS_KEEP=1)\n`,
  );
  if (failed > 0 && process.env.CHAOS_KEEP !== '1')
    process.stdout.write(`(work directory removed; set CHAOS_KEEP=1 to keep ${workDir})\n`);
  return failed === 0 ? 0 : 1;
}

const startLoad = loadavg()[0]!.toFixed(1);

/** The replicas' webhook ports, for the certificate checks. */
function replicaEndpoints(): { id: string; port: number; serving: boolean }[] {
  return replicas.map((r) => ({ id: r.id, port: r.webhookPort ?? 0, serving: r.serving }));
}

let status: number;
try {
  status = await main();
} catch (e) {
  process.stderr.write(`chaos: ${(e as Error).stack ?? String(e)}\n(seed ${seed})\n`);
  status = 1;
} finally {
  await cleanUp();
  clearTimeout(hardTimer);
}
process.exit(status);
