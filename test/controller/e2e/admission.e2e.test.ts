/**
 * Issue 16 on both beds (the devcluster, whose API server calls mutating webhooks and whose Velero and workload
 * controllers act as their ServiceAccounts; and the real control plane, kube-apiserver 1.20 calling them): the
 * controller serves its webhooks (url mode, self-managed CA written into the caBundle) under the manifest RBAC.
 * Restored workloads are marked as Velero creates them and their pods get the hooks as their controllers create
 * them: from the kubelet's run log no pod starts an application container before its hooks; from the write audit the
 * controller writes no workload and deletes no pod; nothing is rolled (generations, ReplicaSets and
 * ControllerRevisions as the restore left them). With the webhook down (failurePolicy Ignore), the reconciler's
 * template path still hooks the workload and says admission was bypassed; a marked pod created by anyone but a
 * workload controller is admitted without hooks, and loses the mark.
 */
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { CONTROLLER_USER } from '../../helpers/bed.ts';
import { expect } from 'chai';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import type { Settings } from '../../../src/config/settings.ts';
import type { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { ADMISSION_BYPASSED_ANNOTATION, RESTORE_LABEL } from '../../../src/controller/marks.ts';
import type { ContainerRun } from '../../../src/devcluster/kubelet/run-log.ts';
import { APPLIED_INIT_HOOKS_ANNOTATION } from '../../../src/hooks/applied-record.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { ClusterReads, initNames, templateInitNames } from '../../helpers/cluster-reads.ts';
import {
  FAST_LEADER_ELECTION,
  eventually,
  runReplica,
  startControllerEnv,
} from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { R2_HOOK_NAMES, podSpec, restoreR2, restoredLabels } from '../../helpers/restore-fixtures.ts';
import type { KubeBody } from '../../helpers/restored-targets.ts';
import { installUrlWebhooks, startServingWebhooks } from '../../helpers/webhook-serving.ts';

const SETTLE_MS = 120_000;
const START_SECONDS = 'devcluster.restore-hooks.io/start-seconds';

describeOnBeds('controller e2e: hooks at admission (webhooks in url mode, manifest RBAC)', function (bed) {
  this.timeout(600_000);
  let env: ControllerEnv;
  let reads: ClusterReads;
  let velero: KubeJsonClient;
  let webhook: Settings['webhook'];

  before(async () => {
    env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true, simulation: {} });
    reads = new ClusterReads(env.client);
    // Velero's server: ServiceAccount velero/velero, bound to cluster-admin as its chart installs it (the bed).
    velero = env.velero;
    // Out of cluster the API server reaches the webhooks at a url; an administrator installs the configuration
    // (as the manifests do), and the controller keeps its caBundle.
    webhook = await installUrlWebhooks(env);
    await startServing();
  });
  after(async () => {
    await env?.stop();
  });

  const startServing = () => startServingWebhooks(env, webhook, SETTLE_MS);

  const createRestore = (name: string) =>
    velero.request({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: restoreR2({ name }),
    });
  const asVelero = (body: KubeBody) =>
    velero.request<Workload>({
      method: 'POST',
      path: `/apis/apps/v1/namespaces/${body.metadata.namespace}/${body.kind.toLowerCase()}s`,
      body,
    });
  const workloadBody = (
    kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet',
    name: string,
    restore: string,
    options: { replicas?: number; podLabels?: Record<string, string>; startSeconds?: string } = {},
  ): KubeBody => {
    const podLabels = options.podLabels ?? { app: name };
    return {
      apiVersion: 'apps/v1',
      kind,
      metadata: {
        name,
        namespace: 'app',
        labels: { ...restoredLabels(restore), ...(kind === 'ReplicaSet' ? podLabels : {}) },
      },
      spec: {
        ...(kind === 'DaemonSet' ? {} : { replicas: options.replicas ?? 1 }),
        ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
        selector: { matchLabels: podLabels },
        template: {
          metadata: {
            labels: podLabels,
            ...(options.startSeconds ? { annotations: { [START_SECONDS]: options.startSeconds } } : {}),
          },
          spec: podSpec(),
        },
      },
    } as KubeBody;
  };
  const runs = () => env.bed.runs({ namespace: 'app' });
  const controllerWrites = () => env.bed.writes({ user: CONTROLLER_USER });
  const replicaSetsOf = async (app: string) =>
    (
      await env.client.request<{ items: Workload[] }>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/app/replicasets?labelSelector=${encodeURIComponent(`app=${app}`)}`,
      })
    ).items;
  const hooked = (p: Pod) =>
    JSON.stringify(initNames(p.spec.initContainers)) === JSON.stringify(R2_HOOK_NAMES);

  /** Waits until the pods with `app=<name>` number `count`, all Running, all created with the hooks. */
  const running = (name: string, count: number) =>
    eventually(
      async () => {
        const live = await reads.livePods('app', `app=${name}`);
        return live.length === count && live.every((p) => p.status?.phase === 'Running' && hooked(p))
          ? live
          : undefined;
      },
      `${count} running hooked pods of ${name}`,
      SETTLE_MS,
    ).catch(async (e: Error) => {
      const live = await reads.livePods('app', `app=${name}`);
      const seen = live.map(
        (p) => `${p.metadata.name} ${p.status?.phase} [${initNames(p.spec.initContainers).join(',')}]`,
      );
      throw new Error(`${e.message}; pods now: ${seen.join('; ') || 'none'}`);
    });

  /** Delays every read of the webhook configuration by 3 s until the rule is removed; returns its id. */
  const slowWebhookConfigurationRead = () =>
    env.cluster.faults.addRule({
      verbs: ['get'],
      resources: ['mutatingwebhookconfigurations.admissionregistration.k8s.io'],
      latencyMs: 3000,
    }).id;

  /** From the kubelet's run log: every pod of these apps that started its app container ran each hook first, once. */
  async function assertHooksBeforeApp(names: readonly string[]): Promise<number> {
    const all = (await runs()).filter((r) => names.some((n) => r.pod.startsWith(`${n}-`)));
    const byPod = new Map<string, ContainerRun[]>();
    for (const r of all) byPod.set(r.uid, [...(byPod.get(r.uid) ?? []), r]);
    let started = 0;
    const withoutHooks: string[] = [];
    for (const podRuns of byPod.values()) {
      const app = podRuns.filter((r) => !r.init).sort((a, b) => a.seq - b.seq)[0];
      if (!app) continue;
      started++;
      for (const hook of R2_HOOK_NAMES) {
        const hookRuns = podRuns.filter((r) => r.init && r.container === hook);
        if (hookRuns.length !== 1 || hookRuns[0]!.seq > app.seq || hookRuns[0]!.exitCode !== 0)
          withoutHooks.push(`${app.pod}/${hook}`);
      }
    }
    expect(withoutHooks, 'pods that started an application container without a hook before it').to.deep.equal(
      [],
    );
    return started;
  }

  /** The controller wrote no workload and deleted or created no pod (Events, Restores and its own objects only). */
  async function assertNoWorkloadOrPodWrites(): Promise<void> {
    const writes = (await controllerWrites()).filter((w) =>
      ['deployments.apps', 'replicasets.apps', 'statefulsets.apps', 'daemonsets.apps', 'pods'].includes(
        w.resource,
      ),
    );
    expect(writes.map((w) => `${w.verb} ${w.resource} ${w.namespace}/${w.name}`)).to.deep.equal([]);
  }

  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = await env.scrapeMetrics();
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(selector));
    if (!line) throw new Error(`no sample ${name}{${selector}}`);
    return Number(line.split(' ').at(-1));
  }

  it('Velero restores 20 Deployments × 3 replicas during the restore: every pod is created with its hooks, nothing is written or rolled', async () => {
    await createRestore('r-many');
    const names = Array.from({ length: 20 }, (_, i) => `many${i}`);
    await Promise.all(names.map((n) => asVelero(workloadBody('Deployment', n, 'r-many', { replicas: 3 }))));
    for (const n of names) await running(n, 3);

    expect(await assertHooksBeforeApp(names)).to.equal(60);
    for (const n of names) {
      const d = await reads.workload('Deployment', 'app', n);
      expect(d.spec.template.metadata?.labels?.[RESTORE_LABEL], n).to.equal('r-many');
      expect(templateInitNames(d), `${n}: the template never gets hooks`).to.deep.equal([]);
      expect(d.metadata.generation, `${n}: never written after its creation`).to.equal(1);
      const sets = await replicaSetsOf(n);
      expect(sets, `${n}: one ReplicaSet, nothing rolled out`).to.have.length(1);
    }
    const pods = await reads.livePods('app', `${RESTORE_LABEL}=r-many`);
    expect(pods).to.have.length(60);
    for (const p of pods)
      expect(JSON.parse(p.metadata.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION] ?? '{}')).to.deep.include({
        restore: 'velero/r-many',
      });
    await assertNoWorkloadOrPodWrites();
    expect(await metric('restore_hooks_admission_total', { webhook: 'pods', result: 'patched' })).to.equal(
      60,
    );
    expect(
      await metric('restore_hooks_admission_total', { webhook: 'workloads', result: 'patched' }),
    ).to.be.at.least(20);
    expect(
      await metric('controller_runtime_webhook_requests_total', { webhook: '/mutate-pods', code: '200' }),
    ).to.be.at.least(60);
    const applied = await eventually(
      async () => {
        const c = await reads.condition('r-many', 'InitHooksApplied');
        return c?.status === 'True' ? c : undefined;
      },
      'InitHooksApplied=True on r-many',
      SETTLE_MS,
    );
    expect(applied.reason).to.equal('HooksInPlace');
  });

  /** The ControllerRevisions a StatefulSet or DaemonSet owns: one while nothing has been rolled. */
  const revisionsOf = async (kind: string, name: string) =>
    (
      await env.client.request<{ items: Workload[] }>({
        method: 'GET',
        path: '/apis/apps/v1/namespaces/app/controllerrevisions',
      })
    ).items.filter((r) => (r.metadata.ownerReferences ?? []).some((o) => o.kind === kind && o.name === name));

  for (const startDelayMs of [1000, 200])
    it(`a Deployment restored together with its ReplicaSet, a StatefulSet and a DaemonSet, kubelet start delay ${startDelayMs} ms: all hooked at admission, the ReplicaSet adopted, nothing rolled`, async () => {
      env.bed.setKubeletStartDelay(startDelayMs);
      const restore = `r-mixed-${startDelayMs}`;
      const [both, db, agent] = [`both${startDelayMs}`, `db${startDelayMs}`, `agent${startDelayMs}`];
      await createRestore(restore);
      const hash = '5d8f7c9b4';
      const hashed = { app: both, 'pod-template-hash': hash };
      // As Velero restores them: the ReplicaSet before its Deployment. Both get the mark at admission, so the
      // Deployment controller finds the ReplicaSet's template equal to its own (EqualIgnoreHash) and adopts it.
      await asVelero(
        workloadBody('ReplicaSet', `${both}-${hash}`, restore, { replicas: 2, podLabels: hashed }),
      );
      await asVelero(workloadBody('Deployment', both, restore, { replicas: 2 }));
      await asVelero(workloadBody('StatefulSet', db, restore, { replicas: 2 }));
      await asVelero(workloadBody('DaemonSet', agent, restore));
      await running(both, 2);
      await running(db, 2);
      const nodes = await env.client.request<{ items: unknown[] }>({ method: 'GET', path: '/api/v1/nodes' });
      await running(agent, nodes.items.length);

      const sets = await replicaSetsOf(both);
      expect(
        sets.map((rs) => rs.metadata.name),
        'the restored ReplicaSet is adopted (same mark), no other is created',
      ).to.deep.equal([`${both}-${hash}`]);
      expect(sets[0]!.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).to.deep.equal([
        `Deployment/${both}`,
      ]);
      for (const [kind, name] of [
        ['Deployment', both],
        ['ReplicaSet', `${both}-${hash}`],
        ['StatefulSet', db],
        ['DaemonSet', agent],
      ] as const) {
        const w = await reads.workload(kind, 'app', name);
        expect(w.spec.template.metadata?.labels?.[RESTORE_LABEL], name).to.equal(restore);
        expect(templateInitNames(w), name).to.deep.equal([]);
        expect(w.metadata.generation, `${kind} ${name}: never written after its creation`).to.equal(1);
      }
      expect(await revisionsOf('StatefulSet', db), 'one ControllerRevision: nothing rolled').to.have.length(
        1,
      );
      expect(await revisionsOf('DaemonSet', agent), 'DaemonSet revisions: nothing rolled').to.have.length(1);
      const statefulSet = await reads.workload('StatefulSet', 'app', db);
      const revisions = statefulSet.status as { currentRevision?: string; updateRevision?: string };
      expect(revisions.currentRevision, 'StatefulSet current revision is the update revision').to.equal(
        revisions.updateRevision,
      );
      expect(await assertHooksBeforeApp([both, db, agent])).to.equal(4 + nodes.items.length);
      await assertNoWorkloadOrPodWrites();
    });

  it('a marked pod created by anyone but a workload controller is admitted without hooks and without the mark (bypass)', async () => {
    const before = await metric('restore_hooks_admission_total', { webhook: 'pods', result: 'bypass' });
    const pod = await reads.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'forged', namespace: 'app', labels: { app: 'forged', [RESTORE_LABEL]: 'r-many' } },
      spec: podSpec(),
    });
    expect(pod.spec.initContainers ?? []).to.deep.equal([]);
    expect(pod.metadata.labels?.[RESTORE_LABEL], 'the refused mark is removed').to.equal(undefined);
    expect(await metric('restore_hooks_admission_total', { webhook: 'pods', result: 'bypass' })).to.equal(
      before + 1,
    );
    expect(
      env.logs.some((l) => l.msg?.toString().includes('not trusted') && l.user === env.bed.adminUser),
    ).to.equal(true);
  });

  it('a replica that does not lead serves the webhooks from its own caches', async () => {
    expect(await env.stopController()).to.equal(0);
    const base: Settings = {
      ...DEFAULT_SETTINGS,
      metricsBindAddress: '0',
      healthProbeBindAddress: '0',
      logLevel: 'info',
      leaderElection: FAST_LEADER_ELECTION,
    };
    // The leader serves no webhook here; the follower alone answers the API server.
    const leader = runReplica({ ...base, webhook: { ...webhook, enabled: false } }, env.kubeConfig);
    await eventually(
      async () => leader.logs.some((l) => l.msg === 'controllers started') || undefined,
      'the first replica to lead',
      SETTLE_MS,
    );
    const follower = runReplica({ ...base, webhook }, env.kubeConfig);
    try {
      await eventually(
        async () => follower.logs.some((l) => l.msg === 'webhook server listening') || undefined,
        'the follower to serve the webhooks',
        SETTLE_MS,
      );
      await createRestore('r-follower');
      await asVelero(workloadBody('Deployment', 'follow', 'r-follower', { replicas: 2 }));
      await running('follow', 2);
      expect(
        follower.logs.some((l) => l.msg === 'controllers started'),
        'the follower never led',
      ).to.equal(false);
      expect(
        follower.logs.filter((l) => l.msg === 'admission: patched' && l.webhook === 'pods').length,
      ).to.equal(2);
      await assertHooksBeforeApp(['follow']);
      expect(templateInitNames(await reads.workload('Deployment', 'app', 'follow'))).to.deep.equal([]);
    } finally {
      for (const r of [follower, leader]) {
        r.abort.abort();
        await r.done;
      }
    }
    await startServing();
  });

  it('with the webhook down (failurePolicy Ignore), the reconciler hooks the workload through its template and warns that admission was bypassed', async () => {
    expect(await env.stopController()).to.equal(0);
    await createRestore('r-down');
    await asVelero(workloadBody('Deployment', 'down', 'r-down', { replicas: 2, startSeconds: '15' }));
    const unhooked = await eventually(
      async () => {
        const live = await reads.livePods('app', 'app=down');
        return live.length === 2 ? live : undefined;
      },
      'the Deployment controller to create 2 pods',
      SETTLE_MS,
    );
    for (const p of unhooked)
      expect(p.spec.initContainers ?? [], 'created while no webhook answers').to.deep.equal([]);
    const d = await reads.workload('Deployment', 'app', 'down');
    expect(d.spec.template.metadata?.labels?.[RESTORE_LABEL], 'not marked').to.equal(undefined);

    // A slow API server (the devcluster slows the configuration's read): the leader's reconcilers meet the
    // workload before this replica's first certificate round says the webhooks are configured, unless they wait
    // for that round.
    const slowRead = bed.kind === 'devcluster' ? slowWebhookConfigurationRead() : undefined;
    await startServing();
    if (slowRead) env.cluster.faults.removeRule(slowRead);
    await running('down', 2);
    expect(templateInitNames(await reads.workload('Deployment', 'app', 'down'))).to.deep.equal(R2_HOOK_NAMES);
    const warning = await eventually(
      async () => reads.eventAbout('app', 'AdmissionBypassed', 'down', 'Deployment'),
      'the AdmissionBypassed Event',
      SETTLE_MS,
    );
    expect(warning.type).to.equal('Warning');
    expect(warning.message).to.contain('without the admission mark');
    await assertHooksBeforeApp(['down']);
    expect(
      (await reads.workload('Deployment', 'app', 'down')).metadata.annotations?.[
        ADMISSION_BYPASSED_ANNOTATION
      ],
      'the patch records the bypass',
    ).to.equal('Unmarked/velero/r-down');
  });

  it('a replica killed between the template patch and its AdmissionBypassed Event: the next one reports it', async () => {
    // The state such a kill leaves: the template patched by the fallback (the test above), no Event.
    expect(await env.stopController()).to.equal(0);
    const events = await env.client.request<{
      items: { metadata: { name: string }; reason?: string; involvedObject: { name: string } }[];
    }>({
      method: 'GET',
      path: '/api/v1/namespaces/app/events',
    });
    for (const e of events.items.filter(
      (e) => e.reason === 'AdmissionBypassed' && e.involvedObject.name === 'down',
    ))
      await env.client.request({
        method: 'DELETE',
        path: `/api/v1/namespaces/app/events/${e.metadata.name}`,
      });
    expect(await reads.eventAbout('app', 'AdmissionBypassed', 'down', 'Deployment')).to.equal(undefined);

    await startServing();
    const warning = await eventually(
      async () => reads.eventAbout('app', 'AdmissionBypassed', 'down', 'Deployment'),
      'the AdmissionBypassed Event from the next replica',
      SETTLE_MS,
    );
    expect(warning.message).to.contain('without the admission mark');
  });
});
