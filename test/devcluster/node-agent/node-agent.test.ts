/**
 * The node agent over HTTPS against the devcluster's API server (no simulated kubelet or scheduler): the same
 * client code the real control plane runs it with, checked here without the Kubernetes binaries.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import WebSocket from 'ws';
import { parse } from 'yaml';
import { startSimulatedCluster } from '../../../src/devcluster/simulated.ts';
import type { SimulatedCluster } from '../../../src/devcluster/simulated.ts';
import { NodeAgent } from '../../../src/devcluster/node-agent/index.ts';
import { eventually } from '../../helpers/eventually.ts';

const NS = 'default';

describe('node agent (stand-in kubelet) against the devcluster API server', function () {
  this.timeout(60_000);
  let cluster: SimulatedCluster;
  let agent: NodeAgent;
  let core: CoreV1Api;

  before(async () => {
    cluster = await startSimulatedCluster({
      simulation: { nodes: 0, components: { kubelet: false, scheduler: false } },
    });
    const kubeconfig = cluster.kubeconfig();
    const token = (parse(kubeconfig) as { users: { user: { token: string } }[] }).users[0]!.user.token;
    agent = new NodeAgent({
      connection: { server: cluster.url, caCert: cluster.caCert, token },
      nodes: ['agent-1', 'agent-2'],
      startDelayMs: 100,
    });
    await agent.start();
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
  });

  after(async () => {
    await agent?.stop();
    await cluster?.stop();
  });

  const bound = (name: string, node: string, annotations: Record<string, string> = {}) =>
    core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name, annotations },
        spec: {
          nodeName: node,
          initContainers: [{ name: 'init', image: 'busybox' }],
          containers: [
            { name: 'app', image: 'nginx' },
            { name: 'side', image: 'busybox' },
          ],
        },
      },
    });

  it('registers its nodes Ready, at 127.0.0.1, with its exec port as the kubelet endpoint', async () => {
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => n.metadata?.name)).to.have.members(['agent-1', 'agent-2']);
    for (const node of nodes) {
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
      expect(node.status?.addresses).to.deep.include({ type: 'InternalIP', address: '127.0.0.1' });
      expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).to.equal(agent.execPort);
      expect(node.spec?.taints ?? []).to.deep.equal([]);
      expect(node.status?.capacity?.pods).to.equal('110');
    }
  });

  it('runs a bound pod: init container, then app containers, in status and in the run log', async () => {
    const created = await bound('p1', 'agent-1');
    const pod = await eventually(async () => {
      const p = await core.readNamespacedPod({ namespace: NS, name: 'p1' });
      return p.status?.phase === 'Running' && p;
    }, 'p1 Running');
    expect(pod.status?.hostIP).to.equal('127.0.0.1');
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.reason).to.equal('Completed');
    expect(pod.status?.containerStatuses?.map((s) => Boolean(s.state?.running))).to.deep.equal([true, true]);
    const runs = agent.runs.entries({ namespace: NS }).filter((r) => r.uid === created.metadata?.uid);
    expect(runs.map((r) => [r.container, r.init, r.node])).to.deep.equal([
      ['init', true, 'agent-1'],
      ['app', false, 'agent-1'],
      ['side', false, 'agent-1'],
    ]);
  });

  it('leaves pods bound to other nodes alone', async () => {
    await bound('elsewhere', 'not-ours');
    await bound('p2', 'agent-2');
    await eventually(
      async () => (await core.readNamespacedPod({ namespace: NS, name: 'p2' })).status?.phase === 'Running',
      'p2 Running',
    );
    const other = await core.readNamespacedPod({ namespace: NS, name: 'elsewhere' });
    expect(other.status?.phase).to.equal('Pending');
    expect(other.status?.containerStatuses).to.equal(undefined);
    expect(agent.runs.entries().filter((r) => r.pod === 'elsewhere')).to.deep.equal([]);
  });

  it('serves the kubelet exec path with the simulated shell, recording the command', async () => {
    const url = `wss://127.0.0.1:${agent.execPort}/exec/${NS}/p1/side?command=sh&command=-c&command=echo%20hi%3B%20exit%204&output=1&error=1`;
    const frames: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, ['v4.channel.k8s.io'], { rejectUnauthorized: false });
      ws.on('message', (d: Buffer) => frames.push(d));
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    expect(frames.map((f) => [f[0], f.subarray(1).toString()])).to.deep.equal([
      [1, 'hi\n'],
      [
        3,
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message:
            'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 4], exit code 4',
          reason: 'NonZeroExitCode',
          details: { causes: [{ reason: 'ExitCode', message: '4' }] },
        }),
      ],
    ]);
    expect(agent.execHistory().at(-1)).to.deep.equal({
      namespace: NS,
      pod: 'p1',
      container: 'side',
      command: ['sh', '-c', 'echo hi; exit 4'],
      exitCode: 4,
    });
  });

  it('completes a graceful deletion with a final delete of its own', async () => {
    await eventually(
      async () => (await core.readNamespacedPod({ namespace: NS, name: 'p2' })).status?.phase === 'Running',
      'p2 Running',
    );
    const since = cluster.http.writes.entries().length;
    await core.deleteNamespacedPod({ namespace: NS, name: 'p2', gracePeriodSeconds: 30 });
    await eventually(async () => {
      try {
        await core.readNamespacedPod({ namespace: NS, name: 'p2' });
        return false;
      } catch (e) {
        return (e as { code?: number }).code === 404;
      }
    }, 'p2 gone');
    const deletes = cluster.http.writes
      .entries({ since })
      .filter((w) => w.verb === 'delete' && w.name === 'p2')
      .map((w) => w.code);
    expect(deletes).to.deep.equal([200, 200]);
  });
});
