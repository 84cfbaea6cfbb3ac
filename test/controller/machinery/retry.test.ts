import { ApiException } from '@kubernetes/client-node';
import { expect } from 'chai';
import { DEFAULT_BACKOFF, retryOnConflict, retryOnError } from '../../../src/controller/machinery/retry.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';

const conflict = () =>
  new ApiException(409, 'HTTP-Code: 409', '{"kind":"Status","reason":"Conflict","code":409}', {});

/** Runs `promise` to completion while moving the fake clock forward in 1 ms steps. */
async function drive<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  for (let i = 0; i < 100_000 && !settled; i++) await clock.advance(1);
  return watched;
}

describe('retry', () => {
  it('retryOnConflict re-runs the function until it stops conflicting', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const result = await drive(
      clock,
      retryOnConflict(
        async () => {
          calls += 1;
          if (calls < 3) throw conflict();
          return 'written';
        },
        { clock, random: () => 0 },
      ),
    );
    expect(result).to.equal('written');
    expect(calls).to.equal(3);
  });

  it('retryOnConflict gives up after DefaultRetry steps (5) with the last error', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const outcome = drive(
      clock,
      retryOnConflict(
        async () => {
          calls += 1;
          throw conflict();
        },
        { clock },
      ).catch((error: unknown) => error),
    );
    expect(await outcome).to.be.instanceOf(ApiException);
    expect(calls).to.equal(5);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    const error = await retryOnConflict(async () => {
      calls += 1;
      throw new ApiException(404, 'x', '', {});
    }).catch((e: unknown) => e);
    expect((error as ApiException<string>).code).to.equal(404);
    expect(calls).to.equal(1);
  });

  it('waits duration × factor^n between attempts', async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    await drive(
      clock,
      retryOnError(
        DEFAULT_BACKOFF,
        () => true,
        async () => {
          attempts.push(clock.now());
          throw new Error('x');
        },
        { clock, random: () => 0 },
      ).catch(() => undefined),
    );
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps).to.deep.equal([10, 50, 250]);
  });

  it('rejects a backoff without steps', async () => {
    const error = await retryOnError(
      { ...DEFAULT_BACKOFF, steps: 0 },
      () => true,
      async () => 1,
    ).catch((e: unknown) => e);
    expect(String(error)).to.contain('backoff.steps');
  });
});
