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

function pod(owner?: ReturnType<typeof ref>, labels?: Record<string, string>): Pod {
  return {
    metadata: {
      name: 'p',
      namespace: 'app',
      ...(owner ? { ownerReferences: [owner] } : {}),
      ...(labels ? { labels } : {}),
    },
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
  /**
   * An OwnerChain with no workload cache, reading ReplicaSets from `replicaSets` and counting the reads; with
   * `failFirst` the first read fails with HTTP 503.
   */
  const countingChain = (options: { failFirst?: boolean } = {}) => {
    const counted = { reads: 0 };
    const chain = new OwnerChain({
      getWorkload: () => undefined,
      listWorkloads: () => [],
      getReplicaSet: (_ns, n) =>
        ++counted.reads === 1 && options.failFirst
          ? Promise.reject(new Error('HTTP 503'))
          : Promise.resolve(replicaSets.get(n)),
    });
    return { chain, counted };
  };

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
      expect(await countingChain().chain.topOwner(p)).to.deep.equal(want);
    });
  }

  it('reads a Deployment’s ReplicaSet once, then remembers its Deployment', async () => {
    const { chain, counted } = countingChain();
    for (let i = 0; i < 3; i++) await chain.topOwner(pod(ref('ReplicaSet', 'web-1', 'rs-1')));
    for (let i = 0; i < 2; i++) await chain.topOwner(pod(ref('ReplicaSet', 'cache', 'rs-2')));
    expect(counted.reads, 'one read for web-1; cache may still be adopted, so it is read each time').to.equal(
      3,
    );
  });

  it('restoredTopOwner: only the cached (restored) workload with the same uid', async () => {
    const deployment = workload('web', 'd-1');
    const chain = new OwnerChain({
      getWorkload: (kind, _ns, n) => (kind === 'Deployment' && n === 'web' ? deployment : undefined),
      listWorkloads: () => [],
      getReplicaSet: (_ns, n) => Promise.resolve(replicaSets.get(n)),
    });
    expect(await chain.restoredTopOwner(pod(ref('ReplicaSet', 'web-1', 'rs-1')))).to.deep.equal({
      kind: 'Deployment',
      workload: deployment,
    });
    expect(await chain.restoredTopOwner(pod(ref('StatefulSet', 'db', 's-1')))).to.equal(undefined);
  });

  it('concurrent lookups of one ReplicaSet share one read', async () => {
    let reads = 0;
    const chain = new OwnerChain({
      getWorkload: () => undefined,
      listWorkloads: () => [],
      getReplicaSet: async (_ns, n) => {
        reads++;
        await new Promise((r) => setImmediate(r));
        return replicaSets.get(n);
      },
    });
    const tops = await Promise.all(
      Array.from({ length: 5 }, () => chain.topOwner(pod(ref('ReplicaSet', 'web-1', 'rs-1')))),
    );
    expect(reads).to.equal(1);
    for (const top of tops) expect(top).to.deep.equal({ kind: 'Deployment', name: 'web', uid: 'd-1' });
  });

  it('a failed read is not remembered: the next lookup reads again', async () => {
    const { chain, counted } = countingChain({ failFirst: true });
    const p = pod(ref('ReplicaSet', 'web-1', 'rs-1'));
    await chain.topOwner(p).then(
      () => expect.fail('the first read failed'),
      (e: Error) => expect(e.message).to.equal('HTTP 503'),
    );
    expect(await chain.topOwner(p)).to.deep.equal({ kind: 'Deployment', name: 'web', uid: 'd-1' });
    expect(counted.reads).to.equal(2);
  });

  it('warm reads an unknown ReplicaSet in the background, once; a later lookup finds it remembered', async () => {
    const { chain, counted } = countingChain();
    const p = pod(ref('ReplicaSet', 'web-1', 'rs-1'));
    chain.warm(p);
    chain.warm(p);
    expect(await chain.topOwner(p)).to.deep.equal({ kind: 'Deployment', name: 'web', uid: 'd-1' });
    chain.warm(p);
    chain.warm(pod(ref('StatefulSet', 'db', 's-1')));
    expect(counted.reads).to.equal(1);
  });

  it('warm leaves a failed read to the next lookup', async () => {
    const { chain, counted } = countingChain({ failFirst: true });
    const p = pod(ref('ReplicaSet', 'web-1', 'rs-1'));
    chain.warm(p);
    await new Promise((r) => setImmediate(r));
    expect(await chain.topOwner(p)).to.deep.equal({ kind: 'Deployment', name: 'web', uid: 'd-1' });
    expect(counted.reads).to.equal(2);
  });

  describe('restoredWorkloadsConcerned: the restored workloads a pod event is for, without reading', () => {
    const selecting = (name: string, uid: string, matchLabels: Record<string, string>) =>
      ({
        ...workload(name, uid),
        spec: { selector: { matchLabels }, template: { spec: { containers: [] } } },
      }) as unknown as Workload;
    const web = selecting('web', 'd-1', { app: 'web' });
    const api = selecting('api', 'd-2', { app: 'api' });
    const all = selecting('all', 'd-3', { tier: 'front' });
    const chain = (reads: { n: number }) =>
      new OwnerChain({
        getWorkload: (kind, _ns, n) =>
          kind === 'Deployment' ? [web, api, all].find((d) => d.metadata.name === n) : undefined,
        listWorkloads: (kind, ns) => (kind === 'Deployment' && ns === 'app' ? [web, api, all] : []),
        getReplicaSet: (_ns, n) => {
          reads.n++;
          return Promise.resolve(replicaSets.get(n));
        },
      });

    it('a pod of a ReplicaSet never seen: every restored Deployment whose selector selects it, no read', () => {
      const reads = { n: 0 };
      const p = pod(ref('ReplicaSet', 'web-1', 'rs-1'), { app: 'web', tier: 'front' });
      const names = chain(reads)
        .restoredWorkloadsConcerned(p)
        .map((c) => c.workload.metadata.name);
      expect(names).to.deep.equal(['web', 'all']);
      expect(reads.n).to.equal(0);
    });

    it('once the chain is known, only its top', async () => {
      const reads = { n: 0 };
      const c = chain(reads);
      const p = pod(ref('ReplicaSet', 'web-1', 'rs-1'), { app: 'web', tier: 'front' });
      await c.topOwner(p);
      expect(c.restoredWorkloadsConcerned(p).map((x) => x.workload.metadata.name)).to.deep.equal(['web']);
      expect(reads.n).to.equal(1);
    });

    it('a pod no restored Deployment selects concerns none', () => {
      const p = pod(ref('ReplicaSet', 'other-1', 'rs-7'), { app: 'other' });
      expect(chain({ n: 0 }).restoredWorkloadsConcerned(p)).to.deep.equal([]);
    });

    it('a StatefulSet’s pod: its StatefulSet if restored (cached), else none', () => {
      expect(chain({ n: 0 }).restoredWorkloadsConcerned(pod(ref('StatefulSet', 'db', 's-1')))).to.deep.equal(
        [],
      );
    });

    it('a Deployment with an empty or invalid selector selects nothing', () => {
      const empty = selecting('empty', 'd-4', {});
      const invalid = {
        ...workload('bad', 'd-5'),
        spec: { selector: { matchLabels: 'x' }, template: { spec: { containers: [] } } },
      } as unknown as Workload;
      const c = new OwnerChain({
        getWorkload: () => undefined,
        listWorkloads: () => [empty, invalid],
        getReplicaSet: () => Promise.resolve(undefined),
      });
      expect(c.restoredWorkloadsConcerned(pod(ref('ReplicaSet', 'x-1', 'rs-8'), { app: 'x' }))).to.deep.equal(
        [],
      );
    });
  });

  describe('replicaSetsAwaitingAdoption: restored ReplicaSets the Deployment controller has yet to adopt', () => {
    const web = {
      ...workload('web', 'd-1'),
      spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [] } } },
    } as unknown as Workload;
    const replicaSet = (
      name: string,
      labels: Record<string, string>,
      options: { owner?: ReturnType<typeof ref>; deleting?: boolean } = {},
    ) => {
      const rs = workload(name, `uid-${name}`, options.owner);
      return {
        ...rs,
        metadata: {
          ...rs.metadata,
          labels,
          ...(options.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
        },
      } as Workload;
    };
    const cases: [string, Workload, boolean][] = [
      ['an orphan whose labels the selector matches', replicaSet('web-1', { app: 'web', x: 'y' }), true],
      [
        'one the Deployment already controls',
        replicaSet('web-2', { app: 'web' }, { owner: ref('Deployment', 'web', 'd-1') }),
        false,
      ],
      [
        'one another controller controls',
        replicaSet('web-3', { app: 'web' }, { owner: ref('Deployment', 'web-old', 'd-9') }),
        false,
      ],
      ['an orphan the selector does not match', replicaSet('api-1', { app: 'api' }), false],
      ['an orphan being deleted', replicaSet('web-4', { app: 'web' }, { deleting: true }), false],
    ];
    for (const [title, rs, awaits] of cases) {
      it(`${title}: ${awaits ? 'awaits adoption' : 'does not'}`, () => {
        const chain = new OwnerChain({
          getWorkload: () => undefined,
          listWorkloads: (kind, ns) => (kind === 'ReplicaSet' && ns === 'app' ? [rs] : []),
          getReplicaSet: () => Promise.reject(new Error('no read expected')),
        });
        expect(chain.replicaSetsAwaitingAdoption(web)).to.deep.equal(awaits ? [rs] : []);
      });
    }
  });
});
