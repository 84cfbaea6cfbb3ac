import { expect } from 'chai';
import fc from 'fast-check';
import { DelayHeap } from '../../../src/controller/machinery/delay-heap.ts';

describe('DelayHeap', () => {
  it('pops each key once, at its earliest time, in time order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 0, max: 1000 })), {
          maxLength: 80,
        }),
        fc.integer({ min: 0, max: 1000 }),
        (pushes, now) => {
          const heap = new DelayHeap();
          const earliest = new Map<string, number>();
          for (const [key, at] of pushes) {
            heap.push(key, at);
            earliest.set(key, Math.min(at, earliest.get(key) ?? Infinity));
          }
          const expectedReady = [...earliest].filter(([, at]) => at <= now);
          const ready = heap.popReady(now);
          expect([...ready].sort()).to.deep.equal(expectedReady.map(([key]) => key).sort());
          const times = ready.map((key) => earliest.get(key)!);
          expect(times).to.deep.equal([...times].sort((x, y) => x - y));
          expect(heap.size).to.equal(earliest.size - expectedReady.length);
          const rest = heap.popReady(Infinity);
          expect(rest.length + ready.length).to.equal(earliest.size);
          expect(heap.peekReadyAt()).to.equal(undefined);
        },
      ),
    );
  });
});
