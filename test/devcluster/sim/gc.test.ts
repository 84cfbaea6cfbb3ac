import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

describe('devcluster simulation: garbage collection through ownerReferences', function () {
  let t: TestCluster;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  before(async () => {
    t = await startTestCluster();
    core = t.kc.makeApiClient(CoreV1Api);
    apps = t.kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'gc' } } });
  });
  after(async () => t.stop());

  const podNames = async (app: string) =>
    (await core.listNamespacedPod({ namespace: 'gc', labelSelector: `app=${app}` })).items.map(
      (p) => p.metadata!,
    );
  async function replicaSet(name: string, replicas = 2) {
    await apps.createNamespacedReplicaSet({
      namespace: 'gc',
      body: {
        metadata: { name },
        spec: {
          replicas,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
          },
        },
      },
    });
    await waitFor(`${name} pods`, async () => (await podNames(name)).length === replicas);
  }

  it('deletes a Deployment with kubectl and collects its ReplicaSet and pods (Background)', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'gc',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
          },
        },
      },
    });
    await waitFor('web pods', async () => (await podNames('web')).length === 2);
    const r = await t.kubectl(['delete', 'deployment', 'web', '-n', 'gc']);
    expect(r.stdout).to.contain('deployment.apps "web" deleted');
    await waitFor('pods collected', async () => (await podNames('web')).length === 0);
    expect(
      (await apps.listNamespacedReplicaSet({ namespace: 'gc', labelSelector: 'app=web' })).items,
    ).to.have.length(0);
  });

  it('orphans the pods of a ReplicaSet deleted with --cascade=orphan', async () => {
    await replicaSet('orph');
    await t.kubectl(['delete', 'replicaset', 'orph', '-n', 'gc', '--cascade=orphan']);
    await waitFor('ReplicaSet gone', async () =>
      apps.readNamespacedReplicaSet({ namespace: 'gc', name: 'orph' }).then(
        () => false,
        () => true,
      ),
    );
    const pods = await podNames('orph');
    expect(pods).to.have.length(2);
    expect(pods.every((p) => (p.ownerReferences ?? []).length === 0)).to.equal(true);
  });

  it('keeps a ReplicaSet deleted with --cascade=foreground until its pods are gone', async () => {
    await replicaSet('fg');
    await apps.deleteNamespacedReplicaSet({ namespace: 'gc', name: 'fg', propagationPolicy: 'Foreground' });
    await waitFor('fg and its pods gone', async () => {
      const rs = await apps.readNamespacedReplicaSet({ namespace: 'gc', name: 'fg' }).catch(() => undefined);
      const pods = await podNames('fg');
      if (rs) expect(rs.metadata?.finalizers ?? []).to.include('foregroundDeletion');
      return !rs && pods.length === 0;
    });
  });

  it('deletes a dependent whose owner no longer exists', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'gc',
      body: {
        metadata: {
          name: 'dangling',
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'never-existed',
              uid: '00000000-0000-0000-0000-000000000000',
            },
          ],
        },
      },
    });
    await waitFor('dangling collected', async () =>
      core.readNamespacedConfigMap({ namespace: 'gc', name: 'dangling' }).then(
        () => false,
        () => true,
      ),
    );
  });
});
