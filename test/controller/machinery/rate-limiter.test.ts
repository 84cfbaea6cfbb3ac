import { expect } from 'chai';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from '../../../src/controller/machinery/rate-limiter.ts';
import { TokenBucket } from '../../../src/controller/machinery/token-bucket.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';

describe('TokenBucket', () => {
  it('serves a burst at once, then one token per 1/qps, FIFO', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ qps: 10, burst: 3, clock });
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).to.deep.equal([0, 0, 0]);
    expect(bucket.reserve()).to.be.closeTo(100, 1e-9);
    expect(bucket.reserve()).to.be.closeTo(200, 1e-9);
    await clock.advance(200);
    expect(bucket.reserve()).to.be.closeTo(100, 1e-9);
    await clock.advance(10_000);
    expect(bucket.reserve(), 'refilled, but never beyond burst').to.equal(0);
    bucket.reserve();
    bucket.reserve();
    expect(bucket.reserve()).to.be.closeTo(100, 1e-9);
  });

  for (const [options, field] of [
    [{ qps: 0, burst: 1 }, 'qps'],
    [{ qps: Number.NaN, burst: 1 }, 'qps'],
    [{ qps: 1, burst: 0 }, 'burst'],
    [{ qps: 1, burst: 1.5 }, 'burst'],
  ] as const) {
    it(`rejects ${JSON.stringify(options)} naming ${field}`, () => {
      expect(() => new TokenBucket(options)).to.throw(RangeError, field);
    });
  }
});

describe('workqueue rate limiters', () => {
  it('ItemExponentialFailureRateLimiter doubles per key from the base up to the cap', () => {
    const limiter = new ItemExponentialFailureRateLimiter();
    const delays = Array.from({ length: 30 }, () => limiter.when('a'));
    expect(delays.slice(0, 5)).to.deep.equal([5, 10, 20, 40, 80]);
    expect(delays.at(-1)).to.equal(1_000_000);
    expect(Math.max(...delays)).to.equal(1_000_000);
    expect(limiter.when('b'), 'keys are independent').to.equal(5);
    expect(limiter.numRequeues('a')).to.equal(30);
    limiter.forget('a');
    expect(limiter.when('a')).to.equal(5);
  });

  it('does not overflow after very many failures', () => {
    const limiter = new ItemExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1000 });
    let last = 0;
    for (let i = 0; i < 2000; i++) last = limiter.when('a');
    expect(last).to.equal(1000);
  });

  it('rejects a cap below the base', () => {
    expect(() => new ItemExponentialFailureRateLimiter({ baseDelayMs: 10, maxDelayMs: 5 })).to.throw(
      'maxDelayMs',
    );
  });

  it('the default controller limiter is the max of per-key backoff and the overall bucket', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter({ clock, qps: 10, burst: 2 });
    expect(limiter.when('a')).to.equal(5);
    expect(limiter.when('b')).to.equal(5);
    expect(limiter.when('c'), 'bucket exhausted: 100 ms beats 5 ms').to.be.closeTo(100, 1e-9);
    expect(limiter.numRequeues('a')).to.equal(1);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).to.equal(0);
  });

  it('MaxOfRateLimiter forgets in every limiter', () => {
    const clock = new FakeClock();
    const exp = new ItemExponentialFailureRateLimiter();
    const limiter = new MaxOfRateLimiter(
      exp,
      new BucketRateLimiter(new TokenBucket({ qps: 1, burst: 100, clock })),
    );
    limiter.when('a');
    limiter.when('a');
    limiter.forget('a');
    expect(exp.numRequeues('a')).to.equal(0);
    expect(() => new MaxOfRateLimiter()).to.throw(RangeError);
  });
});
