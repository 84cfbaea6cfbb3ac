import { expect } from 'chai';
import fc from 'fast-check';
import { podsFromPendingCache } from '../../../src/controller/init-hooks/cached-pods.ts';
import type { KnownTopOwner } from '../../../src/controller/init-hooks/cached-pods.ts';
import type { WorkloadKind } from '../../../src/controller/workload-kinds.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';

const DEPLOYMENT_UID = 'd-1';

function deployment(
  status: Record<string, number> | undefined,
  overrides: { replicas?: number; generation?: number; selector?: unknown } = {},
): Workload {
  return {
    metadata: { name: 'web', namespace: 'app', uid: DEPLOYMENT_UID, generation: overrides.generation ?? 2 },
    spec: {
      replicas: overrides.replicas ?? 3,
      selector: 'selector' in overrides ? overrides.selector : { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web' }] } },
    },
    ...(status ? { status } : {}),
  } as unknown as Workload;
}

/** What the Deployment controller reports once it has seen generation 2 and its 3 pods. */
const settled = { observedGeneration: 2, replicas: 3, updatedReplicas: 3 };

function pod(
  name: string,
  options: { replicaSet?: string; labels?: Record<string, string>; deleting?: boolean } = {},
): Pod {
  return {
    metadata: {
      name,
      namespace: 'app',
      uid: `uid-${name}`,
      labels: options.labels ?? { app: 'web' },
      ...(options.replicaSet
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: options.replicaSet,
                uid: `uid-${options.replicaSet}`,
                controller: true,
              },
            ],
          }
        : {}),
      ...(options.deleting ? { deletionTimestamp: '2026-11-25T00:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'web' }] },
    status: { phase: 'Pending' },
  };
}

/** web-1 is the Deployment's ReplicaSet, other-1 another Deployment's; any other ReplicaSet was never seen. */
const known: KnownTopOwner = (p) => {
  const owner = p.metadata.ownerReferences?.[0];
  if (!owner) return undefined;
  if (owner.name === 'web-1') return { kind: 'Deployment', name: 'web', uid: DEPLOYMENT_UID };
  if (owner.name === 'other-1') return { kind: 'Deployment', name: 'other', uid: 'd-2' };
  return 'unknown';
};

const own = (n: number) => Array.from({ length: n }, (_, i) => pod(`web-1-${i}`, { replicaSet: 'web-1' }));

const names = (pods: readonly Pod[] | undefined) => pods?.map((p) => p.metadata.name);

describe('podsFromPendingCache: a workload’s pods from the pending-pod cache, when its owner’s count proves they are all there', () => {
  const cases: {
    name: string;
    workload: Workload;
    pending: Pod[];
    kind?: WorkloadKind;
    want: string[] | undefined;
  }[] = [
    {
      name: 'every pod the Deployment counts is pending: its pods',
      workload: deployment(settled),
      pending: own(3),
      want: ['web-1-0', 'web-1-1', 'web-1-2'],
    },
    {
      name: 'one of its counted pods is not in the cache (it started): no proof',
      workload: deployment(settled),
      pending: own(2),
      want: undefined,
    },
    {
      name: 'more pending pods than counted (a status behind its pods): no proof',
      workload: deployment(settled),
      pending: own(4),
      want: undefined,
    },
    {
      name: 'the Deployment controller has not seen the current spec: no proof',
      workload: deployment({ ...settled, observedGeneration: 1 }),
      pending: own(3),
      want: undefined,
    },
    {
      name: 'no status yet: no proof',
      workload: deployment(undefined),
      pending: own(3),
      want: undefined,
    },
    {
      name: 'the count is not the wanted size (a scale under way): no proof',
      workload: deployment(settled, { replicas: 5 }),
      pending: own(3),
      want: undefined,
    },
    {
      name: 'a roll-out under way (not every pod at the current template): no proof',
      workload: deployment({ ...settled, updatedReplicas: 1 }),
      pending: own(3),
      want: undefined,
    },
    {
      name: 'a pod being deleted is its pod but not counted',
      workload: deployment(settled),
      pending: [...own(3), pod('web-1-gone', { replicaSet: 'web-1', deleting: true })],
      want: ['web-1-0', 'web-1-1', 'web-1-2', 'web-1-gone'],
    },
    {
      name: 'a pending pod awaiting adoption that the selector matches is its pod, not counted',
      workload: deployment(settled),
      pending: [...own(3), pod('restored')],
      want: ['web-1-0', 'web-1-1', 'web-1-2', 'restored'],
    },
    {
      name: 'pods of another Deployment, and pods the selector does not match, are left out',
      workload: deployment(settled),
      pending: [
        ...own(3),
        pod('other-1-0', { replicaSet: 'other-1' }),
        pod('db-0', { labels: { app: 'db' }, replicaSet: 'never-seen' }),
      ],
      want: ['web-1-0', 'web-1-1', 'web-1-2'],
    },
    {
      name: 'a selected pod whose ReplicaSet was never seen: no proof',
      workload: deployment(settled),
      pending: [...own(3), pod('web-2-0', { replicaSet: 'never-seen' })],
      want: undefined,
    },
    {
      name: 'zero replicas, reported by omission (Go omitempty), and no pod: no pods',
      workload: deployment({ observedGeneration: 2 }, { replicas: 0 }),
      pending: [],
      want: [],
    },
    {
      name: 'an empty selector proves nothing',
      workload: deployment(settled, { selector: {} }),
      pending: own(3),
      want: undefined,
    },
    {
      name: 'a StatefulSet (its count is not of active pods alone): no proof',
      kind: 'StatefulSet',
      workload: deployment(settled),
      pending: own(3),
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = podsFromPendingCache(c.kind ?? 'Deployment', c.workload, c.pending, known);
      expect(names(got)).to.deep.equal(c.want);
    });
  }

  it('a ReplicaSet of its own: counted through the ReplicaSet, whose count has no updatedReplicas', () => {
    const rs = {
      ...deployment({ observedGeneration: 2, replicas: 2 }, { replicas: 2 }),
      metadata: { name: 'cache', namespace: 'app', uid: 'uid-cache', generation: 2 },
    } as unknown as Workload;
    const pending = [pod('cache-0', { replicaSet: 'cache' }), pod('cache-1', { replicaSet: 'cache' })];
    const top: KnownTopOwner = () => ({ kind: 'ReplicaSet', name: 'cache', uid: 'uid-cache' });
    expect(names(podsFromPendingCache('ReplicaSet', rs, pending, top))).to.deep.equal(['cache-0', 'cache-1']);
    expect(podsFromPendingCache('ReplicaSet', rs, pending.slice(1), top)).to.equal(undefined);
  });
});

