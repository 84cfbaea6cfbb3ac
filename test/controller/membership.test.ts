import { expect } from 'chai';
import { UNTRUSTED_CREATOR_ANNOTATION } from '../../src/controller/marks.ts';
import { createdDuringRestore, restoreMembership } from '../../src/controller/membership.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../src/hooks/validate.ts';
import { veleroLabelValue } from '../../src/kube/velero-labels.ts';

describe('membership', () => {
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

  const restore = { status: { startTimestamp: '2026-01-01T10:00:00Z' } };
  const scoped = parseRestoreHooks(
    { spec: { includedNamespaces: ['app', 'prod'], namespaceMapping: { prod: 'staging' } } },
    DEFAULT_HOOK_POLICY,
  );
  const members: Array<[string, string, string, string]> = [
    ['in an included namespace, created during the restore', 'app', '2026-01-01T10:00:05Z', 'Member'],
    ['in the mapped target namespace', 'staging', '2026-01-01T10:00:05Z', 'Member'],
    ['labelled by a tenant of another namespace', 'team', '2026-01-01T10:00:05Z', 'OutsideRestoreNamespaces'],
    [
      'in the source namespace that was mapped away',
      'prod',
      '2026-01-01T10:00:05Z',
      'OutsideRestoreNamespaces',
    ],
    [
      'in an included namespace, but older than the restore',
      'app',
      '2026-01-01T09:00:00Z',
      'OlderThanRestore',
    ],
  ];
  for (const [title, namespace, created, want] of members) {
    it(`restoreMembership: ${title} => ${want}`, () => {
      expect(restoreMembership({ namespace, creationTimestamp: created }, restore, scoped)).to.equal(want);
    });
  }
  it('restoreMembership: labelled by a tenant in a restored namespace, seen by the workload webhook => UntrustedCreator', () => {
    const meta = {
      namespace: 'app',
      creationTimestamp: '2026-01-01T10:00:05Z',
      annotations: { [UNTRUSTED_CREATOR_ANNOTATION]: 'system:serviceaccount:app:tenant' },
    };
    expect(restoreMembership(meta, restore, scoped)).to.equal('UntrustedCreator');
  });

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
