import { expect } from 'chai';
import { createdDuringRestore } from '../../src/controller/membership.ts';
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
