import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ManualClock } from '../../../src/devcluster/sim/clock.ts';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

const P = 'devcluster.restore-hooks.io/';

function statefulSet(
  name: string,
  replicas: number,
  extra: Partial<NonNullable<V1StatefulSet['spec']>> = {},
  annotations: Record<string, string> = {},
): V1StatefulSet {
  return {
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations },
        spec: { containers: [{ name: 'app', image: 'postgres:17' }] },
      },
      ...extra,
    },
  };
}

async function setup(t: TestCluster) {
  const core = t.kc.makeApiClient(CoreV1Api);
  const apps = t.kc.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: 's' } } });
  const pods = async (app: string) =>
    (await core.listNamespacedPod({ namespace: 's', labelSelector: `app=${app}` })).items.sort((a, b) =>
      a.metadata!.name!.localeCompare(b.metadata!.name!),
    );
  const setImage = (name: string, image: string, annotations?: Record<string, string>) =>
    apps.patchNamespacedStatefulSet({
      namespace: 's',
      name,
      body: [
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: image },
        ...(annotations
          ? [{ op: 'replace', path: '/spec/template/metadata/annotations', value: annotations }]
          : []),
      ],
    });
  return { core, apps, pods, setImage };
}

describe('devcluster simulation: StatefulSets with a manual clock', function () {
  let t: TestCluster;
  const clock = new ManualClock(Date.parse('2026-11-24T10:00:00Z'));
  let s: Awaited<ReturnType<typeof setup>>;

  before(async () => {
    t = await startTestCluster({ simulation: { clock } });
    s = await setup(t);
  });
  after(async () => t.stop());

  it('OrderedReady creates ordinal pods one at a time, each after the previous is Ready', async () => {
    await s.apps.createNamespacedStatefulSet({
      namespace: 's',
      body: statefulSet('db', 3, {}, { [`${P}ready-after-seconds`]: '10' }),
    });
    for (let i = 0; i < 3; i++) {
      const running = await waitFor(`db-${i} running`, async () => {
        const pods = await s.pods('db');
        const last = pods.at(-1);
        return pods.length === i + 1 && last?.status?.phase === 'Running' && pods;
      });
      expect(running.map((p) => p.metadata?.name)).to.deep.equal(
        Array.from({ length: i + 1 }, (_, k) => `db-${k}`),
      );
      const status = await waitFor('status written', async () => {
        const sts = await s.apps.readNamespacedStatefulSet({ namespace: 's', name: 'db' });
        return sts.status?.replicas === i + 1 && sts.status;
      });
      expect(status.readyReplicas ?? 0).to.equal(i);
      clock.advance(10_000);
    }
    const pod = (await s.pods('db'))[2]!;
    expect(pod.metadata?.labels).to.include({
      'statefulset.kubernetes.io/pod-name': 'db-2',
      'apps.kubernetes.io/pod-index': '2',
    });
    expect(pod.metadata?.labels?.['controller-revision-hash']).to.match(/^db-[a-z0-9]+$/);
    expect(pod.spec).to.deep.include({ hostname: 'db-2', subdomain: 'db' });
    const revisions = await s.apps.listNamespacedControllerRevision({ namespace: 's' });
    expect(revisions.items.map((r) => [r.metadata?.name, r.revision])).to.deep.equal([
      [pod.metadata?.labels?.['controller-revision-hash'], 1],
    ]);
  });

  it('Parallel creates every pod at once, Ready or not', async () => {
    await s.apps.createNamespacedStatefulSet({
      namespace: 's',
      body: statefulSet('par', 3, { podManagementPolicy: 'Parallel' }, { [`${P}never-ready`]: 'true' }),
    });
    const pods = await waitFor('3 pods', async () => {
      const list = await s.pods('par');
      return list.length === 3 && list;
    });
    expect(pods.map((p) => p.metadata?.name)).to.deep.equal(['par-0', 'par-1', 'par-2']);
  });

  it('creates PVCs from volumeClaimTemplates and mounts them by template name', async () => {
    await s.apps.createNamespacedStatefulSet({
      namespace: 's',
      body: statefulSet('vol', 1, {
        volumeClaimTemplates: [
          {
            metadata: { name: 'pvc1-vm' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      }),
    });
    const pod = await waitFor('vol-0', async () => (await s.pods('vol'))[0]);
    expect(pod.spec?.volumes?.find((v) => v.name === 'pvc1-vm')).to.deep.equal({
      name: 'pvc1-vm',
      persistentVolumeClaim: { claimName: 'pvc1-vm-vol-0' },
    });
    await s.core.readNamespacedPersistentVolumeClaim({ namespace: 's', name: 'pvc1-vm-vol-0' });
  });
});

describe('devcluster simulation: StatefulSet updates (kubectl rollout status)', function () {
  let t: TestCluster;
  let s: Awaited<ReturnType<typeof setup>>;

  before(async () => {
    t = await startTestCluster();
    s = await setup(t);
  });
  after(async () => t.stop());

  const images = async (app: string) => (await s.pods(app)).map((p) => p.spec?.containers[0]?.image);
  const settled = (name: string, generation: number) =>
    waitFor(`${name} observed generation ${generation}`, async () => {
      const sts = await s.apps.readNamespacedStatefulSet({ namespace: 's', name });
      return sts.status?.observedGeneration === generation && sts;
    });

  it('rolls out from the highest ordinal down to the partition', async () => {
    await s.apps.createNamespacedStatefulSet({
      namespace: 's',
      body: statefulSet('part', 3, {
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
      }),
    });
    await t.kubectl(['rollout', 'status', '-n', 's', 'statefulset/part', '--timeout=20s']);
    await s.setImage('part', 'postgres:18');
    const r = await t.kubectl(['rollout', 'status', '-n', 's', 'statefulset/part', '--timeout=20s']);
    expect(r.stdout).to.contain('partitioned roll out complete: 2 new pods have been updated...');
    expect(await images('part')).to.deep.equal(['postgres:17', 'postgres:18', 'postgres:18']);
    const sts = await s.apps.readNamespacedStatefulSet({ namespace: 's', name: 'part' });
    expect(sts.status).to.deep.include({ updatedReplicas: 2, currentReplicas: 1, readyReplicas: 3 });
    expect(sts.status?.currentRevision).to.not.equal(sts.status?.updateRevision);
  });

  it('completes a full RollingUpdate and makes the update revision current', async () => {
    await s.apps.createNamespacedStatefulSet({ namespace: 's', body: statefulSet('full', 2) });
    await t.kubectl(['rollout', 'status', '-n', 's', 'statefulset/full', '--timeout=20s']);
    await s.setImage('full', 'postgres:18');
    const r = await t.kubectl(['rollout', 'status', '-n', 's', 'statefulset/full', '--timeout=20s']);
    // partition defaults to 0, so kubectl reports a partitioned roll-out, as against a real cluster.
    expect(r.stdout).to.contain('partitioned roll out complete: 2 new pods have been updated...');
    const sts = await s.apps.readNamespacedStatefulSet({ namespace: 's', name: 'full' });
    expect(sts.status?.currentRevision).to.equal(sts.status?.updateRevision);
    expect(await images('full')).to.deep.equal(['postgres:18', 'postgres:18']);
  });

  it('OnDelete replaces nothing until a pod is deleted, which comes back at the new revision', async () => {
    await s.apps.createNamespacedStatefulSet({
      namespace: 's',
      body: statefulSet('ondel', 2, { updateStrategy: { type: 'OnDelete' } }),
    });
    await t.kubectl(['rollout', 'status', '-n', 's', 'statefulset/ondel', '--timeout=20s']);
    await s.setImage('ondel', 'postgres:18');
    await settled('ondel', 2);
    expect(await images('ondel')).to.deep.equal(['postgres:17', 'postgres:17']);
    await s.core.deleteNamespacedPod({ namespace: 's', name: 'ondel-1' });
    await waitFor(
      'ondel-1 recreated at the new revision',
      async () => (await images('ondel'))[1] === 'postgres:18',
    );
    expect((await images('ondel'))[0]).to.equal('postgres:17');
  });

  it('lets a pending pod of the old revision block an OrderedReady rollout, as Kubernetes does', async () => {
    const broken = { [`${P}image-pull-failure`]: 'true' };
    await s.apps.createNamespacedStatefulSet({ namespace: 's', body: statefulSet('stuck', 2, {}, broken) });
    await waitFor('stuck-0 pulling', async () => {
      const [pod] = await s.pods('stuck');
      return pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff';
    });
    const oldRevision = (await s.pods('stuck'))[0]!.metadata?.labels?.['controller-revision-hash'];
    await s.setImage('stuck', 'postgres:18', {});
    const sts = await settled('stuck', 2);
    expect(sts.status?.updateRevision).to.not.equal(oldRevision);
    let pods = await s.pods('stuck');
    expect(
      pods.map((p) => [p.metadata?.name, p.metadata?.labels?.['controller-revision-hash']]),
    ).to.deep.equal([['stuck-0', oldRevision]]);
    await s.core.deleteNamespacedPod({ namespace: 's', name: 'stuck-0' });
    await t.kubectl(['rollout', 'status', '-n', 's', 'statefulset/stuck', '--timeout=20s']);
    pods = await s.pods('stuck');
    expect(pods.map((p) => p.metadata?.labels?.['controller-revision-hash'])).to.deep.equal([
      sts.status?.updateRevision,
      sts.status?.updateRevision,
    ]);
  });
});
