import { expect } from 'chai';
import fc from 'fast-check';
import { formatInjectionRecord, parseInjectionRecord } from '../../src/controller/marks.ts';

describe('injection record annotation', () => {
  const record = {
    restore: 'velero/r2',
    restoreUID: 'u',
    hooks: [{ name: 'restore-hook-init1', hash: 'abc' }],
  };

  it('round-trips', () => {
    expect(parseInjectionRecord(formatInjectionRecord(record))).to.deep.equal(record);
  });

  const bad: Array<[string, string | undefined]> = [
    ['absent', undefined],
    ['not JSON', '{nope'],
    ['JSON null', 'null'],
    ['missing restore', '{"restoreUID":"u","hooks":[]}'],
    ['hooks not a list', '{"restore":"a/b","restoreUID":"u","hooks":{}}'],
    ['hook without hash', '{"restore":"a/b","restoreUID":"u","hooks":[{"name":"x"}]}'],
  ];
  for (const [title, value] of bad) {
    it(`reads ${title} as no record`, () => expect(parseInjectionRecord(value)).to.equal(undefined));
  }

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseInjectionRecord(s)));
    fc.assert(fc.property(fc.json(), (s) => void parseInjectionRecord(s)));
  });
});
