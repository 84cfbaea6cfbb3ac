import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { V1Deployment, V1DeploymentStrategy } from '@kubernetes/client-node';
import { expect } from 'chai';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

const P = 'devcluster.restore-hooks.io/';

describe('devcluster simulation: Deployments (client-node and kubectl rollout status)', function () {
  let t: TestCluster;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  before(async () => {
    t = await startTestCluster();
    core = t.kc.makeApiClient(CoreV1Api);
    apps = t.kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'd' } } });
  });
  after(async () => t.stop());

  const deployment = (name: string, replicas: number, strategy: V1DeploymentStrategy): V1Deployment => ({
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy,
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
  });
  const podsOf = async (app: string) =>
    (await core.listNamespacedPod({ namespace: 'd', labelSelector: `app=${app}` })).items;
  const setImage = (name: string, image: string, annotations: Record<string, string> = {}) =>
    apps.patchNamespacedDeployment({
      namespace: 'd',
      name,
      body: [
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: image },
        { op: 'add', path: '/spec/template/metadata/annotations', value: annotations },
      ],
    });

  it('creates a ReplicaSet named by pod-template-hash with revision 1, and kubectl rollout status succeeds', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'd',
      body: deployment('web', 3, { type: 'RollingUpdate' }),
    });
    const r = await t.kubectl(['rollout', 'status', '-n', 'd', 'deployment/web', '--timeout=20s']);
    expect(r.stdout).to.contain('deployment "web" successfully rolled out');
    const sets = await apps.listNamespacedReplicaSet({ namespace: 'd', labelSelector: 'app=web' });
    expect(sets.items).to.have.length(1);
    const rs = sets.items[0]!;
    const hash = rs.metadata?.labels?.['pod-template-hash'];
    expect(rs.metadata?.name).to.equal(`web-${hash}`);
    expect(rs.metadata?.annotations?.['deployment.kubernetes.io/revision']).to.equal('1');
    expect(rs.spec?.selector?.matchLabels).to.deep.equal({ app: 'web', 'pod-template-hash': hash });
    const d = await apps.readNamespacedDeployment({ namespace: 'd', name: 'web' });
    expect(d.status).to.deep.include({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).to.equal('1');
    expect((await podsOf('web')).every((p) => p.metadata?.labels?.['pod-template-hash'] === hash)).to.equal(
      true,
    );
  });

  it('rolls out a new template honouring maxSurge and maxUnavailable, bumping the revision', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'd',
      body: deployment('roll', 4, {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      }),
    });
    await waitFor(
      'roll ready',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: 'd', name: 'roll' })).status?.availableReplicas ===
        4,
    );
    let maxPods = 0;
    let minReady = Infinity;
    const watcher = setInterval(() => {
      void podsOf('roll').then((pods) => {
        const active = pods.filter((p) => !p.metadata?.deletionTimestamp);
        maxPods = Math.max(maxPods, active.length);
        minReady = Math.min(
          minReady,
          active.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
            .length,
        );
      });
    }, 5);
    try {
      await setImage('roll', 'nginx:1.28', { [`${P}ready-after-seconds`]: '0.2' });
      const r = await t.kubectl(['rollout', 'status', '-n', 'd', 'deployment/roll', '--timeout=30s']);
      expect(r.stdout).to.contain('successfully rolled out');
    } finally {
      clearInterval(watcher);
    }
    expect(maxPods).to.be.at.most(5);
    expect(minReady).to.be.at.least(4);
    const d = await apps.readNamespacedDeployment({ namespace: 'd', name: 'roll' });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).to.equal('2');
    expect(d.status).to.deep.include({ observedGeneration: 2, updatedReplicas: 4, replicas: 4 });
    const images = (await podsOf('roll')).map((p) => p.spec?.containers[0]?.image);
    expect(images).to.deep.equal(['nginx:1.28', 'nginx:1.28', 'nginx:1.28', 'nginx:1.28']);
    const sets = await apps.listNamespacedReplicaSet({ namespace: 'd', labelSelector: 'app=roll' });
    expect(sets.items.map((rs) => rs.spec?.replicas).sort()).to.deep.equal([0, 4]);
  });

  it('Recreate stops every old pod before starting new ones', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'd',
      body: deployment('rec', 2, { type: 'Recreate' }),
    });
    await waitFor(
      'rec ready',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: 'd', name: 'rec' })).status?.availableReplicas ===
        2,
    );
    let mixed = false;
    const watcher = setInterval(() => {
      void podsOf('rec').then((pods) => {
        const images = new Set(pods.map((p) => p.spec?.containers[0]?.image));
        if (images.size > 1) mixed = true;
      });
    }, 5);
    try {
      await setImage('rec', 'nginx:1.28');
      await t.kubectl(['rollout', 'status', '-n', 'd', 'deployment/rec', '--timeout=30s']);
    } finally {
      clearInterval(watcher);
    }
    expect(mixed).to.equal(false);
    expect((await podsOf('rec')).map((p) => p.spec?.containers[0]?.image)).to.deep.equal([
      'nginx:1.28',
      'nginx:1.28',
    ]);
  });

  it('adopts an orphan ReplicaSet whose template matches (as after a Velero restore) instead of creating one', async () => {
    const template = {
      metadata: { labels: { app: 'restored', 'pod-template-hash': 'abc12' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    };
    await apps.createNamespacedReplicaSet({
      namespace: 'd',
      body: {
        metadata: {
          name: 'restored-abc12',
          labels: { app: 'restored', 'pod-template-hash': 'abc12' },
          annotations: { 'deployment.kubernetes.io/revision': '3' },
        },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'restored', 'pod-template-hash': 'abc12' } },
          template,
        },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: 'd',
      body: deployment('restored', 2, { type: 'RollingUpdate' }),
    });
    await t.kubectl(['rollout', 'status', '-n', 'd', 'deployment/restored', '--timeout=20s']);
    const sets = await apps.listNamespacedReplicaSet({ namespace: 'd', labelSelector: 'app=restored' });
    expect(sets.items.map((rs) => rs.metadata?.name)).to.deep.equal(['restored-abc12']);
    expect(sets.items[0]!.metadata?.ownerReferences?.[0]).to.deep.include({
      kind: 'Deployment',
      name: 'restored',
      controller: true,
    });
    const d = await apps.readNamespacedDeployment({ namespace: 'd', name: 'restored' });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).to.equal('3');
  });

  describe('the new ReplicaSet is the oldest whose template equals the Deployment’s (FindNewReplicaSet)', () => {
    const setsOf = async (app: string) =>
      (await apps.listNamespacedReplicaSet({ namespace: 'd', labelSelector: `app=${app}` })).items;
    const annotateTemplate = (kind: 'deployments' | 'replicasets', name: string, extra: object) =>
      t.kubectl([
        'patch',
        '-n',
        'd',
        kind,
        name,
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { template: { metadata: { annotations: { step: 'two' } } }, ...extra } }),
      ]);
    const observed = (name: string) =>
      waitFor(`Deployment ${name} observed`, async () => {
        const d = await apps.readNamespacedDeployment({ namespace: 'd', name });
        return d.status?.observedGeneration === d.metadata?.generation ? d : undefined;
      });
    /** Creation timestamps have whole seconds: wait until a ReplicaSet created now is strictly younger. */
    const nextSecondAfter = (timestamp: Date | undefined) =>
      waitFor('the next second', () => Date.now() >= (timestamp?.getTime() ?? 0) + 1000 || undefined, 3000);

    it('a paused Deployment creates no ReplicaSet; its current one, given the same template, stays current: no rollout', async () => {
      await apps.createNamespacedDeployment({ namespace: 'd', body: deployment('join', 2, {}) });
      await t.kubectl(['rollout', 'status', '-n', 'd', 'deployment/join', '--timeout=20s']);
      const [current] = await setsOf('join');
      const podUIDs = (await podsOf('join')).map((p) => p.metadata?.uid).sort();
      await annotateTemplate('deployments', 'join', { paused: true });
      await observed('join');
      expect((await setsOf('join')).map((rs) => rs.metadata?.name)).to.deep.equal([current!.metadata?.name]);
      await annotateTemplate('replicasets', current!.metadata!.name!, {});
      await t.kubectl([
        'patch',
        '-n',
        'd',
        'deployment',
        'join',
        '--type=merge',
        '-p',
        '{"spec":{"paused":false}}',
      ]);
      const d = await observed('join');
      expect(d.status?.updatedReplicas).to.equal(2);
      expect((await setsOf('join')).map((rs) => rs.metadata?.name)).to.deep.equal([current!.metadata?.name]);
      expect((await podsOf('join')).map((p) => p.metadata?.uid).sort()).to.deep.equal(podUIDs);
    });

    it('an older ReplicaSet given the new template becomes the new one again; the younger is scaled down', async () => {
      await apps.createNamespacedDeployment({
        namespace: 'd',
        body: deployment('flip', 2, {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        }),
      });
      await t.kubectl(['rollout', 'status', '-n', 'd', 'deployment/flip', '--timeout=20s']);
      const [older] = await setsOf('flip');
      await nextSecondAfter(older!.metadata?.creationTimestamp);
      await annotateTemplate('deployments', 'flip', {});
      await waitFor('a second ReplicaSet', async () =>
        (await setsOf('flip')).length === 2 ? true : undefined,
      );
      await annotateTemplate('replicasets', older!.metadata!.name!, {});
      await t.kubectl(['rollout', 'status', '-n', 'd', 'deployment/flip', '--timeout=20s']);
      const sets = await waitFor('the younger ReplicaSet scaled to 0', async () => {
        const all = await setsOf('flip');
        return all.find((rs) => rs.metadata?.name !== older!.metadata?.name)?.spec?.replicas === 0
          ? all
          : undefined;
      });
      const again = sets.find((rs) => rs.metadata?.name === older!.metadata?.name)!;
      expect(again.spec?.replicas).to.equal(2);
      expect(again.metadata?.annotations?.['deployment.kubernetes.io/revision']).to.equal('3');
      const d = await apps.readNamespacedDeployment({ namespace: 'd', name: 'flip' });
      expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).to.equal('3');
    });

    it('a name taken by a ReplicaSet with another template bumps status.collisionCount and hashes again', async () => {
      await apps.createNamespacedDeployment({ namespace: 'd', body: deployment('coll', 1, {}) });
      await t.kubectl(['rollout', 'status', '-n', 'd', 'deployment/coll', '--timeout=20s']);
      const [first] = await setsOf('coll');
      // Another client changes the ReplicaSet's template: the Deployment's template now has no ReplicaSet.
      await annotateTemplate('replicasets', first!.metadata!.name!, {});
      const second = await waitFor('a ReplicaSet under another name', async () =>
        (await setsOf('coll')).find((rs) => rs.metadata?.name !== first!.metadata?.name),
      );
      const d = await apps.readNamespacedDeployment({ namespace: 'd', name: 'coll' });
      expect(d.status?.collisionCount).to.equal(1);
      expect(second.spec?.template?.metadata?.annotations ?? {}).to.not.have.property('step');
      expect(second.metadata?.name).to.equal(`coll-${second.metadata?.labels?.['pod-template-hash']}`);
    });
  });
});
