/** The simulation's work queue with asynchronous reconciles, and kube-controller-manager's slowStartBatch. */
import { expect } from 'chai';
import { WorkQueue } from '../../../src/devcluster/sim/queue.ts';
import { slowStartBatch } from '../../../src/devcluster/sim/meta.ts';
import { eventually } from '../../helpers/eventually.ts';

describe('devcluster simulation work queue', () => {
  it('never runs a key while its asynchronous reconcile is pending, and runs it again once if added meanwhile', async () => {
    const log: string[] = [];
    const releases: (() => void)[] = [];
    const queue = new WorkQueue('test', (key) => {
      log.push(`start ${key}`);
      return new Promise<void>((resolve) =>
        releases.push(() => {
          log.push(`end ${key}`);
          resolve();
        }),
      );
    });
    try {
      queue.add('a');
      await eventually(() => releases.length === 1, 'a to start');
      queue.add('a');
      queue.add('a');
      queue.add('b');
      await eventually(() => releases.length === 2, 'b to start while a is pending');
      await new Promise((r) => setTimeout(r, 50));
      expect(log).to.deep.equal(['start a', 'start b']);
      releases[0]!();
      await eventually(() => releases.length === 3, 'a to run again');
      releases[1]!();
      releases[2]!();
      await new Promise((r) => setTimeout(r, 50));
      expect(log).to.deep.equal(['start a', 'start b', 'end a', 'start a', 'end b', 'end a']);
    } finally {
      queue.stop();
    }
  });

  it('retries a key whose asynchronous reconcile failed', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const queue = new WorkQueue(
      'test',
      async () => {
        calls++;
        if (calls < 3) throw new Error(`attempt ${calls}`);
      },
      { onError: (_key, error) => errors.push(error) },
    );
    try {
      queue.add('k');
      await eventually(() => calls === 3, 'the third attempt');
      expect(errors.map((e) => (e as Error).message)).to.deep.equal(['attempt 1', 'attempt 2']);
    } finally {
      queue.stop();
    }
  });

  it('ends a batch after sliceMs of synchronous work, so that other callbacks run between batches', async () => {
    const done: string[] = [];
    const queue = new WorkQueue(
      'test',
      (key) => {
        const until = performance.now() + 1;
        while (performance.now() < until);
        done.push(key);
      },
      { sliceMs: 5 },
    );
    try {
      for (let i = 0; i < 100; i++) queue.add(`k${i}`);
      const between = await new Promise<number>((resolve) => setImmediate(() => resolve(done.length)));
      // One batch of about 5 keys ran before this callback (all 100 without the slice: the batch size is 500).
      expect(between).to.be.within(1, 50);
      await eventually(() => done.length === 100, 'every key');
      expect(new Set(done).size).to.equal(100);
    } finally {
      queue.stop();
    }
  });

  it('slowStartBatch creates in batches of 1, 2, 4, ... and stops after a batch with a failure', async () => {
    const cases: [number, number | undefined, number[]][] = [
      [0, undefined, []],
      [1, undefined, [1]],
      [7, undefined, [1, 2, 4]],
      [10, undefined, [1, 2, 4, 3]],
      [10, 2, [1, 2]],
    ];
    for (const [count, failAt, batches] of cases) {
      const seen: number[] = [];
      let inFlight = 0;
      let batch = 0;
      const run = slowStartBatch(count, async (i) => {
        if (inFlight === 0) seen.push(0);
        inFlight++;
        seen[seen.length - 1]!++;
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        batch++;
        if (i === failAt) throw new Error(`create ${i} failed`);
      });
      if (failAt === undefined) await run;
      else
        await run.then(
          () => expect.fail('should have failed'),
          (e: Error) => expect(e.message).to.equal(`create ${failAt} failed`),
        );
      expect(seen, `count ${count}`).to.deep.equal(batches);
      expect(batch).to.equal(batches.reduce((a, b) => a + b, 0));
    }
  });
});
