import { expect } from 'chai';
import fc from 'fast-check';
import { compileGlob, isLiteralGlob, matchIncludesExcludes } from '../../src/hooks/glob.ts';

function matches(pattern: string, value: string): boolean {
  const g = compileGlob(pattern);
  if (!g.ok) throw new Error(g.error);
  return g.matches(value);
}

describe('hooks/glob: Velero namespace globs', () => {
  const table: [string, string, boolean][] = [
    ['*', '', true],
    ['*', 'anything/at all', true],
    ['app', 'app', true],
    ['app', 'app-1', false],
    ['app-*', 'app-1', true],
    ['app-*', 'app-', true],
    ['app-*', 'app', false],
    ['*-prod', 'shop-prod', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['ns-[0-9]', 'ns-7', true],
    ['ns-[0-9]', 'ns-x', false],
    ['ns-[!0-9]', 'ns-x', true],
    ['ns-[!0-9]', 'ns-7', false],
    ['{dev,prod}-*', 'prod-eu', true],
    ['{dev,prod}-*', 'test-eu', false],
    ['a.b', 'axb', false],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['(x)', '(x)', true],
    ['a]', 'a]', true],
  ];
  for (const [p, v, expected] of table)
    it(`${JSON.stringify(p)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(v)}`, () => {
      expect(matches(p, v)).to.equal(expected);
    });

  for (const bad of ['[abc', 'x{a,b', 'trailing\\', '[z-a]'])
    it(`reports the invalid pattern ${JSON.stringify(bad)}`, () => {
      const g = compileGlob(bad);
      expect(g.ok).to.equal(false);
      if (!g.ok) expect(g.error).to.contain(JSON.stringify(bad));
    });

  describe('includes and excludes', () => {
    const cases: [string, string[] | undefined, string[] | undefined, boolean][] = [
      ['app', undefined, undefined, true],
      ['app', [], [], true],
      ['app', ['*'], [], true],
      ['app', ['*'], ['app'], false],
      ['app', ['app'], ['app'], false],
      ['app', ['app-*'], [], false],
      ['app-1', ['app-*'], ['app-2'], true],
      ['app-2', ['app-*'], ['app-2'], false],
      ['other', ['app'], undefined, false],
    ];
    for (const [ns, inc, exc, expected] of cases)
      it(`${ns} with include ${JSON.stringify(inc)} exclude ${JSON.stringify(exc)}: ${expected}`, () => {
        expect(matchIncludesExcludes(ns, inc, exc)).to.deep.equal({ included: expected, errors: [] });
      });

    it('reports invalid patterns, which match nothing', () => {
      expect(matchIncludesExcludes('app', ['[app'], undefined)).to.deep.include({ included: false });
      expect(matchIncludesExcludes('app', ['*'], ['[x']).errors).to.have.length(1);
    });
  });

  describe('properties', () => {
    it('never throws, whatever the pattern and value', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), fc.string(), (p, v) => {
          const g = compileGlob(p);
          if (g.ok) expect(typeof g.matches(v)).to.equal('boolean');
          else expect(g.error).to.be.a('string');
        }),
        { numRuns: 3000 },
      );
    });

    it('a literal pattern matches exactly itself (oracle: string equality)', () => {
      const literal = fc.string({ unit: 'grapheme' }).filter(isLiteralGlob);
      fc.assert(
        fc.property(literal, literal, (p, v) => {
          expect(matches(p, p)).to.equal(true);
          expect(matches(p, v)).to.equal(p === v);
        }),
        { numRuns: 2000 },
      );
    });

    it('an escaped string matches exactly itself', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme' }), (s) => {
          const escaped = Array.from(s)
            .map((c) => `\\${c}`)
            .join('');
          expect(matches(escaped, s)).to.equal(true);
          expect(matches(escaped, `${s}x`)).to.equal(false);
        }),
      );
    });

    it('prefix-* matches exactly the strings with that prefix', () => {
      const literal = fc.string().filter(isLiteralGlob);
      fc.assert(
        fc.property(literal, fc.string(), (prefix, v) => {
          expect(matches(`${prefix}*`, v)).to.equal(v.startsWith(prefix));
        }),
      );
    });
  });
});
