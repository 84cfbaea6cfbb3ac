/**
 * The real control plane (kube-apiserver, kube-controller-manager and kube-scheduler 1.20 on etcd) with the node
 * agent as its kubelet, driven by client-node and the machine's kubectl. Needs the binaries build.sh makes, so it runs
 * under `npm run test:real-cluster`, not `npm test`.
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import WebSocket from 'ws';
import { startRealControlPlane } from '../../hack/real-cluster/control-plane.ts';
import type { RealControlPlane } from '../../hack/real-cluster/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { execWithClientNode, exitCodeOf } from '../helpers/exec.ts';
import { KubectlEnv } from '../helpers/kubectl.ts';

const NS = 'realbed';
const WAIT_MS = 120_000;

describe('real control plane with the node agent', function () {
  this.timeout(300_000);
  let cp: RealControlPlane;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let kubectl: KubectlEnv;

  before(async () => {
    cp = await startRealControlPlane({ nodes: 2, startDelayMs: 1000, maxPodsPerNode: 300 });
    kc = new KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    kubectl = new KubectlEnv(cp.kubeconfig);
    await core.createNamespace({ body: { metadata: { name: NS } } });
  });

  after(async () => {
    kubectl?.dispose();
    await cp?.stop();
  });

  /** Opens a pods/exec WebSocket through kube-apiserver and returns the answer when it refuses the upgrade. */
  const execUpgradeRefusal = (namespace: string, pod: string, container: string) =>
    new Promise<{ code: number; body: string }>((resolve, reject) => {
      const cluster = kc.getCurrentCluster()!;
      const url = `${cluster.server.replace(/^https/, 'wss')}/api/v1/namespaces/${namespace}/pods/${pod}/exec?command=true&container=${container}&stdout=true`;
      const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
        ca: Buffer.from(cluster.caData!, 'base64'),
        headers: { Authorization: `Bearer ${kc.getCurrentUser()!.token!}` },
      });
      ws.on('open', () => reject(new Error('the upgrade was accepted')));
      ws.on('error', () => {});
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
    });

  const runningPods = async (selector: string): Promise<V1Pod[]> => {
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: selector });
    return list.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  };

  it('registers Ready, untainted nodes at 127.0.0.1 with the exec port as the kubelet endpoint and the pods limit asked for', async () => {
    const result = await kubectl.run(['get', 'nodes', '-o', 'json']);
    expect(result.status, result.stderr).to.equal(0);
    const nodes = (JSON.parse(result.stdout) as { items: V1Node[] }).items;
    expect(nodes.map((n) => n.metadata?.name)).to.have.members(['node-1', 'node-2']);
    for (const node of nodes) {
      expect(node.spec?.taints ?? []).to.deep.equal([]);
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
      expect(node.status?.addresses).to.deep.include({ type: 'InternalIP', address: '127.0.0.1' });
      expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).to.be.above(0);
      expect(node.status?.allocatable?.pods).to.equal('300');
    }
  });

  it('runs a Deployment of 3 replicas: scheduled, Running, init containers before app containers in the run log', async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              initContainers: [
                { name: 'setup', image: 'busybox', command: ['true'] },
                { name: 'migrate', image: 'busybox', command: ['true'] },
              ],
              containers: [{ name: 'app', image: 'nginx' }],
            },
          },
        },
      },
    });
    const pods = await eventually(
      async () => {
        const running = await runningPods('app=web');
        return running.length === 3 && running;
      },
      '3 Running web pods',
      WAIT_MS,
    );
    for (const pod of pods) {
      expect(pod.spec?.nodeName).to.match(/^node-[12]$/);
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      expect(ready?.status).to.equal('True');
      expect(pod.status?.initContainerStatuses?.map((s) => s.state?.terminated?.reason)).to.deep.equal([
        'Completed',
        'Completed',
      ]);
      // The ServiceAccount admission plugin mounted the token: a real API server's pod, not a simulated one.
      expect(pod.spec?.containers[0]?.volumeMounts?.map((m) => m.mountPath)).to.include(
        '/var/run/secrets/kubernetes.io/serviceaccount',
      );
      const runs = cp.nodeAgent.runs({ namespace: NS }).filter((r) => r.uid === pod.metadata?.uid);
      expect(runs.map((r) => r.container)).to.deep.equal(['setup', 'migrate', 'app']);
      expect(runs.map((r) => r.init)).to.deep.equal([true, true, false]);
      expect(runs.every((r) => r.owner.startsWith('ReplicaSet/web-'))).to.equal(true);
    }
  });

  it('execs through kube-apiserver into the node agent with client-node (simulated shell output and exit code)', async () => {
    const [pod] = await runningPods('app=web');
    const name = pod!.metadata!.name!;
    const ok = await execWithClientNode(kc, { namespace: NS, pod: name, container: 'app' }, [
      'sh',
      '-c',
      'echo hello from $(hostname); hostname',
    ]);
    expect(exitCodeOf(ok.status)).to.equal(0);
    expect(ok.stdout).to.equal(`hello from $(hostname)\n${name}\n`);
    const failed = await execWithClientNode(kc, { namespace: NS, pod: name, container: 'app' }, [
      'sh',
      '-c',
      'echo x > /tmp/f; cat /tmp/f; exit 3',
    ]);
    expect(failed.stdout).to.equal('x\n');
    expect(exitCodeOf(failed.status)).to.equal(3);
    expect(cp.nodeAgent.execHistory().slice(-2)).to.deep.equal([
      {
        namespace: NS,
        pod: name,
        container: 'app',
        command: ['sh', '-c', 'echo hello from $(hostname); hostname'],
        exitCode: 0,
      },
      {
        namespace: NS,
        pod: name,
        container: 'app',
        command: ['sh', '-c', 'echo x > /tmp/f; cat /tmp/f; exit 3'],
        exitCode: 3,
      },
    ]);
  });

  it('runs kubectl exec (WebSocket, v5) with the exit code passed through', async () => {
    const [pod] = await runningPods('app=web');
    const name = pod!.metadata!.name!;
    const ok = await kubectl.run(['exec', '-n', NS, name, '-c', 'app', '--', 'echo', 'from', 'kubectl']);
    expect(ok).to.deep.include({ status: 0, stdout: 'from kubectl\n' });
    const failed = await kubectl.run(['exec', '-n', NS, name, '-c', 'app', '--', 'sh', '-c', 'exit 3']);
    expect(failed.status).to.equal(3);
    expect(failed.stderr).to.contain('command terminated with exit code 3');
  });

  it('passes the kubelet 400 for a container that is not running through kube-apiserver', async () => {
    const [pod] = await runningPods('app=web');
    const answer = await execUpgradeRefusal(NS, pod!.metadata!.name!, 'setup');
    expect(answer.code).to.equal(400);
    expect(JSON.parse(answer.body)).to.deep.include({
      kind: 'Status',
      message: 'container not found ("setup")',
    });
  });

  it('refuses SPDY (kubectl with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false) with a message naming WebSocket', async () => {
    const [pod] = await runningPods('app=web');
    const spdy = new KubectlEnv(cp.kubeconfig);
    spdy.env['KUBECTL_REMOTE_COMMAND_WEBSOCKETS'] = 'false';
    try {
      const r = await spdy.run(['exec', '-n', NS, pod!.metadata!.name!, '-c', 'app', '--', 'true']);
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.contain('serves exec over WebSocket only');
    } finally {
      spdy.dispose();
    }
  });

  it('completes a graceful deletion (grace period 0, uid precondition) no sooner than the termination-seconds behaviour', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: {
          name: 'slow-stop',
          annotations: { 'devcluster.restore-hooks.io/termination-seconds': '2' },
        },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    });
    await eventually(
      async () =>
        (await core.readNamespacedPod({ namespace: NS, name: 'slow-stop' })).status?.phase === 'Running',
      'slow-stop Running',
      WAIT_MS,
    );
    await core.deleteNamespacedPod({ namespace: NS, name: 'slow-stop' });
    await eventually(
      async () => {
        try {
          await core.readNamespacedPod({ namespace: NS, name: 'slow-stop' });
          return false;
        } catch (e) {
          return (e as { code?: number }).code === 404;
        }
      },
      'slow-stop gone',
      WAIT_MS,
    );
    const deletes = (await cp.writes({ user: 'restore-hooks:node-agent' })).filter(
      (w) => w.verb === 'delete' && w.name === 'slow-stop',
    );
    expect(deletes.map((w) => w.code)).to.deep.equal([200]);
    const [asked] = (await cp.writes({ user: 'admin' })).filter(
      (w) => w.verb === 'delete' && w.name === 'slow-stop',
    );
    expect(Date.parse(deletes[0]!.time) - Date.parse(asked!.time)).to.be.at.least(1999); // times are kept to the millisecond
  });

  it('reports writes by ServiceAccount users from the audit log', async () => {
    const rsWrites = await cp.writes({ user: 'system:serviceaccount:kube-system:replicaset-controller' });
    expect(
      rsWrites.filter((w) => w.verb === 'create' && w.resource === 'pods' && w.namespace === NS),
    ).to.have.length.of.at.least(3);
    const writerConfig = await cp.serviceAccountKubeconfig(NS, 'writer');
    await kc.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: NS,
      body: {
        metadata: { name: 'writer-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'writer', namespace: NS }],
      },
    });
    const writer = new KubeConfig();
    writer.loadFromString(writerConfig);
    const writerCore = writer.makeApiClient(CoreV1Api);
    await eventually(
      async () => {
        await writerCore.createNamespacedConfigMap({
          namespace: NS,
          body: { metadata: { name: 'by-writer' } },
        });
        return true;
      },
      'the writer ServiceAccount can create a ConfigMap',
      WAIT_MS,
    );
    const denied = await writerCore.listNamespace().then(
      () => 'allowed',
      (e: { code?: number }) => e.code,
    );
    expect(denied).to.equal(403);
    const writes = await cp.writes({ user: `system:serviceaccount:${NS}:writer` });
    const created = writes.filter((w) => w.code === 201);
    expect(
      created.map(({ verb, resource, subresource, namespace, name }) => ({
        verb,
        resource,
        subresource,
        namespace,
        name,
      })),
    ).to.deep.equal([{ verb: 'create', resource: 'configmaps', subresource: '', namespace: NS, name: '' }]);
    expect(Date.parse(created[0]!.time)).to.be.above(0);
  });

  it('serves Velero Restores (the CRD from config/crd is installed)', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: 'velero' } } }).catch(() => undefined);
    await custom.createNamespacedCustomObject({
      group: 'velero.io',
      version: 'v1',
      namespace: 'velero',
      plural: 'restores',
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'r1' },
        spec: { backupName: 'b1', includedNamespaces: [NS] },
      },
    });
    const result = await kubectl.run([
      'get',
      'restores.velero.io',
      '-n',
      'velero',
      'r1',
      '-o',
      'jsonpath={.spec.backupName}',
    ]);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('b1');
  });

  it('keeps working after kube-controller-manager is killed and restarted', async () => {
    await cp.restart('kube-controller-manager');
    const scaled = await kubectl.run(['scale', 'deployment/web', '-n', NS, '--replicas=4']);
    expect(scaled.status, scaled.stderr).to.equal(0);
    await eventually(async () => (await runningPods('app=web')).length === 4, '4 Running web pods', WAIT_MS);
  });

  it('keeps its run log across a node agent restart and runs new pods at the changed start delay', async () => {
    const before = cp.nodeAgent.runs({ namespace: NS }).length;
    await cp.restart('node-agent');
    cp.nodeAgent.setStartDelay(200);
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'after-restart', labels: { app: 'after' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    });
    await eventually(
      async () => (await runningPods('app=after')).length === 1,
      'after-restart Running',
      WAIT_MS,
    );
    const runs = cp.nodeAgent.runs({ namespace: NS });
    expect(runs.slice(0, before).length).to.equal(before);
    expect(runs.filter((r) => r.pod === 'after-restart').map((r) => r.container)).to.deep.equal(['app']);
    // The restarted agent re-read the running pods without logging their containers as new runs.
    expect(runs.filter((r) => r.pod !== 'after-restart' && r.seq > before)).to.deep.equal([]);
  });

  it('is readable with the machine kubectl', async () => {
    const result = await kubectl.run(['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'name']);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout.trim().split('\n')).to.have.length(4);
  });
});
