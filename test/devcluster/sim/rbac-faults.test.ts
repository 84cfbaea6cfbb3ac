import { CoreV1Api, KubeConfig, makeInformer } from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { expect } from 'chai';
import { execWithClientNode } from '../../helpers/exec.ts';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

describe('devcluster RBAC over HTTPS (client-node and kubectl)', function () {
  let t: TestCluster;
  let admin: CoreV1Api;
  let sa: KubeConfig;

  before(async () => {
    t = await startTestCluster({ rbac: true });
    admin = t.kc.makeApiClient(CoreV1Api);
    await admin.createNamespace({ body: { metadata: { name: 'app' } } });
    await admin.createNamespacedPod({
      namespace: 'app',
      body: { metadata: { name: 'p1' }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    });
    sa = new KubeConfig();
    sa.loadFromString(
      t.cluster.kubeconfig({ serviceAccount: { namespace: 'restore-hooks', name: 'controller' } }),
    );
    await waitFor(
      'p1 running',
      async () =>
        (await admin.readNamespacedPod({ namespace: 'app', name: 'p1' })).status?.phase === 'Running',
    );
  });
  after(async () => t.stop());

  const applyPolicy = (execVerbs: string[]) =>
    t.kubectl(
      ['apply', '-f', '-'],
      `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: restore-hooks}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [pods/exec], verbs: [${execVerbs.join(', ')}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: restore-hooks}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: restore-hooks}
subjects: [{kind: ServiceAccount, name: controller, namespace: restore-hooks}]
`,
    );

  it('denies a service account without bindings with the 403 Status kube-apiserver writes', async () => {
    const error = (await sa
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'app' })
      .catch((e: unknown) => e)) as {
      code: number;
      body: string;
    };
    expect(error.code).to.equal(403);
    expect(JSON.parse(error.body)).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'pods is forbidden: User "system:serviceaccount:restore-hooks:controller" cannot list resource "pods" in API group "" in the namespace "app"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
  });

  it('allows what a ClusterRoleBinding grants, and nothing more', async () => {
    expect((await applyPolicy(['get'])).status).to.equal(0);
    const api = sa.makeApiClient(CoreV1Api);
    expect(
      (await api.listNamespacedPod({ namespace: 'app' })).items.map((p) => p.metadata?.name),
    ).to.deep.equal(['p1']);
    const error = (await api
      .deleteNamespacedPod({ namespace: 'app', name: 'p1' })
      .catch((e: unknown) => e)) as { code: number; body: string };
    expect(error.code).to.equal(403);
    expect(JSON.parse(error.body).message).to.equal(
      'pods "p1" is forbidden: User "system:serviceaccount:restore-hooks:controller" cannot delete resource "pods" in API group "" in the namespace "app"',
    );
  });

  it('requires create as well as get on pods/exec for a WebSocket exec, as 1.32 does', async () => {
    const target = { namespace: 'app', pod: 'p1', container: 'app' };
    const denied = await execWithClientNode(sa, target, ['true']).catch((e: unknown) => e);
    expect((denied as { message?: string }).message).to.equal('Unexpected server response: 403');
    expect((await applyPolicy(['get', 'create'])).status).to.equal(0);
    const ok = await execWithClientNode(sa, target, ['echo', 'allowed']);
    expect(ok.stdout).to.equal('allowed\n');
  });
});

describe('devcluster fault injection over HTTPS with a client-node informer', function () {
  let t: TestCluster;
  let core: CoreV1Api;

  before(async () => {
    t = await startTestCluster({ simulation: false, faults: { seed: 11 } });
    core = t.kc.makeApiClient(CoreV1Api);
  });
  after(async () => t.stop());

  it('answers 429 with Retry-After for the verbs and resources a rule names', async () => {
    t.cluster.faults.addRule({
      id: 'throttle',
      verbs: ['create'],
      resources: ['configmaps'],
      error: { code: 429, retryAfterSeconds: 7 },
    });
    try {
      const error = (await core
        .createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'x' } } })
        .catch((e: unknown) => e)) as { code: number; headers: Record<string, string>; body: string };
      expect(error.code).to.equal(429);
      expect(error.headers['retry-after']).to.equal('7');
      expect(JSON.parse(error.body)).to.deep.include({
        reason: 'TooManyRequests',
        details: { retryAfterSeconds: 7 },
      });
      await core.listNamespacedConfigMap({ namespace: 'default' });
    } finally {
      t.cluster.faults.removeRule('throttle');
    }
  });

  it('keeps an informer in sync through cut watch streams and a forced compaction (410, re-list)', async () => {
    t.cluster.faults.addRule({
      id: 'cut',
      verbs: ['watch'],
      resources: ['configmaps'],
      cutWatch: { afterEvents: 2 },
    });
    const informer = makeInformer(t.kc, '/api/v1/namespaces/default/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      for (let i = 0; i < 6; i++) {
        await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: `cm-${i}` }, data: { i: String(i) } },
        });
      }
      await waitFor(
        'informer sees 6',
        () => informer.list().filter((c: V1ConfigMap) => c.metadata?.name?.startsWith('cm-')).length === 6,
      );
      expect(t.cluster.faults.counters().watchesCut).to.be.at.least(2);
      t.cluster.faults.removeRule('cut');
      t.cluster.faults.compact();
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'cm-0' });
      await waitFor('informer sees the delete', () => !informer.get('cm-0', 'default'));
      expect(t.cluster.faults.counters().compactions).to.equal(1);
      expect(errors).to.deep.equal([]);
    } finally {
      await informer.stop();
    }
  });

  it('holds requests while the API is paused and serves them after resume', async () => {
    t.cluster.faults.pause();
    let done = false;
    const pending = core.listNamespacedConfigMap({ namespace: 'default' }).then(() => (done = true));
    await waitFor('the request to be held', () => t.cluster.faults.counters().pausedRequests >= 1);
    expect(done).to.equal(false);
    t.cluster.faults.resume();
    await pending;
    expect(done).to.equal(true);
  });
});
