import { expect } from 'chai';
import fc from 'fast-check';
import { ReadyQueue } from '../../../src/controller/machinery/ready-queue.ts';

const drain = (queue: ReadyQueue): string[] => {
  const out: string[] = [];
  for (let key = queue.shift(); key !== undefined; key = queue.shift()) out.push(key);
  return out;
};

describe('ReadyQueue', () => {
  it('is a FIFO when every key has the same rank', () => {
    const queue = new ReadyQueue();
    for (const key of ['c', 'a', 'b']) queue.push(key, 0);
    expect(queue.length).to.equal(3);
    expect(drain(queue)).to.deep.equal(['c', 'a', 'b']);
    expect(queue.shift()).to.equal(undefined);
  });

  it('hands out the lowest rank first; -Infinity before all, Infinity and NaN after all', () => {
    const queue = new ReadyQueue();
    queue.push('late', Infinity);
    queue.push('unknown', NaN);
    queue.push('newer', 2000);
    queue.push('older', 1000);
    queue.push('under-way', -Infinity);
    expect(drain(queue)).to.deep.equal(['under-way', 'older', 'newer', 'late', 'unknown']);
  });

  it('orders any sequence of pushes and shifts by rank, then by arrival (property)', () => {
    const op = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant('shift' as const));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const queue = new ReadyQueue();
        const model: { key: string; rank: number; seq: number }[] = [];
        let seq = 0;
        for (const o of ops) {
          if (o === 'shift') {
            model.sort((a, b) => a.rank - b.rank || a.seq - b.seq);
            expect(queue.shift()).to.equal(model.shift()?.key);
          } else {
            const key = `k${seq}`;
            queue.push(key, o);
            model.push({ key, rank: o, seq: seq++ });
          }
          expect(queue.length).to.equal(model.length);
        }
      }),
    );
  });
});
