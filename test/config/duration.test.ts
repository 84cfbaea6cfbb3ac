import { expect } from 'chai';
import fc from 'fast-check';
import { parseGoDuration } from '../../src/config/duration.ts';
import { formatDuration } from '../../src/config/resolve.ts';

describe('config: Go durations', () => {
  const ok: Array<[string, number]> = [
    ['0', 0],
    ['300ms', 300],
    ['1.5s', 1500],
    ['1h30m', 5_400_000],
    ['2h45m10s', 9_910_000],
    ['1000us', 1],
    ['1000µs', 1],
    ['1000000ns', 1],
    ['-1m', -60_000],
    ['.5s', 500],
  ];
  for (const [text, ms] of ok) it(`parses ${text}`, () => expect(parseGoDuration(text)).to.equal(ms));

  for (const text of ['', '5', '5x', '1d', 'h', '1h 30m', '--1s', 's1', '1.2.3s'])
    it(`rejects ${JSON.stringify(text)}`, () => expect(parseGoDuration(text)).to.equal(undefined));

  it('reads back what formatDuration writes (whole milliseconds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 * 3_600_000 }),
        (ms) => parseGoDuration(formatDuration(ms)) === ms,
      ),
    );
  });
});
