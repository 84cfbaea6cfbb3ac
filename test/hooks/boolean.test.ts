import { expect } from 'chai';
import fc from 'fast-check';
import { parseGoBool } from '../../src/hooks/boolean.ts';

describe('hooks/boolean: Go strconv.ParseBool', () => {
  for (const s of ['1', 't', 'T', 'TRUE', 'true', 'True'])
    it(`${JSON.stringify(s)} is true`, () => expect(parseGoBool(s)).to.equal(true));
  for (const s of ['0', 'f', 'F', 'FALSE', 'false', 'False'])
    it(`${JSON.stringify(s)} is false`, () => expect(parseGoBool(s)).to.equal(false));
  for (const s of ['', 'yes', 'no', 'on', 'tRUE', 'True ', ' true', 'y', '2', 'FaLsE'])
    it(`${JSON.stringify(s)} is an error`, () => expect(parseGoBool(s)).to.equal(undefined));

  it('never throws, and accepts exactly the twelve spellings', () => {
    const spellings = new Set([
      '1',
      't',
      'T',
      'TRUE',
      'true',
      'True',
      '0',
      'f',
      'F',
      'FALSE',
      'false',
      'False',
    ]);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(...spellings)), (s) => {
        expect(parseGoBool(s) !== undefined).to.equal(spellings.has(s));
      }),
      { numRuns: 2000 },
    );
  });
});
