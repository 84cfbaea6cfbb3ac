/**
 * Issue 6's Deployment roll-out race, on both beds (the devcluster's simulated scheduler, kubelet and workload
 * controllers, or a real control plane with the stand-in kubelet) under the manifest RBAC: a restored Deployment created pods from its template before the controller could add the hooks
 * (the controller was down), and none of them is available. A RollingUpdate cannot scale those pods down faster than
 * maxUnavailable allows, so without more, some would start without their hooks. Each case proves from the kubelet's
 * run log that every pod that started ran each hook exactly once, before its application container, and that no
 * hooked pod was thrown away (as many hook runs as replicas); from the write audit that the controller wrote only
 * objects of the restore; and it checks the templates, the ReplicaSets and the Events.
 *
 * Then issue 15's measurement with issue 16's proof (test/helpers/burst.ts): Velero restores 20 Deployments while
 * the controller runs and serves its admission webhooks (url mode), at kubelet start delays of 1 s and 0.2 s. The run
 * log must show no app container starting before its pod's hooks, and the write audit no template write and no pod
 * deletion by the controller; each Deployment keeps its one ReplicaSet. (Through the reconciler's template path alone the Deployment
 * controller creates the first pods before the template patch lands.)
 */
import { expect } from 'chai';
import { PAUSED_FOR_HOOKS_ANNOTATION } from '../../../src/controller/marks.ts';
import type { ContainerRun } from '../../../src/devcluster/kubelet/run-log.ts';
import { hookContentHash } from '../../../src/hooks/names.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { CONTROLLER_NAMESPACE, eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import { CONTROLLER_USER } from '../../helpers/bed.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { ClusterReads, initNames, templateInitNames } from '../../helpers/cluster-reads.ts';
import {
  R2_HOOK_NAMES,
  podSpec,
  r2HookContainers,
  restoreR2,
  restoredLabels,
} from '../../helpers/restore-fixtures.ts';
import type { KubeBody } from '../../helpers/restored-targets.ts';
import { BURST_HOOK, burstSummary, runBurst, startBurstController } from '../../helpers/burst.ts';
import type { Settings } from '../../../src/config/settings.ts';

const SETTLE_MS = 90_000;
const START_SECONDS = 'devcluster.restore-hooks.io/start-seconds';

interface Strategy {
  type?: string;
  rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
}

