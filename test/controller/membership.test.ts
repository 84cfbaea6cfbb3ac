import { expect } from 'chai';
import { controllerChain, createdDuringRestore, restoreLabelOf } from '../../src/controller/membership.ts';
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

  const kinds = (chain: ChainLink[]) => chain.map((l) => l.kind);

  it('is the pod alone for a bare pod', () => {
    const pod = link('Pod', 'bare', restored);
    expect(controllerChain(pod, lookup)).to.deep.equal([pod]);
    expect(restoreLabelOf([pod])).to.equal('r1');
  });

  it('follows Pod → ReplicaSet → Deployment', () => {
    const chain = controllerChain(link('Pod', 'web-abc-1', ownedBy(newRs)), lookup);
    expect(kinds(chain)).to.deep.equal(['Pod', 'ReplicaSet', 'Deployment']);
    expect(restoreLabelOf(chain)).to.equal('r1');
  });

  it('follows Pod → StatefulSet', () => {
    const chain = controllerChain(link('Pod', 'db-0', ownedBy(sts)), lookup);
    expect(chain.at(-1)).to.equal(sts);
  });

  it('has no restore label for an unlabelled chain', () => {
    expect(restoreLabelOf(controllerChain(link('Pod', 'other-x-1', ownedBy(plainRs)), lookup))).to.equal(
      undefined,
    );
  });

  it('stops where an owner cannot be found', () => {
    const ghost = link('ReplicaSet', 'ghost', ownedBy(deployment));
    expect(kinds(controllerChain(link('Pod', 'orphan', ownedBy(ghost)), lookup))).to.deep.equal(['Pod']);
  });

  it('ignores owner references that are not the controller', () => {
    const pod = link('Pod', 'p', {
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'Deployment-web' }],
    });
    expect(controllerChain(pod, lookup)).to.deep.equal([pod]);
  });

  it('stops after three links, even on a cycle of owners', () => {
    const a: ChainLink = link('ReplicaSet', 'a', {
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: 'ReplicaSet-a', controller: true },
      ],
    });
    expect(controllerChain(a, () => a)).to.have.length(3);
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
