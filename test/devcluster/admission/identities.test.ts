/**
 * Who the simulated components are when they write: the Velero server restores as ServiceAccount velero/velero
 * and the workload controllers act as their kube-controller-manager ServiceAccounts, through admission webhooks,
 * and the write audit records them.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { WriteRecord } from '../../../src/devcluster/audit/write-log.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import { rawRequest, tokenOf } from '../../helpers/devcluster.ts';
import { TestWebhook, allow } from './webhook-server.ts';

const CRDS = fileURLToPath(new URL('../sim/crd', import.meta.url));
const BACKUPS = fileURLToPath(new URL('../../../config/samples/backups', import.meta.url));
const R2 = fileURLToPath(new URL('../../../config/samples/demo/restore-r2.yaml', import.meta.url));

const VELERO = {
  username: 'system:serviceaccount:velero:velero',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:velero', 'system:authenticated'],
};

describe('devcluster identities of the simulated components, seen by admission webhooks', function () {
  this.timeout(60_000);
  let t: TestCluster;
  let hook: TestWebhook;

  before(async () => {
    t = await startTestCluster({ crdDirectory: CRDS, simulation: { velero: { fixturesDir: BACKUPS } } });
    hook = await new TestWebhook().start();
    hook.handlers.set('/restored', allow());
    await t.kc.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
      body: {
        metadata: { name: 'restored' },
        webhooks: [
          {
            name: 'restored.test.dev',
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            clientConfig: { url: hook.url('/restored'), caBundle: hook.caBundle },
            rules: [
              { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
              { operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['*'] },
            ],
            objectSelector: { matchExpressions: [{ key: 'velero.io/restore-name', operator: 'Exists' }] },
          },
        ],
      },
    });
  });
  after(async () => {
    await t.stop();
    await hook.stop();
  });

  it('Velero restores as velero/velero, its restored workloads create pods as their controllers', async () => {
    const applied = await t.kubectl(['apply', '-f', R2]);
    expect(applied.status, applied.stderr).to.equal(0);
    const kinds = ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet'];
    const requests = await waitFor('the restored pods and workloads through the webhook', () => {
      const seen = hook.on('/restored');
      const restored = new Set(
        seen.filter((r) => r.userInfo.username === VELERO.username).map((r) => r.kind.kind),
      );
      return kinds.every((k) => restored.has(k)) && seen;
    });
    const byVelero = requests.filter((r) => r.userInfo.username === VELERO.username);
    for (const r of byVelero) expect(r.userInfo).to.deep.equal(VELERO);
    expect(byVelero.map((r) => r.object.metadata.name)).to.include.members(['standalone', 'db-0']);
    for (const r of requests)
      expect([
        VELERO.username,
        'system:serviceaccount:kube-system:replicaset-controller',
        'system:serviceaccount:kube-system:statefulset-controller',
        'system:serviceaccount:kube-system:daemon-set-controller',
      ]).to.include(r.userInfo.username);
  });

  it('records the simulated components writes in the audit under their users', async () => {
    const core = t.kc.makeApiClient(CoreV1Api);
    await waitFor('web pods', async () => {
      const pods = await core.listNamespacedPod({ namespace: 'app' });
      return pods.items.length > 0;
    });
    const r = await rawRequest(t.cluster, 'GET', '/devcluster/writes', {
      token: tokenOf(t.cluster.kubeconfig()),
    });
    const items = (r.json() as { items: WriteRecord[] }).items;
    const users = new Set(items.map((w) => w.user));
    expect([...users]).to.include.members([
      VELERO.username,
      'system:kube-scheduler',
      'system:serviceaccount:kube-system:replicaset-controller',
    ]);
    const veleroWrites = items.filter((w) => w.user === VELERO.username);
    expect(veleroWrites.some((w) => w.verb === 'create' && w.resource === 'pods' && w.code === 201)).to.equal(
      true,
    );
    expect(
      items.some(
        (w) => w.user === 'system:kube-scheduler' && w.resource === 'pods' && w.subresource === 'binding',
      ),
    ).to.equal(true);
  });
});
