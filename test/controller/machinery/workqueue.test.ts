import { expect } from 'chai';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { ItemExponentialFailureRateLimiter } from '../../../src/controller/machinery/rate-limiter.ts';
import { WorkQueue } from '../../../src/controller/machinery/workqueue.ts';
import { createWorkQueueMetrics } from '../../../src/controller/machinery/workqueue-metrics.ts';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.ts';
import { metricValue } from '../../helpers/metrics.ts';

function newQueue(clock = new FakeClock(), registry?: Registry): WorkQueue {
  return new WorkQueue({
    clock,
    rateLimiter: new ItemExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1_000_000 }),
    metrics: registry ? createWorkQueueMetrics(registry, 'test') : undefined,
  });
}

describe('WorkQueue', () => {
  it('queues a key at most once', async () => {
    const queue = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.len()).to.equal(2);
    expect(await queue.get()).to.equal('a');
    expect(await queue.get()).to.equal('b');
    expect(queue.len()).to.equal(0);
  });

  it('hands out ready keys by rank when given one, each ranked when it becomes ready', async () => {
    const clock = new FakeClock();
    const ranks = new Map([
      ['new', 3],
      ['old', 1],
      ['mid', 2],
    ]);
    const queue = new WorkQueue({ clock, rank: (key) => ranks.get(key) ?? 0 });
    queue.add('new');
    queue.add('mid');
    queue.addAfter('old', 10);
    await clock.advance(10);
    expect(await queue.get()).to.equal('old');
    queue.done('old');
    ranks.set('new', 0); // ranked when added: a later change does not reorder the queue
    expect(await queue.get()).to.equal('mid');
    queue.add('old');
    expect(await queue.get()).to.equal('old');
    expect(await queue.get()).to.equal('new');
  });

  it('does not hand out a key that is being processed, and re-queues it on done if re-added', async () => {
    const queue = newQueue();
    queue.add('a');
    const first = await queue.get();
    expect(first).to.equal('a');
    queue.add('a');
    queue.add('a');
    expect(queue.len(), 'held back while processing').to.equal(0);
    let second: string | undefined;
    void queue.get().then((key) => (second = key));
    await flushMicrotasks();
    expect(second, 'no second worker gets the key').to.equal(undefined);
    queue.done('a');
    await flushMicrotasks();
    expect(second).to.equal('a');
    queue.done('a');
    expect(queue.len()).to.equal(0);
  });

  it('never hands one key to two getters at once, whatever the interleaving (property)', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), key: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('get' as const) }),
      fc.record({ kind: fc.constant('done' as const), index: fc.nat(5) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const queue = newQueue();
        const processing: string[] = [];
        const added = new Set<string>();
        for (const o of ops) {
          if (o.kind === 'add') {
            queue.add(o.key);
            added.add(o.key);
          } else if (o.kind === 'get' && queue.len() > 0) {
            const key = (await queue.get())!;
            expect(processing).not.to.include(key);
            processing.push(key);
            added.delete(key);
          } else if (o.kind === 'done' && processing.length > 0) {
            const [key] = processing.splice(o.index % processing.length, 1);
            queue.done(key!);
          }
        }
        // Every key added and not yet handed out is still obtainable once the processors finish.
        for (const key of processing.splice(0)) queue.done(key);
        const remaining = new Set<string>();
        while (queue.len() > 0) {
          const key = (await queue.get())!;
          remaining.add(key);
          queue.done(key);
        }
        expect([...remaining].sort()).to.deep.equal([...added].sort());
      }),
    );
  });

  it('wakes a waiting getter when a key arrives', async () => {
    const queue = newQueue();
    const pending = queue.get();
    queue.add('x');
    expect(await pending).to.equal('x');
  });

  it('addAfter delays a key with one timer, and an earlier delay for the same key wins', async () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.addAfter('a', 100);
    queue.addAfter('b', 50);
    queue.addAfter('a', 30);
    queue.addAfter('a', 500);
    expect(clock.pendingTimers()).to.equal(1);
    await clock.advance(29);
    expect(queue.len()).to.equal(0);
    await clock.advance(1);
    expect(queue.len()).to.equal(1);
    expect(await queue.get()).to.equal('a');
    await clock.advance(20);
    expect(await queue.get()).to.equal('b');
    await clock.advance(10_000);
    expect(queue.len(), 'superseded entries of a do not fire again').to.equal(0);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('backs off a failing key exponentially from 5 ms, capped, and forget resets it', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({
      clock,
      rateLimiter: new ItemExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 40 }),
    });
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const before = clock.now();
      queue.addRateLimited('k');
      let waited = 0;
      while (queue.len() === 0) {
        await clock.advance(1);
        waited += 1;
        expect(waited).to.be.below(1000);
      }
      delays.push(clock.now() - before);
      queue.done((await queue.get())!);
    }
    expect(delays).to.deep.equal([5, 10, 20, 40, 40, 40]);
    expect(queue.numRequeues('k')).to.equal(6);
    queue.forget('k');
    expect(queue.numRequeues('k')).to.equal(0);
  });

  it('after shutDown ignores adds, drains queued keys, then returns undefined', async () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.add('a');
    queue.addAfter('later', 10);
    queue.shutDown();
    queue.add('b');
    queue.addRateLimited('c');
    expect(await queue.get()).to.equal('a');
    expect(await queue.get()).to.equal(undefined);
    await clock.advance(100);
    expect(queue.len()).to.equal(0);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('shutDown wakes idle getters with undefined', async () => {
    const queue = newQueue();
    const pending = queue.get();
    queue.shutDown();
    expect(await pending).to.equal(undefined);
  });

  it('shutDownWithDrain waits for every key handed out to be done', async () => {
    const queue = newQueue();
    queue.add('a');
    queue.add('b');
    const a = (await queue.get())!;
    const b = (await queue.get())!;
    let drained = false;
    const drain = queue.shutDownWithDrain().then(() => (drained = true));
    queue.done(a);
    await flushMicrotasks();
    expect(drained).to.equal(false);
    queue.done(b);
    await drain;
    expect(drained).to.equal(true);
  });

  it('shutDownWithDrain resolves even when a key was re-added while it was processing', async () => {
    const queue = newQueue();
    queue.add('a');
    const a = (await queue.get())!;
    queue.add('a');
    const drain = queue.shutDownWithDrain();
    queue.done(a);
    await drain;
    expect(queue.len(), 'the re-added key is still queued, not in progress').to.equal(1);
  });

  it('reports client-go workqueue metrics', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const queue = newQueue(clock, registry);
    const labels = { name: 'test', controller: 'test' };
    queue.add('a');
    queue.add('a');
    queue.add('b');
    expect(await metricValue(registry, 'workqueue_depth', labels)).to.equal(2);
    expect(await metricValue(registry, 'workqueue_adds_total', labels)).to.equal(2);
    await clock.advance(250);
    const a = (await queue.get())!;
    expect(await metricValue(registry, 'workqueue_depth', labels)).to.equal(1);
    expect(await metricValue(registry, 'workqueue_queue_duration_seconds_sum', labels)).to.be.closeTo(
      0.25,
      1e-9,
    );
    await clock.advance(2_000);
    expect(await metricValue(registry, 'workqueue_unfinished_work_seconds', labels)).to.be.closeTo(2, 1e-9);
    expect(await metricValue(registry, 'workqueue_longest_running_processor_seconds', labels)).to.be.closeTo(
      2,
      1e-9,
    );
    queue.done(a);
    expect(await metricValue(registry, 'workqueue_work_duration_seconds_count', labels)).to.equal(1);
    expect(await metricValue(registry, 'workqueue_work_duration_seconds_sum', labels)).to.be.closeTo(2, 1e-9);
    expect(await metricValue(registry, 'workqueue_unfinished_work_seconds', labels)).to.equal(0);
    queue.addRateLimited('a');
    expect(await metricValue(registry, 'workqueue_retries_total', labels)).to.equal(1);
    queue.shutDown();
  });
});
