import { expect } from 'chai';
import { OwnWrites, showsGeneration } from '../../src/controller/own-writes.ts';
import type { Generation } from '../../src/controller/own-writes.ts';

describe('OwnWrites: a cache that lags behind our own writes', () => {
  const written: Generation = { uid: 'u1', generation: 3 };
  const cases: Array<[string, Generation, boolean]> = [
    ['the cached object predates the write', { uid: 'u1', generation: 2 }, true],
    ['the cache shows the write', { uid: 'u1', generation: 3 }, false],
    ['the cache shows a later write', { uid: 'u1', generation: 4 }, false],
    ['another object of the same name replaced it', { uid: 'u2', generation: 1 }, false],
    ['a cached object without a generation predates any write', { uid: 'u1' }, true],
  ];
  for (const [title, cached, lags] of cases)
    it(`${title}: ${lags ? 'lags' : 'does not lag'}`, () => {
      const writes = new OwnWrites(showsGeneration);
      writes.record('Deployment/app/web', written);
      expect(writes.cacheLags('Deployment/app/web', cached)).to.equal(lags);
    });

  it('knows nothing of objects it did not write', () => {
    expect(
      new OwnWrites(showsGeneration).cacheLags('Deployment/app/web', { uid: 'u1', generation: 1 }),
    ).to.equal(false);
  });

  it('forgets a write once the cache has shown it', () => {
    const writes = new OwnWrites(showsGeneration);
    writes.record('k', written);
    expect(writes.cacheLags('k', { uid: 'u1', generation: 3 })).to.equal(false);
    // An older object seen afterwards (a re-list from a stale cache) is no longer held back.
    expect(writes.cacheLags('k', { uid: 'u1', generation: 2 })).to.equal(false);
  });

  it('keeps the latest write of an object', () => {
    const writes = new OwnWrites(showsGeneration);
    writes.record('k', written);
    writes.record('k', { uid: 'u1', generation: 5 });
    expect(writes.cacheLags('k', { uid: 'u1', generation: 4 })).to.equal(true);
  });

  it('ignores a response without uid or generation', () => {
    const writes = new OwnWrites(showsGeneration);
    writes.record('k', { uid: 'u1' });
    expect(writes.cacheLags('k', { uid: 'u1', generation: 1 })).to.equal(false);
  });
});
