/**
 * `npm run test:chaos`: a Restore of several hundred pods on the simulated devcluster (a separate process), served
 * by two controller replicas with leader election (separate processes, SIGKILLed and restarted), while the
 * devcluster's fault injector fails ~10% of API calls (429 with Retry-After, 500, 503), injects write conflicts,
 * cuts watches, compacts the watch history (410 on resume) and pauses the API. It then checks the invariants of
 * invariants.ts against the final state, the kubelet's run log and the write audit, prints a summary table, and
 * exits 0 only when every invariant holds. See docs/chaos.md.
 *
 * Environment: CHAOS_SEED (default: random, printed), CHAOS_TIMEOUT_SECONDS (hard limit for the whole run, default
 * 420), CHAOS_CONVERGE_SECONDS (bound on the time to converge, default 240), CHAOS_KEEP=1 keeps the work directory.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseAllDocuments } from 'yaml';
import { seededRandom } from '../../src/devcluster/faults/random.ts';
import type { FaultCounters } from '../../src/devcluster/faults/index.ts';
import type { ContainerRun } from '../../src/devcluster/kubelet/run-log.ts';
import type { WriteRecord } from '../../src/devcluster/audit/write-log.ts';
import type { ExecHistoryItem } from '../../src/devcluster/audit/admin.ts';
import { ClusterClient, parseKubeconfig } from './cluster-client.ts';
import { DevclusterProcess, SupervisedReplica, sumMetric, waitUntil } from './processes.ts';
import {
  BACKUP_NAME,
  DECOY_NAMESPACE,
  FORGED_POD_PREFIXES,
  RESTORED_NAMESPACES,
  RESTORE_NAME,
  VELERO_NAMESPACE,
  buildScenario,
  expectedExecHooks,
  expectedInitHooks,
  forgedObjects,
} from './scenario.ts';
import type { Scenario } from './scenario.ts';
import {
  checkDecoysUntouched,
  checkExecHooks,
  checkInitHooksRanOnce,
  execRepeats,
  checkNoDuplicateHooks,
  checkRestoreStatus,
  checkWritesStayInRestore,
  unconverged,
} from './invariants.ts';
import type { Expectations, FinalState, PodLike, RestoreLike, WorkloadLike } from './invariants.ts';
import { faultRules, planSchedule } from './fault-schedule.ts';

const CONTROLLER_NAMESPACE = 'restore-hooks';
const CONTROLLER_USER = `system:serviceaccount:${CONTROLLER_NAMESPACE}:restore-hooks`;
const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
const hardTimeoutMs = Number(process.env.CHAOS_TIMEOUT_SECONDS ?? 420) * 1000;
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

const workDir = mkdtempSync(join(tmpdir(), 'restore-hooks-chaos-'));
let devcluster: DevclusterProcess | undefined;
const replicas: SupervisedReplica[] = [];

async function cleanUp(): Promise<void> {
  await Promise.all(replicas.map((r) => r.stop()));
  await devcluster?.stop();
  if (process.env.CHAOS_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
}

const hardTimer = setTimeout(() => {
  process.stderr.write(
    `chaos: hard timeout of ${hardTimeoutMs / 1000}s reached (seed ${seed}); logs in ${workDir}\n`,
  );
  for (const r of replicas) r.kill();
  devcluster?.child.kill('SIGKILL');
  process.exit(1);
}, hardTimeoutMs);
hardTimer.unref();

async function setUp(client: ClusterClient, scenario: Scenario): Promise<Map<string, string>> {
  for (const name of [VELERO_NAMESPACE, CONTROLLER_NAMESPACE, DECOY_NAMESPACE, ...RESTORED_NAMESPACES])
    await client.json('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  // The controller runs as its ServiceAccount with exactly the RBAC of the manifests.
  await client.json('POST', `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'restore-hooks', namespace: CONTROLLER_NAMESPACE },
  });
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

async function snapshot(client: ClusterClient, withLogs: boolean): Promise<Snapshot> {
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
  const runs = withLogs
    ? (await client.admin<{ items: ContainerRun[] }>('/devcluster/kubelet/runs')).items
    : [];
  const writes = withLogs
    ? (
        await client.admin<{ items: WriteRecord[] }>(
          `/devcluster/writes?user=${encodeURIComponent(CONTROLLER_USER)}`,
        )
      ).items
    : [];
  const execHistory = withLogs
    ? (await client.admin<{ items: ExecHistoryItem[] }>('/devcluster/exec/history')).items
    : [];
  return { pods, workloads, restore, runs, writes, execHistory, decoysNow };
}

function table(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  const line = `+${'-'.repeat(width + 2)}+${'-'.repeat(22)}+`;
  return [line, ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${String(v).padStart(20)} |`), line].join(
    '\n',
  );
}

async function main(): Promise<number> {
  say(`seed ${seed} (reproduce with CHAOS_SEED=${seed} npm run test:chaos); work directory ${workDir}`);
  const random = seededRandom(seed);
  const scenario = buildScenario();
  const backupDir = join(workDir, 'backups', BACKUP_NAME);
  mkdirSync(backupDir, { recursive: true });
  writeFileSync(
    join(backupDir, 'backup.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: scenario.backup }),
  );
  writeFileSync(join(workDir, 'faults.json'), JSON.stringify({ seed, rules: [] }));
  const adminKubeconfig = join(workDir, 'admin.kubeconfig');
  devcluster = new DevclusterProcess(
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
  await devcluster.waitForKubeconfig(adminKubeconfig);
  const client = new ClusterClient(parseKubeconfig(readFileSync(adminKubeconfig, 'utf8')));
  try {
    const decoyUids = await setUp(client, scenario);
    const saKubeconfig = join(workDir, 'controller.kubeconfig');
    writeFileSync(
      saKubeconfig,
      await client.admin<string>(
        `/devcluster/kubeconfig?serviceAccount=${CONTROLLER_NAMESPACE}/restore-hooks`,
      ),
    );
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
        'logLevel: debug',
        '',
      ].join('\n'),
    );
    for (const id of ['a', 'b']) {
      const replica = new SupervisedReplica({
        id,
        kubeconfig: saKubeconfig,
        config,
        logFile: join(workDir, `controller-${id}.log`),
        env: { POD_NAMESPACE: CONTROLLER_NAMESPACE },
      });
      replicas.push(replica);
      await replica.start();
    }
    await waitUntil('a leader', () => replicas.some((r) => r.leading), 90_000);
    say(
      `leader elected (replica ${replicas.find((r) => r.leading)!.id}); ${scenario.expectedPods} pods expected`,
    );

    const schedule = planSchedule(random);
    await client.admin('/devcluster/faults', 'PUT', { seed, rules: faultRules() });
    await client.json('POST', `/apis/velero.io/v1/namespaces/${VELERO_NAMESPACE}/restores`, scenario.restore);
    const t0 = Date.now();
    say(`Restore ${VELERO_NAMESPACE}/${RESTORE_NAME} created; faults on`);
    // Alongside the schedule, not before it: the kills and pauses keep their times.
    const forging = createForgedObjects(client, decoyUids).then(() =>
      say(
        'forging tenant: labelled Deployment and pod outside the restored namespaces, a Deployment with our mark inside',
      ),
    );

    const kills = { leader: 0, follower: 0 };
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
    };
    let convergedAt: number | undefined;
    let lastMissing: string[] = [];
    let pauses = 0;
    let pausedMs = 0;
    let nextPoll = Date.now();
    let compactions = 0;
    const events = [...schedule];
    while (convergedAt === undefined && Date.now() - t0 < convergeBoundMs) {
      const elapsed = Date.now() - t0;
      while (events.length > 0 && events[0]!.atMs <= elapsed) {
        const event = events.shift()!;
        if (event.kind === 'compact') {
          await client.admin('/devcluster/faults/compact', 'POST');
          compactions++;
        } else if (event.kind === 'pause') {
          await client.admin('/devcluster/faults/pause', 'POST');
          await sleep(event.durationMs);
          await client.admin('/devcluster/faults/resume', 'POST');
          say(`API paused for ${(event.durationMs / 1000).toFixed(1)}s`);
          pauses++;
          pausedMs += event.durationMs;
        } else {
          const leader = replicas.find((r) => r.leading);
          const target = event.kind === 'kill-leader' ? leader : replicas.find((r) => r.alive && !r.leading);
          if (!target) {
            // No leader (or no follower) right now: try again in a second, so every planned kill happens.
            events.push({ ...event, atMs: elapsed + 1000 });
            events.sort((a, b) => a.atMs - b.atMs);
            continue;
          }
          target.kill();
          if (target === leader) kills.leader++;
          else kills.follower++;
          say(`SIGKILL replica ${target.id} (${target === leader ? 'leader' : 'follower'})`);
        }
      }
      await Promise.all(replicas.map((r) => r.scrape()));
      if (
        Date.now() >= nextPoll &&
        events.every((e) => e.kind !== 'kill-leader' && e.kind !== 'kill-follower')
      ) {
        nextPoll = Date.now() + 3000;
        try {
          lastMissing = unconverged(await snapshot(client, false), expectations);
          if (lastMissing.length === 0) convergedAt = Date.now();
        } catch (e) {
          say(`poll failed: ${(e as Error).message}`);
        }
      }
      await sleep(250);
    }
    await forging;
    await forging;
    const counters = await client.admin<{ counters: FaultCounters }>('/devcluster/faults');
    await client.admin('/devcluster/faults', 'PUT', { rules: [], paused: false });
    if (convergedAt === undefined) {
      say(
        `NOT converged within ${convergeBoundMs / 1000}s: ${lastMissing.length} owners short, e.g.\n  ${lastMissing.slice(0, 10).join('\n  ')}`,
      );
    } else say(`converged after ${((convergedAt - t0) / 1000).toFixed(1)}s; faults off, letting it settle`);
    const statusStart = Date.now();
    let statusCaughtUpMs: number | undefined;
    while (convergedAt !== undefined && Date.now() - statusStart < statusCatchUpBoundMs) {
      if (checkRestoreStatus(await snapshot(client, true), expectations).length === 0) {
        statusCaughtUpMs = Date.now() - statusStart;
        break;
      }
      await sleep(2000);
    }
    if (statusCaughtUpMs !== undefined)
      say(`Restore status caught up ${(statusCaughtUpMs / 1000).toFixed(1)}s after the faults stopped`);
    // Settle: nothing may change once converged; writes made now are audited like the rest.
    await sleep(5000);
    await Promise.all(replicas.map((r) => r.scrape()));
    const final = await snapshot(client, true);
    const stillMissing = unconverged(final, expectations);
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
    ];
    const metrics = replicas.flatMap((r) => r.allMetrics());
    const total = (name: string, filter?: (labels: string) => boolean) =>
      metrics.reduce((n, text) => n + sumMetric(text, name, filter), 0);
    const c = counters.counters;
    const hookRuns = final.runs.filter((r) => r.init && r.container.startsWith('hook-')).length;
    const summary: [string, string | number][] = [
      ['seed', seed],
      ['pods expected (restored + recreated)', scenario.expectedPods],
      ['API requests seen by the fault injector', c.requests],
      ['injected 429 (Retry-After)', c.errors['429'] ?? 0],
      ['injected 500', c.errors['500'] ?? 0],
      ['injected 503', c.errors['503'] ?? 0],
      ['injected 409 conflicts', c.errors['409'] ?? 0],
      ['watches cut', c.watchesCut],
      ['history compactions (410 on resume)', compactions],
      ['API pauses / total paused', `${pauses} / ${(pausedMs / 1000).toFixed(1)}s`],
      ['requests held by a pause', c.pausedRequests],
      ['SIGKILL leader / follower', `${kills.leader} / ${kills.follower}`],
      ['controller starts (all replicas)', replicas.reduce((n, r) => n + r.starts, 0)],
      ['controller exits on its own (lost lease)', replicas.reduce((n, r) => n + r.exits.length, 0)],
      ['controller work-queue retries', total('workqueue_retries_total')],
      ['controller reconcile errors', total('controller_runtime_reconcile_errors_total')],
      ['controller API answers not 2xx', total('rest_client_requests_total', (l) => !/code="2\d\d"/.test(l))],
      ['informer re-lists', total('restore_hooks_informer_relists_total')],
      ['informer restarts', total('restore_hooks_informer_restarts_total')],
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
    let failed = 0;
    for (const [name, list] of violations) {
      process.stdout.write(`${list.length === 0 ? 'PASS' : 'FAIL'}  ${name}\n`);
      for (const v of list.slice(0, 20)) process.stdout.write(`        ${v}\n`);
      if (list.length > 20) process.stdout.write(`        ... and ${list.length - 20} more\n`);
      if (list.length > 0) failed++;
    }
    process.stdout.write(
      failed === 0
        ? `\nchaos: all invariants hold (seed ${seed}, ${((Date.now() - began) / 1000).toFixed(0)}s)\n`
        : `\nchaos: ${failed} invariant(s) violated; reproduce with CHAOS_SEED=${seed} npm run test:chaos (logs: CHAOS_KEEP=1)\n`,
    );
    if (failed > 0 && process.env.CHAOS_KEEP !== '1')
      process.stdout.write(`(work directory removed; set CHAOS_KEEP=1 to keep ${workDir})\n`);
    return failed === 0 ? 0 : 1;
  } finally {
    client.close();
  }
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