describeOnBeds('controller e2e: the Deployment roll-out race (manifest RBAC)', function (bed) {
  this.timeout(240_000);
  let env: ControllerEnv;
  let reads: ClusterReads;
  /** Velero's identity creates the Restores and everything they bring back. */
  let velero: ClusterReads;

  before(async () => {
    env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true, simulation: {} });
    reads = new ClusterReads(env.client);
    velero = new ClusterReads(env.velero);
    // A Deployment in the same namespace that no restore brought back: never to be written.
    await reads.create(deploymentBody('decoy', { replicas: 1, labels: {}, startSeconds: '5' }));
  });
  after(async () => {
    await env?.stop();
  });

  function deploymentBody(
    name: string,
    options: {
      replicas: number;
      labels?: Record<string, string>;
      strategy?: Strategy;
      /** Extra sandbox time (the start-seconds behaviour); absent: only the kubelet's start delay. */
      startSeconds?: string;
      annotations?: Record<string, string>;
    },
  ): KubeBody {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'app', labels: options.labels ?? restoredLabels(`r-${name}`) },
      spec: {
        replicas: options.replicas,
        ...(options.strategy ? { strategy: options.strategy } : {}),
        selector: { matchLabels: { app: name } },
        template: {
          metadata: {
            labels: { app: name },
            annotations: {
              ...options.annotations,
              ...(options.startSeconds ? { [START_SECONDS]: options.startSeconds } : {}),
            },
          },
          spec: podSpec(),
        },
      },
    };
  }
  const createRestore = (name: string, hooks?: unknown) =>
    env.velero.request({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: restoreR2({ name, ...(hooks ? { hooks } : {}) }),
    });
  const pods = (name: string) => reads.livePods('app', `app=${name}`);
  const replicaSets = async (name: string) =>
    (
      await env.client.request<{ items: Workload[] }>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/app/replicasets?labelSelector=${encodeURIComponent(`app=${name}`)}`,
      })
    ).items;
  const runsOf = async (name: string) =>
    (await env.bed.runs({ namespace: 'app' })).filter((r) => r.pod.startsWith(`${name}-`));
  const controllerWrites = () => env.bed.writes({ user: CONTROLLER_USER });

  /** Waits until the Deployment runs `replicas` pods, all Running with the hooks, and is no longer paused by us. */
  async function settled(
    name: string,
    replicas: number,
    hookNames: readonly string[] = R2_HOOK_NAMES,
  ): Promise<Pod[]> {
    return eventually(
      async () => {
        const d = await reads.workload('Deployment', 'app', name);
        if (d.spec.paused === true || d.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION]) return undefined;
        const live = await pods(name);
        const done =
          live.length === replicas &&
          live.every(
            (p) =>
              p.status?.phase === 'Running' &&
              JSON.stringify(initNames(p.spec.initContainers).filter((n) => n !== 'restore-wait')) ===
                JSON.stringify(hookNames),
          );
        return done ? live : undefined;
      },
      `Deployment ${name} to run ${replicas} hooked pods`,
      SETTLE_MS,
    );
  }

  /**
   * From the kubelet's run log: every pod that started its application container ran each hook once (restart
   * count 0, exit 0) and finished it before the application container started; and the hooks ran in exactly
   * `replicas` pods, so no hooked pod was thrown away and its hooks run again in another.
   */
  async function assertHooksRanOnceBeforeApp(
    name: string,
    replicas: number,
    hookNames: readonly string[] = R2_HOOK_NAMES,
  ): Promise<void> {
    const runs = await runsOf(name);
    const byPod = new Map<string, ContainerRun[]>();
    for (const r of runs) byPod.set(r.uid, [...(byPod.get(r.uid) ?? []), r]);
    let started = 0;
    for (const [uid, podRuns] of byPod) {
      const app = podRuns.filter((r) => !r.init).sort((a, b) => a.seq - b.seq)[0];
      if (!app) continue;
      started++;
      for (const hook of hookNames) {
        const hookRuns = podRuns.filter((r) => r.init && r.container === hook);
        expect(hookRuns, `${hook} in pod ${podRuns[0]!.pod} (${uid})`).to.have.length(1);
        const [run] = hookRuns;
        expect(run!.restartCount).to.equal(0);
        expect(run!.exitCode, `${hook} exit code`).to.equal(0);
        expect(run!.seq, `${hook} before the application container`).to.be.lessThan(app.seq);
        expect(Date.parse(run!.finishedAt ?? '')).to.be.at.most(Date.parse(app.startedAt));
      }
    }
    expect(started, 'pods that started').to.be.at.least(replicas);
    for (const hook of hookNames)
      expect(
        runs.filter((r) => r.init && r.container === hook),
        `pods that ran ${hook}`,
      ).to.have.length(replicas);
  }

  /** No template of the Deployment or of its ReplicaSets has a hook twice, by name or by content. */
  async function assertNoDuplicateHooks(name: string): Promise<void> {
    const templates = [await reads.workload('Deployment', 'app', name), ...(await replicaSets(name))];
    for (const w of templates) {
      const containers = w.spec.template.spec.initContainers ?? [];
      const names = containers.map((c) => c.name);
      expect(new Set(names).size, `${w.metadata.name}: ${names.join(', ')}`).to.equal(names.length);
      const contents = containers.map((c) => hookContentHash(c));
      expect(new Set(contents).size, `${w.metadata.name}: same content twice`).to.equal(contents.length);
    }
  }

  /**
   * The controller wrote only the restored Deployments, their ReplicaSets and pods, Events, Restores, its webhook
   * configuration's caBundle and its own objects.
   */
  async function assertWritesInsideTheRestore(restored: readonly string[]): Promise<void> {
    const ours = (n: string) => restored.some((d) => n === d || n.startsWith(`${d}-`));
    for (const w of await controllerWrites()) {
      const where = `${w.verb} ${w.resource} ${w.namespace}/${w.name}`;
      switch (w.resource) {
        case 'deployments.apps':
        case 'replicasets.apps':
          expect(w.verb, where).to.equal('patch');
          expect(ours(w.name), where).to.equal(true);
          break;
        case 'pods':
          expect(w.namespace, where).to.equal('app');
          expect(ours(w.name), where).to.equal(true);
          break;
        case 'events':
          expect(w.verb, where).to.equal('create');
          break;
        case 'restores.velero.io':
          expect(w.namespace, where).to.equal('velero');
          break;
        case 'mutatingwebhookconfigurations.admissionregistration.k8s.io':
          expect(w.name, where).to.equal('restore-hooks'); // its caBundle, once it serves the webhooks
          break;
        default:
          // Its lease, its conditions ConfigMap and, once it serves the webhooks, its CA Secret.
          expect(['leases.coordination.k8s.io', 'configmaps', 'secrets'], where).to.include(w.resource);
          expect(w.namespace, where).to.equal(CONTROLLER_NAMESPACE);
      }
    }
    const decoy = await reads.workload('Deployment', 'app', 'decoy');
    expect(decoy.metadata.generation, 'the decoy Deployment was never written').to.equal(1);
  }

  /**
   * The controller is down while Velero restores the Deployment (no ReplicaSet or pods in the backup): its
   * Deployment controller creates every pod from the template without hooks. They wait for their sandbox (as for
   * a volume), so none is available when the controller comes back.
   */
  async function restoreWhileControllerIsDown(
    name: string,
    replicas: number,
    strategy?: Strategy,
  ): Promise<Pod[]> {
    await env.stopController();
    await createRestore(`r-${name}`);
    await velero.create(
      deploymentBody(name, { replicas, startSeconds: '20', ...(strategy ? { strategy } : {}) }),
    );
    const old = await eventually(
      async () => {
        const live = await pods(name);
        return live.length === replicas && live.every((p) => p.status?.phase === 'Pending')
          ? live
          : undefined;
      },
      `the Deployment controller to create ${replicas} pending pods without hooks`,
      SETTLE_MS,
    );
    for (const p of old) expect(p.spec.initContainers ?? []).to.deep.equal([]);
    await env.startController();
    return old;
  }

  async function assertReplacedThroughTheCurrentReplicaSet(name: string, old: readonly Pod[]) {
    const live = await settled(name, old.length);
    await assertHooksRanOnceBeforeApp(name, old.length);
    const sets = await replicaSets(name);
    expect(
      sets.map((rs) => rs.metadata.name),
      'one ReplicaSet: nothing was rolled out',
    ).to.have.length(1);
    const [rs] = sets;
    expect(templateInitNames(rs!)).to.deep.equal(R2_HOOK_NAMES);
    expect(live.map((p) => p.metadata.uid)).to.not.include.members(old.map((p) => p.metadata.uid));
    const d = await reads.workload('Deployment', 'app', name);
    expect(templateInitNames(d)).to.deep.equal(R2_HOOK_NAMES);
    expect(d.spec.paused ?? false).to.equal(false);

    const events = (await reads.events('app')).filter((e) => e.involvedObject.name.startsWith(name));
    const injected = events.filter((e) => e.reason === 'HookInjected');
    expect(injected.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}`).sort()).to.deep.equal([
      `Deployment/${name}`,
      `ReplicaSet/${rs!.metadata.name}`,
    ]);
    expect(injected.find((e) => e.involvedObject.kind === 'Deployment')!.message).to.contain(
      'paused the Deployment',
    );
    const replaced = events.filter((e) => e.reason === 'PodReplaced');
    expect(replaced.map((e) => e.involvedObject.name).sort()).to.deep.equal(
      old.map((p) => p.metadata.name).sort(),
    );
    for (const e of replaced) expect(e.message).to.contain(`ReplicaSet ${rs!.metadata.name}`);
    expect(events.filter((e) => e.reason === 'HookSkipped')).to.deep.equal([]);
    await assertNoDuplicateHooks(name);
    const applied = await eventually(
      async () => {
        const c = await reads.condition(`r-${name}`, 'InitHooksApplied');
        return c?.status === 'True' ? c : undefined;
      },
      `InitHooksApplied=True on r-${name}`,
      SETTLE_MS,
    );
    expect(applied.reason).to.equal('HooksInPlace');
  }

  it('default RollingUpdate (25%/25%), 4 pending pods from the old template, none available: every pod runs the hooks once, nothing is rolled out', async () => {
    const old = await restoreWhileControllerIsDown('race', 4);
    await assertReplacedThroughTheCurrentReplicaSet('race', old);
    await assertWritesInsideTheRestore(['race']);
  });

  it('maxSurge 0: the same, without a surge pod', async () => {
    const old = await restoreWhileControllerIsDown('nosurge', 4, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    await assertReplacedThroughTheCurrentReplicaSet('nosurge', old);
    await assertWritesInsideTheRestore(['race', 'nosurge']);
  });

  bed.devclusterOnly(
    'a controller that stops while the Deployment is paused for its ReplicaSet: the next one hooks the ReplicaSet and resumes it',
    "needs the devcluster's fault injector to fail every ReplicaSet patch; a real API server has none",
    async () => {
      // Every ReplicaSet patch fails: the controller gets as far as the paused template patch, no further.
      env.cluster.faults.addRule({
        id: 'replicaset-patches-fail',
        verbs: ['patch'],
        resources: ['replicasets.apps'],
        error: { code: 500, rate: 1 },
      });
      const old = await restoreWhileControllerIsDown('crash', 2);
      await eventually(
        async () =>
          (await controllerWrites()).some(
            (w) => w.resource === 'replicasets.apps' && w.name.startsWith('crash-') && w.code === 500,
          ) || undefined,
        'a failed ReplicaSet patch',
        SETTLE_MS,
      );
      const paused = await reads.workload('Deployment', 'app', 'crash');
      expect(paused.spec.paused).to.equal(true);
      expect(paused.metadata.annotations).to.include({ [PAUSED_FOR_HOOKS_ANNOTATION]: 'velero/r-crash' });
      expect(templateInitNames(paused)).to.deep.equal(R2_HOOK_NAMES);
      expect(await replicaSets('crash'), 'a paused Deployment creates no ReplicaSet').to.have.length(1);
      expect(await env.stopController()).to.equal(0);
      env.cluster.faults.removeRule('replicaset-patches-fail');

      await env.startController();
      await assertReplacedThroughTheCurrentReplicaSet('crash', old);
      const d = await reads.workload('Deployment', 'app', 'crash');
      expect(d.metadata.annotations ?? {}).to.not.have.property(PAUSED_FOR_HOOKS_ANNOTATION);
      expect(d.metadata.generation, 'template and pause, then resume: two writes').to.equal(3);
      await assertWritesInsideTheRestore(['race', 'nosurge', 'crash']);
    },
  );

  it('a pod with restore-wait is never deleted: the Deployment waits for it, then its pending siblings are replaced hooked', async () => {
    await env.stopController();
    await createRestore('r-fsr');
    const hash = '7f9c4d6b5';
    const hashed = { app: 'fsr', 'pod-template-hash': hash };
    // Velero restores the pod with restore-wait and the hooks it injects; its file-system restore takes 6 s.
    const fsr = await velero.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `fsr-${hash}-q7w2x`,
        namespace: 'app',
        labels: restoredLabels('r-fsr', hashed),
        annotations: { 'devcluster.restore-hooks.io/init-seconds.restore-wait': '6' },
      } as KubeBody['metadata'],
      spec: podSpec({
        initContainers: [
          { name: 'restore-wait', image: 'velero/velero-restore-helper:v1.15.0' },
          ...r2HookContainers(),
        ],
      }),
    });
    // Then its ReplicaSet (3 replicas: it creates 2 pods from its template, without hooks) and the Deployment.
    const template = (labels: Record<string, string>) => ({
      metadata: { labels, annotations: { [START_SECONDS]: '25' } },
      spec: podSpec(),
    });
    await velero.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `fsr-${hash}`, namespace: 'app', labels: { ...restoredLabels('r-fsr'), ...hashed } },
      spec: { replicas: 3, selector: { matchLabels: hashed }, template: template(hashed) },
    });
    await velero.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fsr', namespace: 'app', labels: restoredLabels('r-fsr') },
      spec: { replicas: 3, selector: { matchLabels: { app: 'fsr' } }, template: template({ app: 'fsr' }) },
    });
    const siblings = await eventually(
      async () => {
        const live = (await pods('fsr')).filter((p) => p.metadata.uid !== fsr.metadata.uid);
        return live.length === 2 ? live : undefined;
      },
      'the ReplicaSet to create 2 pods without hooks',
      SETTLE_MS,
    );
    await env.startController();

    await settled('fsr', 3);
    const now = await reads.pod('app', fsr.metadata.name ?? '');
    expect(now.metadata.uid, 'the restore-wait pod is the same pod').to.equal(fsr.metadata.uid);
    const deletes = (await controllerWrites()).filter((w) => w.verb === 'delete' && w.resource === 'pods');
    expect(deletes.map((w) => w.name)).to.not.include(fsr.metadata.name);
    expect(
      deletes
        .map((w) => w.name)
        .filter((n) => n.startsWith('fsr-'))
        .sort(),
    ).to.deep.equal(siblings.map((p) => p.metadata.name).sort());
    const decisions = env.logs
      .filter((l) => l.key === 'Deployment/app/fsr' && l.msg === 'workload decision')
      .map((l) => l.decision);
    expect(decisions[0], 'the Deployment first waits for the file-system restore').to.equal(
      'WaitingForFileSystemRestore',
    );
    expect((await replicaSets('fsr')).map((rs) => rs.metadata.name)).to.deep.equal([`fsr-${hash}`]);
    await assertHooksRanOnceBeforeApp('fsr', 3);
    await assertNoDuplicateHooks('fsr');
    await assertWritesInsideTheRestore(['race', 'nosurge', 'crash', 'fsr']);
  });
  /**
   * Issue 15's measurement (test/helpers/burst.ts): Velero restores Deployments (no ReplicaSets or pods in the
   * backup) while the controller runs and serves its webhooks, as fast as it creates objects; each pod's template
   * asks for the annotation init hook. Whatever the Deployment controller does first, no pod may start its
   * application container before the hook has run. 20 × 3 here; `npm run burst` measures other sizes and the
   * reconcilers-only path (docs/performance.md).
   */
  const BURST_DEPLOYMENTS = 20;
  const BURST_REPLICAS = 3;
  let webhook: Settings['webhook'] | undefined;
  for (const startDelayMs of [1000, 200]) {
    it(`Velero restores ${BURST_DEPLOYMENTS} Deployments × ${BURST_REPLICAS} replicas while the controller runs, kubelet start delay ${startDelayMs} ms: no app container starts before its pod's hooks`, async () => {
      if (!webhook) {
        // The previous cases run the reconciler alone; from here on the controller also serves its webhooks.
        await env.stopController();
        webhook = await startBurstController(env, 'admission', SETTLE_MS);
      }
      const result = await runBurst(env, {
        deployments: BURST_DEPLOYMENTS,
        replicas: BURST_REPLICAS,
        startDelayMs,
        prefix: `burst${startDelayMs}`,
        settleTimeoutMs: SETTLE_MS,
      });
      console.log(`      burst ${burstSummary(result)}`);
      expect(
        result.unhooked,
        `pods that started their app container without the hook (${burstSummary(result)})`,
      ).to.deep.equal([]);
      expect(result.started, 'pods that started').to.equal(BURST_DEPLOYMENTS * BURST_REPLICAS);
      for (const name of result.names) {
        await settled(name, BURST_REPLICAS, [BURST_HOOK]);
        await assertHooksRanOnceBeforeApp(name, BURST_REPLICAS, [BURST_HOOK]);
        await assertNoDuplicateHooks(name);
      }
      const where = (w: { verb: string; resource: string; name: string }) =>
        `${w.verb} ${w.resource} ${w.name}`;
      expect(result.templateWrites.map(where), 'template writes by the controller').to.deep.equal([]);
      expect(result.podDeletions.map(where), 'pod deletions by the controller').to.deep.equal([]);
      expect(result.replicaSets, 'one ReplicaSet per Deployment').to.equal(BURST_DEPLOYMENTS);
      await assertWritesInsideTheRestore(['race', 'nosurge', 'crash', 'fsr', ...result.names]);
    });
  }
});
