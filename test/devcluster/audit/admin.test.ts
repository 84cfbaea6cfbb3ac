/**
 * The evidence the chaos suite reads from another process: the write audit (/devcluster/writes), the kubelet's
 * container run log (/devcluster/kubelet/runs) and kubeconfigs minted for a subject (/devcluster/kubeconfig), over
 * HTTPS with client-node, as the suite uses them.
 */
import { expect } from 'chai';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { SimulatedCluster } from '../../../src/devcluster/simulated.ts';
import { startSimulatedCluster } from '../../../src/devcluster/simulated.ts';
import type { WriteRecord } from '../../../src/devcluster/audit/write-log.ts';
import { WriteLog } from '../../../src/devcluster/audit/write-log.ts';
import type { ContainerRun } from '../../../src/devcluster/kubelet/run-log.ts';
import { ContainerRunLog } from '../../../src/devcluster/kubelet/run-log.ts';
import { rawRequest, tokenOf } from '../../helpers/devcluster.ts';
import { eventually } from '../../helpers/eventually.ts';
import { execWithClientNode, exitCodeOf } from '../../helpers/exec.ts';

describe('devcluster audit endpoints', () => {
  let cluster: SimulatedCluster;
  let token: string;
  before(async () => {
    cluster = await startSimulatedCluster({ simulation: { nodes: 1 }, crdDirectory: false });
    token = tokenOf(cluster.kubeconfig());
  });
  after(() => cluster.stop());

  const get = async <T>(path: string, as = token) => {
    const r = await rawRequest(cluster, 'GET', path, { token: as });
    return { status: r.status, body: (r.text.startsWith('{') ? r.json() : r.text) as T };
  };

  it('audits every client write with its user and answer, and not the in-process node registration', async () => {
    const saConfig = new KubeConfig();
    saConfig.loadFromString((await get<string>('/devcluster/kubeconfig?serviceAccount=team/bot')).body);
    const core = saConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'team' } } });
    await core.createNamespacedConfigMap({ namespace: 'team', body: { metadata: { name: 'c1' } } });
    await core.deleteNamespacedConfigMap({ namespace: 'team', name: 'missing' }).catch(() => undefined);
    const { body } = await get<{ dropped: number; items: WriteRecord[] }>(
      `/devcluster/writes?user=${encodeURIComponent('system:serviceaccount:team:bot')}`,
    );
    expect(body.dropped).to.equal(0);
    expect(body.items.map((w) => [w.verb, w.resource, w.namespace, w.name, w.code])).to.deep.equal([
      ['create', 'namespaces', '', '', 201],
      ['create', 'configmaps', 'team', '', 201],
      ['delete', 'configmaps', 'team', 'missing', 404],
    ]);
    const since = body.items[1]!.seq;
    const later = await get<{ items: WriteRecord[] }>(`/devcluster/writes?since=${since}`);
    expect(later.body.items.map((w) => w.name)).to.deep.equal(['missing']);
    // The simulated node was registered in-process: not a client write.
    const all = await get<{ items: WriteRecord[] }>('/devcluster/writes');
    expect(all.body.items.some((w) => w.resource === 'nodes')).to.equal(false);
  });

  it('logs each container run of the kubelet, init containers before the application containers', async () => {
    const admin = new KubeConfig();
    admin.loadFromString(cluster.kubeconfig());
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'runs' } } });
    await core.createNamespacedPod({
      namespace: 'runs',
      body: {
        metadata: { name: 'p', annotations: { 'devcluster.restore-hooks.io/init-seconds': '1' } },
        spec: {
          initContainers: [{ name: 'hook', image: 'busybox' }],
          containers: [{ name: 'app', image: 'nginx' }],
        },
      },
    });
    const runs = await eventually(async () => {
      const { body } = await get<{ items: ContainerRun[] }>('/devcluster/kubelet/runs?namespace=runs');
      return body.items.length === 2 && body.items;
    }, 'the init and the app container to run');
    const [hook, app] = runs;
    expect([hook!.container, hook!.init, hook!.exitCode, hook!.restartCount]).to.deep.equal([
      'hook',
      true,
      0,
      0,
    ]);
    expect([app!.container, app!.init]).to.deep.equal(['app', false]);
    expect(hook!.seq).to.be.lessThan(app!.seq);
    expect(hook!.finishedAt! <= app!.startedAt).to.equal(true);
  });

  it('serves the commands the exec runner ran', async () => {
    const admin = new KubeConfig();
    admin.loadFromString(cluster.kubeconfig());
    await eventually(async () => {
      const pod = await admin.makeApiClient(CoreV1Api).readNamespacedPod({ namespace: 'runs', name: 'p' });
      return pod.status?.containerStatuses?.[0]?.state?.running !== undefined;
    }, 'the app container to run');
    const outcome = await execWithClientNode(admin, { namespace: 'runs', pod: 'p', container: 'app' }, [
      'sh',
      '-c',
      'exit 3',
    ]);
    expect(exitCodeOf(outcome.status)).to.equal(3);
    const { body } = await get<{ items: unknown[] }>('/devcluster/exec/history?namespace=runs');
    expect(body.items).to.deep.equal([
      { namespace: 'runs', pod: 'p', container: 'app', command: ['sh', '-c', 'exit 3'], exitCode: 3 },
    ]);
  });

  it('serves only system:masters, and names bad parameters', async () => {
    const user = tokenOf(cluster.kubeconfig({ user: { username: 'eve', groups: ['system:authenticated'] } }));
    expect((await get('/devcluster/writes', user)).status).to.equal(403);
    expect((await get('/devcluster/kubelet/runs', user)).status).to.equal(403);
    expect((await get('/devcluster/kubeconfig?user=x', user)).status).to.equal(403);
    const bad = await get<{ message: string }>('/devcluster/writes?since=-1');
    expect([bad.status, bad.body.message]).to.deep.equal([
      400,
      'since: must be a non-negative integer, got "-1"',
    ]);
    const sa = await get<{ message: string }>('/devcluster/kubeconfig?serviceAccount=nope');
    expect([sa.status, sa.body.message]).to.deep.equal([
      400,
      'serviceAccount: expected NAMESPACE/NAME, got "nope"',
    ]);
    const none = await get<{ message: string }>('/devcluster/kubeconfig');
    expect(none.status).to.equal(400);
    const post = await rawRequest(cluster, 'POST', '/devcluster/writes', { token });
    expect(post.status).to.equal(405);
  });
});

describe('WriteLog and ContainerRunLog', () => {
  it('keep the newest records within their capacity and count what was dropped', () => {
    const log = new WriteLog(2);
    for (const name of ['a', 'b', 'c'])
      log.begin({ user: 'u', verb: 'delete', resource: 'pods', subresource: '', namespace: 'n', name });
    expect(log.entries().map((r) => [r.seq, r.name])).to.deep.equal([
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(log.dropped).to.equal(1);
  });

  it('records a restarted container as a second run with its restart count', () => {
    const runs = new ContainerRunLog();
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', uid: 'u' } };
    const terminated = (startedAt: string, exitCode: number) => ({
      terminated: { startedAt, finishedAt: startedAt, exitCode },
    });
    runs.observe(pod, {
      initContainerStatuses: [{ name: 'i', restartCount: 0, state: terminated('t1', 1) }],
    });
    runs.observe(pod, {
      initContainerStatuses: [
        { name: 'i', restartCount: 1, state: terminated('t2', 0), lastState: terminated('t1', 1) },
      ],
    });
    expect(runs.entries().map((r) => [r.container, r.restartCount, r.exitCode])).to.deep.equal([
      ['i', 0, 1],
      ['i', 1, 0],
    ]);
  });
});
