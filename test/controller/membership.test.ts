import { expect } from 'chai';
import { createdDuringRestore, findRestoreLabel } from '../../src/controller/membership.ts';
import type { ChainLink, OwnerLookup } from '../../src/controller/membership.ts';
import type { ObjectMeta } from '../../src/kube/types.ts';
import { veleroLabelValue } from '../../src/kube/velero-labels.ts';

function link(kind: string, name: string, extra: Partial<ObjectMeta> = {}): ChainLink {
  return { kind, meta: { name, namespace: 'app', uid: `${kind}-${name}`, ...extra } };
}
function ownedBy(owner: ChainLink): Partial<ObjectMeta> {
  return {
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: owner.kind,
        name: owner.meta.name ?? '',
        uid: owner.meta.uid ?? '',
        controller: true,
      },
    ],
  };
}
const restored = { labels: { 'velero.io/restore-name': 'r1' } };

describe('membership', () => {
  const deployment = link('Deployment', 'web', restored);
  const newRs = link('ReplicaSet', 'web-abc', ownedBy(deployment));
  const sts = link('StatefulSet', 'db', restored);
  const plainDeployment = link('Deployment', 'other');
  const plainRs = link('ReplicaSet', 'other-x', ownedBy(plainDeployment));
  const known = new Map([deployment, newRs, sts, plainDeployment, plainRs].map((l) => [l.meta.uid, l]));
  const lookup: OwnerLookup = (_ns, ref) => known.get(ref.uid);

  it('finds the label on the object itself', () => {
    const pod = link('Pod', 'bare', restored);
    const ref = findRestoreLabel(pod, lookup);
    expect(ref?.labelValue).to.equal('r1');
    expect(ref?.labelledBy).to.equal(pod);
    expect(ref?.chain).to.deep.equal([]);
  });

  it('follows Pod → ReplicaSet → Deployment', () => {
    const ref = findRestoreLabel(link('Pod', 'web-abc-1', ownedBy(newRs)), lookup);
    expect(ref?.labelledBy).to.equal(deployment);
    expect(ref?.chain.map((l) => l.kind)).to.deep.equal(['ReplicaSet', 'Deployment']);
  });

  it('follows Pod → StatefulSet', () => {
    expect(findRestoreLabel(link('Pod', 'db-0', ownedBy(sts)), lookup)?.labelledBy).to.equal(sts);
  });

  it('returns nothing for an unlabelled chain', () => {
    expect(findRestoreLabel(link('Pod', 'other-x-1', ownedBy(plainRs)), lookup)).to.equal(undefined);
  });

  it('returns nothing when an owner cannot be found', () => {
    const ghost = link('ReplicaSet', 'ghost', ownedBy(deployment));
    expect(findRestoreLabel(link('Pod', 'orphan', ownedBy(ghost)), lookup)).to.equal(undefined);
  });

  it('ignores owner references that are not the controller', () => {
    const pod = link('Pod', 'p', {
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'Deployment-web' }],
    });
    expect(findRestoreLabel(pod, lookup)).to.equal(undefined);
  });

  it('stops at a cycle of owners', () => {
    const a: ChainLink = link('ReplicaSet', 'a', {
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: 'ReplicaSet-a', controller: true },
      ],
    });
    expect(findRestoreLabel(a, () => a)).to.equal(undefined);
  });

  const ages: Array<[string, string | undefined, string | undefined, boolean]> = [
    ['created after start', '2026-01-01T10:00:05Z', '2026-01-01T10:00:00Z', true],
    [
      'created in the same second as a fractional start',
      '2026-01-01T10:00:00Z',
      '2026-01-01T10:00:00.700Z',
      true,
    ],
    [
      'created before start (existingResourcePolicy=update)',
      '2026-01-01T09:00:00Z',
      '2026-01-01T10:00:00Z',
      false,
    ],
    ['restore not started', '2026-01-01T10:00:00Z', undefined, false],
    ['no creationTimestamp', undefined, '2026-01-01T10:00:00Z', false],
  ];
  for (const [title, created, start, want] of ages) {
    it(`createdDuringRestore: ${title} => ${want}`, () => {
      expect(createdDuringRestore(created ? { creationTimestamp: created } : {}, start)).to.equal(want);
    });
  }

  it('shortens long names the way Velero labels them', () => {
    const long = 'x'.repeat(70);
    expect(veleroLabelValue('r2')).to.equal('r2');
    expect(veleroLabelValue('y'.repeat(63))).to.equal('y'.repeat(63));
    const shortened = veleroLabelValue(long);
    expect(shortened).to.have.length(63);
    expect(shortened.slice(0, 57)).to.equal('x'.repeat(57));
    expect(shortened.slice(57)).to.match(/^[0-9a-f]{6}$/);
  });
});