describe('podsFromPendingCache (property): with a count as the owner reports it, a proof leaves no pod of the workload out', () => {
  /** A pod of the world around the Deployment: its own (through web-1), another Deployment's, or awaiting adoption. */
  const worldPod = fc.record({
    owner: fc.constantFrom('web-1', 'other-1', 'none'),
    selected: fc.boolean(),
    pending: fc.boolean(),
    deleting: fc.boolean(),
  });
  it('the cached pods are then exactly the pods a live list of the workload gives', () => {
    fc.assert(
      fc.property(fc.array(worldPod, { maxLength: 8 }), fc.nat(6), (world, wanted) => {
        const pods = world.map((w, i) => ({
          ...w,
          // A pod awaiting adoption is always selected here: Velero restores it with its owner's labels, and an
          // unselected one is no pod of this workload either way.
          pod: pod(`p${i}`, {
            ...(w.owner === 'none' ? {} : { replicaSet: w.owner }),
            labels: w.selected || w.owner === 'none' ? { app: 'web' } : { app: 'db' },
            deleting: w.deleting,
          }),
        }));
        // Restored pods awaiting adoption that have started would be adopted and counted first (see the module).
        const world2 = pods.filter((p) => p.owner !== 'none' || p.pending);
        // The Deployment's own count: its ReplicaSet's active pods, whatever their phase.
        const active = world2.filter((p) => p.owner === 'web-1' && p.selected && !p.deleting).length;
        const workload = deployment(
          { observedGeneration: 2, replicas: active, updatedReplicas: active },
          { replicas: wanted },
        );
        // Started pods being deleted are the one thing a live list shows and the cache does not (see the module).
        const live = world2.filter(
          (p) => ((p.owner === 'web-1' && p.selected) || p.owner === 'none') && !(p.deleting && !p.pending),
        );
        const cache = world2.filter((p) => p.pending).map((p) => p.pod);
        const got = podsFromPendingCache('Deployment', workload, cache, known);
        if (got !== undefined) expect(names(got)).to.deep.equal(live.map((p) => p.pod.metadata.name));
        // And the proof is found whenever the cache does hold them all.
        if (wanted === active && live.every((p) => p.pending)) expect(got).to.not.equal(undefined);
      }),
    );
  });
});
