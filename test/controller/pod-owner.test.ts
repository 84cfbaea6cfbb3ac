import { expect } from 'chai';
import { cachedControllingWorkload } from '../../src/controller/pod-owner.ts';
import type { Workload } from '../../src/kube/types.ts';

const workload = (kind: string, name: string, uid: string) =>
  ({ kind, metadata: { name, namespace: 'app', uid }, spec: {} }) as unknown as Workload;

const cached = [
  workload('Deployment', 'web', 'd1'),
  workload('ReplicaSet', 'api-5d8f7', 'rs1'),
  workload('StatefulSet', 'db', 's1'),
  workload('DaemonSet', 'agent', 'ds1'),
];
const workloadOf = (kind: string, namespace: string, name: string) =>
  cached.find((w) => w.kind === kind && w.metadata.namespace === namespace && w.metadata.name === name);

const pod = (
  owner: { kind: string; name: string; uid?: string; controller?: boolean } | undefined,
  hash?: string,
) => ({
  labels: { app: 'x', ...(hash ? { 'pod-template-hash': hash } : {}) },
  ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', uid: 'none', controller: true, ...owner }] } : {}),
});

describe('the restored workload controlling a pod, from the caches', () => {
  const cases: Array<[string, ReturnType<typeof pod>, string | undefined, boolean]> = [
    [
      "a Deployment's ReplicaSet: the Deployment its name bears",
      pod({ kind: 'ReplicaSet', name: 'web-7d4b9' }, '7d4b9'),
      'Deployment/web',
      false,
    ],
    [
      'a restored ReplicaSet, same uid',
      pod({ kind: 'ReplicaSet', name: 'api-5d8f7', uid: 'rs1' }, '5d8f7'),
      'ReplicaSet/api-5d8f7',
      false,
    ],
    [
      'a cached ReplicaSet of that name, another uid',
      pod({ kind: 'ReplicaSet', name: 'api-5d8f7', uid: 'rs2' }, '5d8f7'),
      undefined,
      false,
    ],
    ['a restored StatefulSet', pod({ kind: 'StatefulSet', name: 'db', uid: 's1' }), 'StatefulSet/db', false],
    [
      'a restored DaemonSet, another uid',
      pod({ kind: 'DaemonSet', name: 'agent', uid: 'x' }),
      undefined,
      false,
    ],
    [
      'a StatefulSet not cached (yet)',
      pod({ kind: 'StatefulSet', name: 'other', uid: 's9' }),
      undefined,
      true,
    ],
    [
      'a ReplicaSet whose Deployment is not cached (yet)',
      pod({ kind: 'ReplicaSet', name: 'sneaky-5f6c7' }, '5f6c7'),
      undefined,
      true,
    ],
    [
      'a ReplicaSet name that does not end in the hash',
      pod({ kind: 'ReplicaSet', name: 'web-7d4b9' }, 'zzz'),
      undefined,
      true,
    ],
    ['no pod-template-hash', pod({ kind: 'ReplicaSet', name: 'web-7d4b9' }), undefined, true],
    ['a Job', pod({ kind: 'Job', name: 'web' }), undefined, false],
    [
      'an owner that is not the controller',
      pod({ kind: 'StatefulSet', name: 'db', uid: 's1', controller: false }),
      undefined,
      false,
    ],
    ['no owner', pod(undefined), undefined, false],
  ];
  for (const [name, metadata, want, uncached] of cases)
    it(name, () => {
      const got = cachedControllingWorkload(metadata, 'app', workloadOf);
      if (want === undefined) expect(got).to.deep.equal({ uncached });
      else expect('workload' in got && `${got.workload.kind}/${got.workload.metadata.name}`).to.equal(want);
    });

  it('looks only in the pod’s namespace', () => {
    const got = cachedControllingWorkload(
      pod({ kind: 'ReplicaSet', name: 'web-7d4b9' }, '7d4b9'),
      'other',
      workloadOf,
    );
    expect(got).to.deep.equal({ uncached: true });
  });
});
