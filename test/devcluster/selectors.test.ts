import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../src/devcluster/api/errors.ts';
import { parseFieldSelector, parseLabelSelector } from '../../src/devcluster/store/selectors.ts';
import { EventHistory } from '../../src/devcluster/store/history.ts';

describe('devcluster selectors', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/team': 'storage' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['example.com/team=storage', true],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['app in (web),!missing,tier', true],
  ];
  for (const [selector, expected] of cases)
    it(`label selector ${JSON.stringify(selector)} -> ${expected}`, () => {
      expect(parseLabelSelector(selector).matches(labels)).to.equal(expected);
    });

  for (const bad of ['app in (', 'a b c', 'app=web!', 'in in in', '!', 'app in ()'])
    it(`rejects the label selector ${JSON.stringify(bad)} with 400`, () => {
      expect(() => parseLabelSelector(bad))
        .to.throw(ApiError)
        .with.property('code', 400);
    });

  it('a label equality requirement matches exactly the objects carrying that value', () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const value = fc.constantFrom('x', 'y', 'z');
    fc.assert(
      fc.property(fc.dictionary(key, value), key, value, (ls, k, v) => {
        expect(parseLabelSelector(`${k}=${v}`).matches(ls)).to.equal(ls[k] === v);
        expect(parseLabelSelector(`${k}!=${v}`).matches(ls)).to.equal(ls[k] !== v);
        expect(parseLabelSelector(`!${k}`).matches(ls)).to.equal(!(k in ls));
      }),
    );
  });

  it('field selectors: =, ==, != and escaped commas; unsupported fields give 400', () => {
    const supported = new Set(['metadata.name', 'status.phase']);
    const s = parseFieldSelector('metadata.name==a\\,b,status.phase!=Failed', supported);
    expect(s.matches({ 'metadata.name': 'a,b', 'status.phase': 'Running' })).to.equal(true);
    expect(s.matches({ 'metadata.name': 'a,b', 'status.phase': 'Failed' })).to.equal(false);
    expect(() => parseFieldSelector('spec.nodeName=n1', supported)).to.throw(
      'field label not supported: spec.nodeName',
    );
    expect(() => parseFieldSelector('nonsense', supported))
      .to.throw(ApiError)
      .with.property('code', 400);
  });
});

describe('devcluster event history', () => {
  it('replays the events after a version and reports when it no longer reaches back', () => {
    const h = new EventHistory<{ rv: number }>(3);
    for (const rv of [2, 4, 6, 8]) h.push({ rv });
    expect(h.since(4)?.map((e) => e.rv)).to.deep.equal([6, 8]);
    expect(h.since(2)?.map((e) => e.rv)).to.deep.equal([4, 6, 8]);
    expect(h.since(1)).to.equal(undefined);
    h.compact(6);
    expect(h.since(5)).to.equal(undefined);
    expect(h.since(6)?.map((e) => e.rv)).to.deep.equal([8]);
  });

  it('keeps exactly the last `capacity` events, in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 60 }), (capacity, n) => {
        const h = new EventHistory<{ rv: number }>(capacity);
        for (let rv = 1; rv <= n; rv++) h.push({ rv });
        const kept = Math.min(capacity, n);
        const start = n - kept;
        expect(h.since(start)?.map((e) => e.rv)).to.deep.equal(
          Array.from({ length: kept }, (_, i) => start + i + 1),
        );
        if (start > 0) expect(h.since(start - 1)).to.equal(undefined);
      }),
    );
  });
});
