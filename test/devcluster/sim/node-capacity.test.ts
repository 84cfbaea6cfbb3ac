/**
 * The simulated nodes' pod capacity (SimulationOptions.maxPodsPerNode), as a kubelet's --max-pods and
 * kube-scheduler's allocatable.pods check behave on a real cluster: the nodes report it, a pod beyond it stays
 * Pending with PodScheduled=False (Too many pods), and it is bound once a pod leaves a node.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { Simulation } from '../../../src/devcluster/sim/simulation.ts';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

describe('devcluster simulation: node pod capacity (maxPodsPerNode) over HTTPS', function () {
  let t: TestCluster;
  let core: CoreV1Api;

  before(async () => {
    t = await startTestCluster({ simulation: { nodes: 2, maxPodsPerNode: 2 } });
    core = t.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'cap' } } });
  });
  after(async () => t.stop());

  const pod = (name: string): V1Pod => ({
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  });
  const pods = async () => (await core.listNamespacedPod({ namespace: 'cap' })).items;

  it('reports the capacity on every node', async () => {
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => [n.status?.capacity?.pods, n.status?.allocatable?.pods])).to.deep.equal([
      ['2', '2'],
      ['2', '2'],
    ]);
  });

  it('binds 4 of 5 pods on 2 nodes of 2, leaves the fifth Unschedulable (Too many pods), and binds it when a pod leaves', async () => {
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5'])
      await core.createNamespacedPod({ namespace: 'cap', body: pod(name) });
    const pending = await waitFor(
      'four pods bound and one Unschedulable',
      async () => {
        const all = await pods();
        const unbound = all.filter((p) => !p.spec?.nodeName);
        const condition = unbound[0]?.status?.conditions?.find((c) => c.type === 'PodScheduled');
        return (
          all.length === 5 && unbound.length === 1 && condition?.reason === 'Unschedulable' && unbound[0]
        );
      },
      30_000,
    );
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).to.equal(
      '0/2 nodes are available: 2 Too many pods. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    const perNode = new Map<string, number>();
    for (const p of await pods())
      if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    expect([...perNode.values()]).to.deep.equal([2, 2]);

    const leaving = (await pods()).find((p) => p.spec?.nodeName)!;
    await core.deleteNamespacedPod({
      namespace: 'cap',
      name: leaving.metadata!.name!,
      gracePeriodSeconds: 0,
    });
    const bound = await waitFor(
      `${pending.metadata!.name} bound once a pod left`,
      async () => {
        const p = await core.readNamespacedPod({ namespace: 'cap', name: pending.metadata!.name! });
        return p.spec?.nodeName ? p : undefined;
      },
      30_000,
    );
    expect(bound.spec?.nodeName).to.equal(leaving.spec?.nodeName);
  });

  it('refuses a capacity that is not a positive integer, naming the option', () => {
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => new Simulation(t.cluster.admission, { maxPodsPerNode: bad }), String(bad)).to.throw(
        RangeError,
        /^maxPodsPerNode: must be an integer >= 1/,
      );
  });
});
