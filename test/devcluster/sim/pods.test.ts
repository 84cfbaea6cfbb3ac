import { CoreV1Api, AppsV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { SimulatedExecRunner } from '../../../src/devcluster/exec/index.ts';
import { execWithClientNode, exitCodeOf } from '../../helpers/exec.ts';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

const P = 'devcluster.restore-hooks.io/';

describe('devcluster simulation: scheduler, kubelet, ReplicaSets and exec (client-node and kubectl over HTTPS)', function () {
  let t: TestCluster;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  before(async () => {
    t = await startTestCluster();
    core = t.kc.makeApiClient(CoreV1Api);
    apps = t.kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'app' } } });
  });
  after(async () => t.stop());

  const pod = (name: string, annotations: Record<string, string> = {}, inits: string[] = []): V1Pod => ({
    metadata: { name, annotations },
    spec: {
      initContainers: inits.map((n) => ({ name: n, image: 'alpine:latest', command: ['sh', '-c', 'true'] })),
      containers: [{ name: 'app', image: 'nginx:1.27' }],
    },
  });

  it('lists the simulated nodes as Ready', async () => {
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).to.deep.equal(['node-1', 'node-2', 'node-3']);
    expect(nodes.items[0]!.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
  });

  it('schedules a pod, runs it, and makes it Ready with kubelet-shaped status', async () => {
    await core.createNamespacedPod({ namespace: 'app', body: pod('p1') });
    const running = await waitFor('p1 Ready', async () => {
      const p = await core.readNamespacedPod({ namespace: 'app', name: 'p1' });
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p;
    });
    expect(running.spec?.nodeName).to.match(/^node-\d$/);
    expect(running.status?.phase).to.equal('Running');
    expect(running.status?.containerStatuses?.[0]).to.deep.include({
      name: 'app',
      ready: true,
      started: true,
      restartCount: 0,
    });
    expect(running.status?.conditions?.map((c) => c.type)).to.deep.equal([
      'PodReadyToStartContainers',
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
    ]);
  });

  it('runs init containers one after another (kubectl sees the first running, the second waiting)', async () => {
    await core.createNamespacedPod({
      namespace: 'app',
      body: pod('slow-init', { [`${P}init-seconds`]: '3600' }, ['restore-hook-init1', 'restore-hook-init2']),
    });
    const jsonpath =
      '{range .status.initContainerStatuses[*]}{.name}={.state.running.startedAt}{.state.waiting.reason}{"\\n"}{end}{.status.phase}';
    const out = await waitFor('first init container running', async () => {
      const r = await t.kubectl(['get', 'pod', '-n', 'app', 'slow-init', '-o', `jsonpath=${jsonpath}`]);
      return /restore-hook-init1=\d{4}-/.test(r.stdout) && r.stdout;
    });
    expect(out).to.match(/restore-hook-init2=PodInitializing\nPending$/);
  });

  it('runs exec commands with client-node Exec and reports exit codes', async () => {
    const ok = await execWithClientNode(t.kc, { namespace: 'app', pod: 'p1', container: 'app' }, [
      'sh',
      '-c',
      'echo hi; exit 0',
    ]);
    expect(ok.stdout).to.equal('hi\n');
    expect(exitCodeOf(ok.status)).to.equal(0);
    const failed = await execWithClientNode(t.kc, { namespace: 'app', pod: 'p1', container: 'app' }, [
      'sh',
      '-c',
      'exit 42',
    ]);
    expect(exitCodeOf(failed.status)).to.equal(42);
  });

  it('lets tests handle commands per pod and container, keeps per-container files, and records every command', async () => {
    const runner = t.cluster.exec as SimulatedExecRunner;
    const target = { namespace: 'app', pod: 'p1', container: 'app' };
    const remove = runner.handle({ pod: 'p1', command: /^\/hooks\/freeze/ }, (_req, session) => {
      session.stdout('frozen\n');
      return 7;
    });
    try {
      const r = await execWithClientNode(t.kc, target, ['/hooks/freeze', '--now']);
      expect(r.stdout).to.equal('frozen\n');
      expect(exitCodeOf(r.status)).to.equal(7);
      expect(runner.history.at(-1)).to.deep.include({ exitCode: 7, stdout: 'frozen\n' });
      expect(runner.history.at(-1)!.request).to.deep.include({
        namespace: 'app',
        pod: 'p1',
        container: 'app',
      });
    } finally {
      remove();
    }
    const missing = await execWithClientNode(t.kc, target, ['/hooks/freeze']);
    expect(missing.status).to.deep.include({ status: 'Failure', reason: 'InternalError' });
    expect(missing.status.message).to.contain('"/hooks/freeze": executable file not found in $PATH');
    await execWithClientNode(t.kc, target, [
      '/bin/ash',
      '-c',
      'echo -n "FOOBARBAZ" >> /restores/pvc1-vm/foobarbaz',
    ]);
    expect(runner.files('app', 'p1', 'app').get('/restores/pvc1-vm/foobarbaz')).to.equal('FOOBARBAZ');
    expect((await execWithClientNode(t.kc, target, ['cat', '/restores/pvc1-vm/foobarbaz'])).stdout).to.equal(
      'FOOBARBAZ',
    );
  });

  it('runs kubectl exec, with the exit code passed through', async () => {
    const ok = await t.kubectl(['exec', '-n', 'app', 'p1', '-c', 'app', '--', 'echo', 'from', 'kubectl']);
    expect(ok).to.deep.include({ status: 0, stdout: 'from kubectl\n' });
    const failed = await t.kubectl(['exec', '-n', 'app', 'p1', '--', 'sh', '-c', 'exit 3']);
    expect(failed.status).to.equal(3);
    expect(failed.stderr).to.contain('command terminated with exit code 3');
    const piped = await t.kubectl(['exec', '-i', '-n', 'app', 'p1', '--', 'cat'], 'stdin text');
    expect(piped.stdout).to.equal('stdin text');
  });

  it('refuses exec into a container that is not running, as a real cluster does', async () => {
    const r = await t.kubectl(['exec', '-n', 'app', 'slow-init', '-c', 'app', '--', 'true']);
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.contain('container not found ("app")');
  });

  it('keeps a ReplicaSet at its replica count, adopts a matching orphan, and reports status', async () => {
    await core.createNamespacedPod({
      namespace: 'app',
      body: {
        metadata: { name: 'orphan', labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    });
    await apps.createNamespacedReplicaSet({
      namespace: 'app',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
          },
        },
      },
    });
    const rs = await waitFor('web ready', async () => {
      const r = await apps.readNamespacedReplicaSet({ namespace: 'app', name: 'web' });
      return r.status?.readyReplicas === 3 && r;
    });
    expect(rs.status).to.deep.include({ replicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const pods = await core.listNamespacedPod({ namespace: 'app', labelSelector: 'app=web' });
    expect(pods.items).to.have.length(3);
    const orphan = pods.items.find((p) => p.metadata?.name === 'orphan');
    expect(orphan?.metadata?.ownerReferences?.[0]).to.deep.include({
      kind: 'ReplicaSet',
      name: 'web',
      controller: true,
    });
    expect(pods.items.filter((p) => p.metadata?.name?.startsWith('web-'))).to.have.length(2);
    await apps
      .patchNamespacedReplicaSetScale({
        namespace: 'app',
        name: 'web',
        body: [{ op: 'replace', path: '/spec/replicas', value: 1 }],
      })
      .catch(async () =>
        apps.patchNamespacedReplicaSet({
          namespace: 'app',
          name: 'web',
          body: [{ op: 'replace', path: '/spec/replicas', value: 1 }],
        }),
      );
    await waitFor('scaled to 1', async () => {
      const list = await core.listNamespacedPod({ namespace: 'app', labelSelector: 'app=web' });
      return list.items.length === 1;
    });
  });
});
