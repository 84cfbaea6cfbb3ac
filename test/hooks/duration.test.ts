import { expect } from 'chai';
import fc from 'fast-check';
import {
  MAX_DURATION,
  MIN_DURATION,
  formatGoDuration,
  parseGoDuration,
  toMilliseconds,
} from '../../src/hooks/duration.ts';

const S = 1_000_000_000n;

describe('hooks/duration: Go time.ParseDuration', () => {
  const valid: [string, bigint][] = [
    ['0', 0n],
    ['-0', 0n],
    ['+0', 0n],
    ['5s', 5n * S],
    ['30s', 30n * S],
    ['1478s', 1478n * S],
    ['-5s', -5n * S],
    ['+5s', 5n * S],
    ['-0s', 0n],
    ['5.0s', 5n * S],
    ['5.6s', 5n * S + 600_000_000n],
    ['5.s', 5n * S],
    ['.5s', 500_000_000n],
    ['1.0s', S],
    ['1.00s', S],
    ['1.004s', S + 4_000_000n],
    ['100.00100s', 100n * S + 1_000_000n],
    ['10ns', 10n],
    ['11us', 11_000n],
    ['12\u00b5s', 12_000n],
    ['12\u03bcs', 12_000n],
    ['13ms', 13_000_000n],
    ['14s', 14n * S],
    ['15m', 15n * 60n * S],
    ['16h', 16n * 3600n * S],
    ['3h30m', (3n * 3600n + 30n * 60n) * S],
    ['10.5s4m', 4n * 60n * S + 10n * S + 500_000_000n],
    ['-2m3.4s', -(2n * 60n * S + 3n * S + 400_000_000n)],
    ['1h2m3s4ms5us6ns', 3600n * S + 120n * S + 3n * S + 4_000_000n + 5_000n + 6n],
    ['1h2m3.5s', 3723n * S + 500_000_000n],
    ['39h9m14.425s', (39n * 3600n + 9n * 60n + 14n) * S + 425_000_000n],
    ['52763797000ns', 52_763_797_000n],
    ['0.3333333333333333333h', 1_200_000_000_000n],
    ['9007199254740993ns', 9_007_199_254_740_993n],
    ['9223372036854775807ns', MAX_DURATION],
    ['9223372036854775.807us', MAX_DURATION],
    ['-9223372036854775808ns', MIN_DURATION],
    ['-9223372036854775.808us', MIN_DURATION],
    ['0.100000000000000000000h', 360n * S],
    ['0.9223372036854775807999h', 3_320_413_933_267n], // fraction digits beyond int64 precision are dropped
    ['0.9223372036854775808h', 3_320_413_933_267n],
    ['0.830103483285477580700h', 2_988_372_539_827n],
    ['300ms', 300_000_000n],
    ['-1.5h', -5400n * S],
  ];
  for (const [input, expected] of valid)
    it(`parses ${JSON.stringify(input)}`, () => {
      expect(parseGoDuration(input)).to.deep.equal({ ok: true, nanoseconds: expected });
    });

  const invalid: [string, string][] = [
    ['', 'time: invalid duration ""'],
    ['3', 'time: missing unit in duration "3"'],
    ['1', 'time: missing unit in duration "1"'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.', 'time: invalid duration "."'],
    ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'],
    ['+.s', 'time: invalid duration "+.s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
    ['9223372036854ms775us808ns', 'time: invalid duration "9223372036854ms775us808ns"'],
    ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
    [' 1s', 'time: invalid duration " 1s"'],
    ['1s ', 'time: unknown unit "s " in duration "1s "'],
  ];
  for (const [input, error] of invalid)
    it(`rejects ${JSON.stringify(input)}`, () => {
      expect(parseGoDuration(input)).to.deep.equal({ ok: false, error });
    });

  const formatted: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [1100n, '1.1\u00b5s'],
    [2_200_000n, '2.2ms'],
    [3_300_000_000n, '3.3s'],
    [4n * 60n * S + 5n * S, '4m5s'],
    [4n * 60n * S + 5n * S + 1_000_000n, '4m5.001s'],
    [5n * 3600n * S + 6n * 60n * S + 7n * S + 1_000_000n, '5h6m7.001s'],
    [8n * 60n * S + 1n, '8m0.000000001s'],
    [3600n * S, '1h0m0s'],
    [MAX_DURATION, '2562047h47m16.854775807s'],
    [MIN_DURATION, '-2562047h47m16.854775808s'],
  ];
  for (const [ns, text] of formatted)
    it(`formats ${ns} ns as ${text}`, () => {
      expect(formatGoDuration(ns)).to.equal(text);
    });

  it('rounds milliseconds up, so a positive duration never becomes 0 ms', () => {
    expect(toMilliseconds(1n)).to.equal(1);
    expect(toMilliseconds(30n * S)).to.equal(30_000);
    expect(toMilliseconds(1_500_001n)).to.equal(2);
  });

  describe('properties', () => {
    it('never throws, whatever the input', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (s) => {
          const r = parseGoDuration(s);
          expect(r.ok === true || (typeof r.error === 'string' && r.error.startsWith('time: '))).to.equal(
            true,
          );
        }),
        { numRuns: 2000 },
      );
    });

    it('never throws on duration-like strings, and any result is an int64', () => {
      const piece = fc.tuple(
        fc.stringMatching(/^[0-9]{0,22}(\.[0-9]{0,22})?$/),
        fc.constantFrom('ns', 'us', '\u00b5s', 'ms', 's', 'm', 'h', 'd', ''),
      );
      fc.assert(
        fc.property(fc.constantFrom('', '-', '+'), fc.array(piece, { maxLength: 5 }), (sign, pieces) => {
          const r = parseGoDuration(sign + pieces.map(([n, u]) => n + u).join(''));
          if (r.ok) expect(r.nanoseconds >= MIN_DURATION && r.nanoseconds <= MAX_DURATION).to.equal(true);
        }),
        { numRuns: 2000 },
      );
    });

    it('round-trips: parse(format(d)) = d for every int64 d', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: MIN_DURATION, max: MAX_DURATION }), (d) => {
          expect(parseGoDuration(formatGoDuration(d))).to.deep.equal({ ok: true, nanoseconds: d });
        }),
        { numRuns: 2000 },
      );
    });

    it('is additive over concatenated whole-unit components (oracle)', () => {
      const units: [string, bigint][] = [
        ['h', 3600n * S],
        ['m', 60n * S],
        ['s', S],
        ['ms', 1_000_000n],
        ['us', 1000n],
        ['ns', 1n],
      ];
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat({ max: 10_000 }), fc.nat({ max: 5 })), { minLength: 1, maxLength: 6 }),
          (parts) => {
            const text = parts.map(([n, u]) => `${n}${units[u]![0]}`).join('');
            const sum = parts.reduce((acc, [n, u]) => acc + BigInt(n) * units[u]![1], 0n);
            expect(parseGoDuration(text)).to.deep.equal({ ok: true, nanoseconds: sum });
          },
        ),
      );
    });
  });
});
