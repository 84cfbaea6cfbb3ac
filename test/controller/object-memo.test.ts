import { expect } from 'chai';
import { ObjectMemo } from '../../src/controller/object-memo.ts';

describe('ObjectMemo: a value remembered per cached object while its other inputs stay the same', () => {
  it('computes again only for another object, or an input that is not the same one', () => {
    const calls: string[] = [];
    const memo = new ObjectMemo((o: { name: string }, hooks: object, n: number) => {
      calls.push(`${o.name}/${n}`);
      return { of: o.name, n };
    });
    const a = { name: 'a' };
    const aReplaced = { name: 'a' };
    const hooks = {};
    const steps: [string, { name: string }, object, number, boolean][] = [
      ['first time', a, hooks, 1, true],
      ['same object and inputs', a, hooks, 1, false],
      ['a number input changed', a, hooks, 2, true],
      ['back to the first input: only the last is remembered', a, hooks, 1, true],
      ['an equal but new input object', a, {}, 1, true],
      ['the object replaced by an equal copy (the cache replaced it)', aReplaced, hooks, 1, true],
      ['the replacement again', aReplaced, hooks, 1, false],
    ];
    let first: unknown;
    for (const [title, object, h, n, computes] of steps) {
      const before = calls.length;
      const value = memo.get(object, h, n);
      expect(calls.length - before, title).to.equal(computes ? 1 : 0);
      expect(value, title).to.deep.equal({ of: object.name, n });
      if (title === 'first time') first = value;
      if (title === 'same object and inputs') expect(value, 'the very value remembered').to.equal(first);
    }
  });
});
