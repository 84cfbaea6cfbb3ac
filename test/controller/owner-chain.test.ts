import { expect } from 'chai';
import { OwnerChain } from '../../src/controller/owner-chain.ts';
import type { Pod, Workload } from '../../src/kube/types.ts';

const ref = (kind: string, name: string, uid: string) => ({
  apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
  kind,
  name,
  uid,
  controller: true,
});

function pod(owner?: ReturnType<typeof ref>): Pod {
  return {
    metadata: { name: 'p', namespace: 'app', ...(owner ? { ownerReferences: [owner] } : {}) },
    spec: { containers: [] },
  };
}

function workload(name: string, uid: string, owner?: ReturnType<typeof ref>): Workload {
  return {
    metadata: { name, namespace: 'app', uid, ...(owner ? { ownerReferences: [owner] } : {}) },
    spec: { template: { spec: { containers: [] } } },
  } as unknown as Workload;
}

describe('OwnerChain: the workload at the top of a pod’s controller chain', () => {
  const replicaSets = new Map<string, Workload>([
    ['web-1', workload('web-1', 'rs-1', ref('Deployment', 'web', 'd-1'))],
    ['cache', workload('cache', 'rs-2')],
    ['odd', workload('odd', 'rs-3', ref('Rollout', 'odd', 'x-1'))],
  ]);
  const cases: [string, Pod, { kind: string; name: string; uid: string } | undefined][] = [
    ['a bare pod', pod(), undefined],
    ['a Job’s pod', pod(ref('Job', 'migrate', 'j-1')), undefined],
    [
      'a StatefulSet’s pod',
      pod(ref('StatefulSet', 'db', 's-1')),
      { kind: 'StatefulSet', name: 'db', uid: 's-1' },
    ],
    [
      'a DaemonSet’s pod',
      pod(ref('DaemonSet', 'agent', 'ds-1')),
      { kind: 'DaemonSet', name: 'agent', uid: 'ds-1' },
    ],
    [
      'a Deployment’s pod',
      pod(ref('ReplicaSet', 'web-1', 'rs-1')),
      { kind: 'Deployment', name: 'web', uid: 'd-1' },
    ],
    [
      'a ReplicaSet of its own',
      pod(ref('ReplicaSet', 'cache', 'rs-2')),
      { kind: 'ReplicaSet', name: 'cache', uid: 'rs-2' },
    ],
    [
      'a ReplicaSet replaced under the same name (uid differs)',
      pod(ref('ReplicaSet', 'cache', 'rs-old')),
      undefined,
    ],
    ['a ReplicaSet controlled by something else', pod(ref('ReplicaSet', 'odd', 'rs-3')), undefined],
    ['a ReplicaSet that is gone', pod(ref('ReplicaSet', 'gone', 'rs-9')), undefined],
  ];
  for (const [name, p, want] of cases) {
    it(name, async () => {
      const chain = new OwnerChain({
        getWorkload: () => undefined,
        getReplicaSet: (_ns, n) => Promise.resolve(replicaSets.get(n)),
      });
      expect(await chain.topOwner(p)).to.deep.equal(want);
    });
  }

  it('reads a Deployment’s ReplicaSet once, then remembers its Deployment', async () => {
    let reads = 0;
    const chain = new OwnerChain({
      getWorkload: () => undefined,
      getReplicaSet: (_ns, n) => {
        reads++;
        return Promise.resolve(replicaSets.get(n));
      },
    });
    for (let i = 0; i < 3; i++) await chain.topOwner(pod(ref('ReplicaSet', 'web-1', 'rs-1')));
    for (let i = 0; i < 2; i++) await chain.topOwner(pod(ref('ReplicaSet', 'cache', 'rs-2')));
    expect(reads, 'one read for web-1; cache may still be adopted, so it is read each time').to.equal(3);
  });

  it('restoredTopOwner: only the cached (restored) workload with the same uid', async () => {
    const deployment = workload('web', 'd-1');
    const chain = new OwnerChain({
      getWorkload: (kind, _ns, n) => (kind === 'Deployment' && n === 'web' ? deployment : undefined),
      getReplicaSet: (_ns, n) => Promise.resolve(replicaSets.get(n)),
    });
    expect(await chain.restoredTopOwner(pod(ref('ReplicaSet', 'web-1', 'rs-1')))).to.deep.equal({
      kind: 'Deployment',
      workload: deployment,
    });
    expect(await chain.restoredTopOwner(pod(ref('StatefulSet', 'db', 's-1')))).to.equal(undefined);
  });
});
