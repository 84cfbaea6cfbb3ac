/**
 * The init-hook cases of issue 6 beyond the seed scenarios, on both beds (scheduler, kubelet,
 * workload controllers), each restored in Velero's order: pods first, then the owners that adopt them.
 * Cases covered elsewhere: a Job's pod, a workload older than the Restore, a workload outside the hook selector and
 * invalid specs (init-hooks.e2e.test.ts), two replicas with leader election (leader-election.e2e.test.ts).
 */
import { expect } from 'chai';
import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../../src/hooks/applied-record.ts';
import { PAUSED_FOR_HOOKS_ANNOTATION } from '../../../src/controller/marks.ts';
import type { Pod } from '../../../src/kube/types.ts';
import { eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';
import { ClusterReads, initNames, templateInitNames } from '../../helpers/cluster-reads.ts';
import {
  ANNOTATION_HOOK,
  R2_HOOK_NAMES,
  barePod,
  r2HookContainers,
  restoreR2,
  restoredLabels,
} from '../../helpers/restore-fixtures.ts';
import { STAYS_PENDING, restoredTarget } from '../../helpers/restored-targets.ts';
import type { KubeBody, RestoredTarget } from '../../helpers/restored-targets.ts';

const SETTLE_MS = 45_000;

function same<T>(a: readonly T[], b: readonly T[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

describeOnBeds('controller e2e: init-hook cases (client-node over HTTPS)', function (bed) {
  this.timeout(120_000);
  let env: ControllerEnv;
  let reads: ClusterReads;
  /** Velero's identity creates the Restores and everything they bring back. */
  let velero: ClusterReads;

  before(async () => {
    env = await startControllerEnv({ bed: bed.kind, conditionsCrd: true, simulation: {} });
    reads = new ClusterReads(env.client);
    velero = new ClusterReads(env.velero);
    await env.startController();
  });
  after(async () => {
    await env?.stop();
  });

  /** Restore r2's hooks under another name, so that each case has its own Restore status. */
  const createRestore = (name: string, hooks?: unknown) =>
    env.velero.request({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: restoreR2({ name, ...(hooks ? { hooks } : {}) }),
    });
  /** Creates the target's objects in Velero's order; resolves to the restored pods as created. */
  async function restoreTarget(t: RestoredTarget, beforeOwners?: (pods: Pod[]) => Promise<void>) {
    const pods: Pod[] = [];
    for (const body of t.objects.filter((o) => o.kind === 'Pod')) pods.push(await velero.create<Pod>(body));
    await beforeOwners?.(pods);
    for (const body of t.objects.filter((o) => o.kind !== 'Pod')) await velero.create(body);
    return pods;
  }
  const uids = (pods: readonly Pod[]) => pods.map((p) => p.metadata.uid).sort();
  const logged = (msg: string, fields: Record<string, unknown>) =>
    eventually(
      () => env.logs.find((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v)),
      `the controller to log "${msg}" with ${JSON.stringify(fields)}`,
      SETTLE_MS,
    );
  /** Waits for the condition to have this status (and a message containing `says`, when given). */
  const conditionWhen = (restore: string, type: string, status: string, says = '') =>
    eventually(
      async () => {
        const c = await reads.condition(restore, type);
        return c?.status === status && c.message.includes(says) ? c : undefined;
      },
      `${type}=${status} on Restore ${restore}${says ? ` saying "${says}"` : ''}`,
      SETTLE_MS,
    );
  const eventsAbout = async (namespace: string, prefix: string) =>
    (await reads.events(namespace)).filter(
      (e) => e.involvedObject.name === prefix || e.involvedObject.name.startsWith(`${prefix}-`),
    );
  const running = (pod: Pod) => pod.status?.phase === 'Running';
  const replicaSetsOf = async (namespace: string, selector: string) =>
    (
      await env.client.request<{ items: { metadata: { name: string; uid: string } }[] }>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/${namespace}/replicasets?labelSelector=${encodeURIComponent(selector)}`,
      })
    ).items;

  it('restored pods that already carry their hooks, adopted by their restored Deployment: nothing is rolled out', async () => {
    await createRestore('r-hooked');
    const t = restoredTarget('Deployment', 'hooked', {
      restore: 'r-hooked',
      replicas: 2,
      restoredPodInitContainers: r2HookContainers(),
      restoredPodsStart: true,
    });
    const restored = await restoreTarget(t);
    const applied = await conditionWhen('r-hooked', 'InitHooksApplied', 'True', 'for 1 restored workload');
    expect(applied).to.include({ reason: 'HooksInPlace' });

    const deployment = await reads.workload('Deployment', 'app', 'hooked');
    expect(deployment.metadata.generation, 'the Deployment was never written').to.equal(1);
    expect(templateInitNames(deployment)).to.deep.equal([]);
    const replicaSets = await replicaSetsOf('app', t.podSelector);
    expect(replicaSets.map((rs) => rs.metadata.name)).to.deep.equal(['hooked-5d4f8b7c9']);
    const pods = await reads.livePods('app', t.podSelector);
    expect(uids(pods), 'no pod was deleted').to.deep.equal(uids(restored));
    for (const pod of pods) expect(initNames(pod.spec.initContainers)).to.deep.equal(R2_HOOK_NAMES);
    const ours = (await eventsAbout('app', 'hooked')).filter((e) =>
      ['HookInjected', 'PodReplaced', 'HookSkipped'].includes(e.reason),
    );
    expect(ours).to.deep.equal([]);
  });

  it('a Velero-hooked pod evicted during the restore comes back without hooks: the template and its ReplicaSet get the hooks, nothing is rolled out', async () => {
    await createRestore('r-evicted');
    const t = restoredTarget('Deployment', 'evicted', {
      restore: 'r-evicted',
      replicas: 2,
      restoredPodInitContainers: r2HookContainers(),
      restoredPodsStart: true,
    });
    const restored = await restoreTarget(t);
    await conditionWhen('r-evicted', 'InitHooksApplied', 'True', 'for 1 restored workload');
    await eventually(
      async () => ((await reads.livePods('app', t.podSelector)).every(running) ? true : undefined),
      'the restored pods to run',
      SETTLE_MS,
    );
    expect((await reads.workload('Deployment', 'app', 'evicted')).metadata.generation).to.equal(1);

    // The eviction: the ReplicaSet recreates the pod from its template, which lacks the hooks; it stays Pending.
    const [evicted, survivor] = restored;
    await env.client.request({
      method: 'DELETE',
      path: `/api/v1/namespaces/app/pods/${evicted!.metadata.name}`,
    });

    const patched = await eventually(
      async () => {
        const d = await reads.workload('Deployment', 'app', 'evicted');
        const resumed = d.spec.paused !== true && !d.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION];
        return templateInitNames(d).length > 0 && resumed ? d : undefined;
      },
      'the template patch, and the Deployment resumed',
      SETTLE_MS,
    );
    expect(templateInitNames(patched)).to.deep.equal(R2_HOOK_NAMES);
    expect(
      parseAppliedInitHooks(patched.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION])
        ?.restore,
    ).to.equal('velero/r-evicted');
    // The ReplicaSet has the same template, so it stays the Deployment's only one; it recreates the pending pod.
    const replicaSet = await reads.workload('ReplicaSet', 'app', 'evicted-5d4f8b7c9');
    expect(templateInitNames(replicaSet)).to.deep.equal(R2_HOOK_NAMES);
    const pods = await eventually(
      async () => {
        const live = await reads.livePods('app', t.podSelector);
        const settled =
          live.length === 2 && live.every((p) => same(initNames(p.spec.initContainers), R2_HOOK_NAMES));
        return settled ? live : undefined;
      },
      'every pod of the Deployment to have the hooks',
      SETTLE_MS,
    );
    expect((await replicaSetsOf('app', t.podSelector)).map((rs) => rs.metadata.name)).to.deep.equal([
      'evicted-5d4f8b7c9',
    ]);
    expect(pods.every((p) => p.metadata.labels?.['pod-template-hash'] === '5d4f8b7c9')).to.equal(true);
    expect(
      pods.map((p) => p.metadata.uid),
      'the running pod was not rolled',
    ).to.include(survivor!.metadata.uid);
    const injected = await eventually(
      () => reads.eventAbout('app', 'HookInjected', 'evicted', 'Deployment'),
      'a HookInjected Event about the Deployment',
    );
    expect(injected.related).to.include({ kind: 'Restore', name: 'r-evicted' });
    expect(injected.message).to.contain('paused the Deployment');
    const onReplicaSet = await eventually(
      () => reads.eventAbout('app', 'HookInjected', 'evicted-5d4f8b7c9', 'ReplicaSet'),
      'a HookInjected Event about the ReplicaSet',
    );
    expect(onReplicaSet.message).to.contain('recreates');
    const replaced = (await eventsAbout('app', 'evicted')).filter((e) => e.reason === 'PodReplaced');
    expect(replaced.map((e) => e.involvedObject.kind)).to.deep.equal(['Pod']);
    expect(replaced[0]!.message).to.contain('ReplicaSet evicted-5d4f8b7c9');
    expect((await eventsAbout('app', 'evicted')).filter((e) => e.reason === 'HookSkipped')).to.deep.equal([]);
    await conditionWhen('r-evicted', 'InitHooksApplied', 'True', 'for 1 restored workload');
  });

  it('a pod annotated with an init hook its owner’s template lacks: the template is not changed, the pod is reported', async () => {
    await createRestore('r-podonly', {});
    // A StatefulSet's restored pod waits for its owner (a ReplicaSet's would look like a bare pod until adopted).
    const t = restoredTarget('StatefulSet (OnDelete)', 'podonly', { restore: 'r-podonly' });
    // Only the restored pod carries the hook annotation; the StatefulSet's template has none.
    const pod = t.objects[0]!;
    (pod.metadata as { annotations?: Record<string, string> }).annotations = {
      ...STAYS_PENDING,
      ...ANNOTATION_HOOK,
    };
    const [restored] = await restoreTarget(t);
    const skipped = await eventually(
      () => reads.eventAbout('app', 'HookSkipped', restored!.metadata.name ?? '', 'Pod'),
      'a HookSkipped Event about the pod',
      SETTLE_MS,
    );
    expect(skipped.type).to.equal('Warning');
    expect(skipped.message).to.contain('not on the pod template of StatefulSet podonly');
    expect(skipped.related).to.include({ kind: 'StatefulSet', name: 'podonly' });
    const condition = await conditionWhen('r-podonly', 'InitHooksApplied', 'False', '1 pod(s)');
    expect(condition).to.include({ reason: 'PodsSkipped' });
    expect(await env.scrapeMetrics()).to.match(
      /^restore_hooks_hooks_skipped_total\{restore="r-podonly",namespace="app",kind="StatefulSet",reason="not-in-template"\} 1$/m,
    );
    await logged('workload decision', { key: 'StatefulSet/app/podonly', decision: 'NoHooks' });

    const sts = await reads.workload('StatefulSet', 'app', 'podonly');
    expect(sts.metadata.generation).to.equal(1);
    expect(templateInitNames(sts)).to.deep.equal([]);
    expect(sts.spec.template.metadata?.annotations ?? {}).to.not.have.property(
      'init.hook.restore.velero.io/container-image',
    );
    const [live] = await reads.livePods('app', t.podSelector);
    expect(live?.metadata.uid).to.equal(restored!.metadata.uid);
    expect((await eventsAbout('app', 'podonly')).filter((e) => e.reason === 'HookInjected')).to.deep.equal(
      [],
    );
  });

  it('a pod with restore-wait is never deleted: its ReplicaSet’s template gets the hooks, the pod is reported', async () => {
    await createRestore('r-fsr');
    const t = restoredTarget('adopted ReplicaSet', 'fsr', {
      restore: 'r-fsr',
      restoredPodInitContainers: [{ name: 'restore-wait', image: 'velero/velero-restore-helper:v1.15.0' }],
    });
    const [restored] = await restoreTarget(t);
    const skipped = await eventually(
      () => reads.eventAbout('app', 'HookSkipped', restored!.metadata.name ?? '', 'Pod'),
      'a HookSkipped Event about the restore-wait pod',
      SETTLE_MS,
    );
    expect(skipped.message).to.contain('restore-wait');
    await eventually(
      async () =>
        same(templateInitNames(await reads.workload('ReplicaSet', 'app', 'fsr')), R2_HOOK_NAMES) || undefined,
      'the ReplicaSet template to get the hooks',
      SETTLE_MS,
    );
    const condition = await conditionWhen('r-fsr', 'InitHooksApplied', 'False', '1 pod(s)');
    expect(condition).to.include({ reason: 'PodsSkipped' });
    const [live] = await reads.livePods('app', t.podSelector);
    expect(live?.metadata.uid).to.equal(restored!.metadata.uid);
    expect(initNames(live?.spec.initContainers)).to.deep.equal(['restore-wait']);
    expect((await eventsAbout('app', 'fsr')).filter((e) => e.reason === 'PodReplaced')).to.deep.equal([]);
  });

  it('a Deployment is not rolled out while its pending pod runs a file-system restore (restore-wait)', async () => {
    await createRestore('r-fsr-web');
    const t = restoredTarget('Deployment', 'fsr-web', {
      restore: 'r-fsr-web',
      restoredPodInitContainers: [{ name: 'restore-wait', image: 'velero/velero-restore-helper:v1.15.0' }],
    });
    const [restored] = await restoreTarget(t);
    await logged('workload decision', {
      key: 'Deployment/app/fsr-web',
      decision: 'WaitingForFileSystemRestore',
    });
    const condition = await conditionWhen('r-fsr-web', 'InitHooksApplied', 'False', '1 workload(s)');
    expect(condition).to.include({ reason: 'InProgress' });
    const deployment = await reads.workload('Deployment', 'app', 'fsr-web');
    expect(deployment.metadata.generation).to.equal(1);
    expect(templateInitNames(deployment)).to.deep.equal([]);
    const [live] = await reads.livePods('app', t.podSelector);
    expect(live?.metadata.uid).to.equal(restored!.metadata.uid);
    expect(
      (await eventsAbout('app', 'fsr-web')).filter((e) => ['HookInjected', 'PodReplaced'].includes(e.reason)),
    ).to.deep.equal([]);
  });

  it('a Deployment waiting for a file-system restore is patched once that pod has started, without deleting it', async () => {
    await createRestore('r-fsr-then');
    const t = restoredTarget('Deployment', 'fsr-then', { restore: 'r-fsr-then', replicas: 2 });
    // The first restored pod runs Velero's restore-wait for a while, then starts; the second stays Pending.
    const [fsr, pending] = t.objects as [KubeBody, KubeBody];
    fsr.metadata = {
      ...fsr.metadata,
      annotations: { 'devcluster.restore-hooks.io/init-seconds.restore-wait': '8' },
    } as KubeBody['metadata'];
    (fsr.spec as { initContainers?: unknown[] }).initContainers = [
      { name: 'restore-wait', image: 'velero/velero-restore-helper:v1.15.0' },
    ];
    const [fsrPod] = await restoreTarget(t);
    await logged('workload decision', {
      key: 'Deployment/app/fsr-then',
      decision: 'WaitingForFileSystemRestore',
    });
    const patched = await eventually(
      async () => {
        const d = await reads.workload('Deployment', 'app', 'fsr-then');
        return templateInitNames(d).length > 0 ? d : undefined;
      },
      'the template patch once the file-system restore is over',
      SETTLE_MS,
    );
    expect(templateInitNames(patched)).to.deep.equal(R2_HOOK_NAMES);
    const injected = await eventually(
      () => reads.eventAbout('app', 'HookInjected', 'fsr-then', 'Deployment'),
      'a HookInjected Event about the Deployment',
    );
    expect(injected.related).to.include({ kind: 'Restore', name: 'r-fsr-then' });
    const decisions = env.logs
      .filter((l) => l.key === 'Deployment/app/fsr-then' && l.msg === 'workload decision')
      .map((l) => l.decision);
    const firstInject = decisions.indexOf('InjectHooks');
    expect(firstInject, 'injected only after waiting').to.be.greaterThan(0);
    expect(new Set(decisions.slice(0, firstInject))).to.deep.equal(new Set(['WaitingForFileSystemRestore']));
    // The pending pod was replaced (through its ReplicaSet); the pod whose file-system restore ran was never deleted.
    await eventually(
      async () => {
        const live = await reads.livePods('app', t.podSelector);
        return live.some((p) => p.metadata.name === pending.metadata.name) ? undefined : true;
      },
      'the pending pod to be replaced',
      SETTLE_MS,
    );
    const fsrNow = await reads.pod('app', fsrPod!.metadata.name ?? '');
    expect(fsrNow.metadata.uid).to.equal(fsrPod!.metadata.uid);
    expect(fsrNow.metadata.deletionTimestamp).to.equal(undefined);
    expect(running(fsrNow)).to.equal(true);
  });

  it('a restored pod that already runs is reported missed and not touched; its Deployment is not rolled', async () => {
    await createRestore('r-running');
    const t = restoredTarget('Deployment', 'started', { restore: 'r-running', restoredPodsStart: true });
    // The restored pod starts before Velero restores its owners.
    const [restored] = await restoreTarget(t, async ([pod]) => {
      await eventually(
        async () => (running(await reads.pod('app', pod!.metadata.name ?? '')) ? true : undefined),
        'the restored pod to run',
        SETTLE_MS,
      );
    });
    const name = restored!.metadata.name ?? '';
    const skipped = await eventually(
      () => reads.eventAbout('app', 'HookSkipped', name, 'Pod'),
      'a HookSkipped Event about the running pod',
      SETTLE_MS,
    );
    expect(skipped.type).to.equal('Warning');
    expect(skipped.message).to.contain('already started');
    const condition = await conditionWhen('r-running', 'InitHooksApplied', 'False', '1 pod(s)');
    expect(condition).to.include({ reason: 'PodsSkipped' });
    const deployment = await reads.workload('Deployment', 'app', 'started');
    expect(deployment.metadata.generation).to.equal(1);
    expect(templateInitNames(deployment)).to.deep.equal([]);
    const pod = await reads.pod('app', name);
    expect(pod.metadata.uid).to.equal(restored!.metadata.uid);
    expect(pod.spec.initContainers ?? []).to.deep.equal([]);
  });

  it('a restored pod in a namespace outside the Restore’s hook selector is not touched', async () => {
    await createRestore('r-scope');
    const outside = await velero.create<Pod>(
      barePod('outside', 'other', {
        labels: restoredLabels('r-scope'),
        annotations: STAYS_PENDING,
      }) as unknown as KubeBody,
    );
    await logged('pod decision', { namespace: 'other', name: 'outside' });
    // A pod of the same Restore inside the selector is replaced meanwhile: the controller is at work.
    const inside = await velero.create<Pod>(
      barePod('inside', 'app', {
        labels: restoredLabels('r-scope'),
        annotations: STAYS_PENDING,
      }) as unknown as KubeBody,
    );
    await eventually(
      () => reads.eventAbout('app', 'PodReplaced', 'inside', 'Pod'),
      'the pod inside the selector to be replaced',
      SETTLE_MS,
    );
    expect((await reads.pod('app', 'inside')).metadata.uid).to.not.equal(inside.metadata.uid);
    const pod = await reads.pod('other', 'outside');
    expect(pod.metadata.uid).to.equal(outside.metadata.uid);
    expect(pod.spec.initContainers ?? []).to.deep.equal([]);
    expect(pod.metadata.annotations ?? {}).to.not.have.property(APPLIED_INIT_HOOKS_ANNOTATION);
    // The controller's Events only: a real scheduler reports every binding (reason Scheduled) too.
    const ours = (await reads.events('other')).filter(
      (e) => e.involvedObject.name === 'outside' && e.source?.component === 'restore-hooks.dev/controller',
    );
    expect(ours).to.deep.equal([]);
    expect(await reads.condition('r-scope', 'HooksValid')).to.include({ status: 'True' });
  });
});

describeOnBeds('controller e2e: a controller restart in the middle of a restore', function (bed) {
  this.timeout(120_000);
  let env: ControllerEnv;
  let reads: ClusterReads;
  /** Velero's identity creates the Restores and everything they bring back. */
  let velero: ClusterReads;

  beforeEach(async () => {
    env = await startControllerEnv({ bed: bed.kind, conditionsCrd: true, simulation: {} });
    reads = new ClusterReads(env.client);
    velero = new ClusterReads(env.velero);
  });
  afterEach(async () => {
    await env?.stop();
  });

  async function restore(t: RestoredTarget): Promise<string[]> {
    const uids: string[] = [];
    for (const body of t.objects) {
      const created = await velero.create(body);
      if (body.kind === 'Pod') uids.push(created.metadata.uid);
    }
    return uids;
  }
  const hookedPods = (t: RestoredTarget, restoredUIDs: readonly string[]) =>
    eventually(
      async () => {
        const live = await reads.livePods(t.namespace, t.podSelector);
        const settled =
          live.length === t.replicas &&
          live.every(
            (p) =>
              !restoredUIDs.includes(p.metadata.uid ?? '') &&
              same(initNames(p.spec.initContainers), R2_HOOK_NAMES),
          );
        return settled ? live : undefined;
      },
      `the ${t.target}'s pods to run the hooks`,
      SETTLE_MS,
    );

  it('a new controller finishes the restore: no duplicate hook, no second write to the workload already hooked', async () => {
    await env.velero.request({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: restoreR2(),
    });
    const first = restoredTarget('Deployment', 'first');
    const firstUIDs = await restore(first);
    await env.startController();
    const patched = await eventually(
      async () => {
        const d = await reads.workload('Deployment', 'app', 'first');
        const resumed = d.spec.paused !== true && !d.metadata.annotations?.[PAUSED_FOR_HOOKS_ANNOTATION];
        return templateInitNames(d).length > 0 && resumed ? d : undefined;
      },
      'the first template patch, and the Deployment resumed',
      SETTLE_MS,
    );
    expect(await env.stopController()).to.equal(0);

    // Velero goes on restoring while no controller runs.
    const second = restoredTarget('StatefulSet (OnDelete)', 'second');
    const third = restoredTarget('bare pod', 'third');
    const secondUIDs = await restore(second);
    const thirdUIDs = await restore(third);
    const logsBefore = env.logs.length;
    await env.startController();

    await hookedPods(second, secondUIDs);
    await hookedPods(third, thirdUIDs);
    await hookedPods(first, firstUIDs);
    const applied = await eventually(
      async () => {
        const c = await reads.condition('r2', 'InitHooksApplied');
        return c?.status === 'True' && c.message.includes('for 2 restored workload') ? c : undefined;
      },
      'InitHooksApplied=True for both workloads',
      SETTLE_MS,
    );
    expect(applied.reason).to.equal('HooksInPlace');

    const after = await reads.workload('Deployment', 'app', 'first');
    expect(after.metadata.generation, 'no spec write after the first patch').to.equal(
      patched.metadata.generation,
    );
    expect(after.spec.template).to.deep.equal(patched.spec.template);
    expect(templateInitNames(after)).to.deep.equal(R2_HOOK_NAMES);
    const secondWorkload = await reads.workload('StatefulSet', 'app', 'second');
    expect(templateInitNames(secondWorkload)).to.deep.equal(R2_HOOK_NAMES);
    expect(secondWorkload.metadata.generation, 'one template patch').to.equal(2);
    const injections = env.logs
      .slice(logsBefore)
      .filter((l) => l.msg === 'injected init hooks into pod template')
      .map((l) => l.name);
    expect(injections, 'the new controller patched only the new workload').to.deep.equal(['second']);

    const events = await reads.events('app');
    const count = (reason: string, name: string) =>
      events
        .filter((e) => e.reason === reason && e.involvedObject.name === name)
        .reduce((n, e) => n + ((e as { count?: number }).count ?? 1), 0);
    expect(count('HookInjected', 'first')).to.equal(1);
    expect(count('HookInjected', 'second')).to.equal(1);
    expect(count('PodReplaced', 'third')).to.equal(1);
    expect(count('PodReplaced', 'second-0')).to.equal(1);
    expect(events.filter((e) => e.reason === 'HookSkipped' || e.reason === 'HookConflict')).to.deep.equal([]);
  });
});
