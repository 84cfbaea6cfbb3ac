/**
 * Go's time.ParseDuration and time.Duration.String, exactly: durations are signed 64-bit nanosecond counts.
 * Velero stores every hook timeout in this syntax (`30s`, `1h2m3.5s`, `300ms`).
 */

export type DurationResult = { ok: true; nanoseconds: bigint } | { ok: false; error: string };

const NANOSECOND = 1n;
const MICROSECOND = 1000n * NANOSECOND;
const MILLISECOND = 1000n * MICROSECOND;
const SECOND = 1000n * MILLISECOND;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NANOSECOND],
  ['us', MICROSECOND],
  ['\u00b5s', MICROSECOND], // U+00B5 micro sign
  ['\u03bcs', MICROSECOND], // U+03BC Greek small letter mu
  ['ms', MILLISECOND],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
]);

const TWO_63 = 1n << 63n;
export const MAX_DURATION = TWO_63 - 1n;
export const MIN_DURATION = -TWO_63;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function invalid(original: string, why = 'invalid duration'): DurationResult {
  return { ok: false, error: `time: ${why} ${JSON.stringify(original)}` };
}

/** Parses a Go duration string; never throws. Error messages follow Go's wording. */
export function parseGoDuration(original: string): DurationResult {
  let s = original;
  let d = 0n;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, nanoseconds: 0n };
  if (s === '') return invalid(original);
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) return invalid(original);
    // The integer part.
    let i = 0;
    let v = 0n;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > TWO_63 / 10n) return invalid(original);
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO_63) return invalid(original);
    }
    const hadInteger = i > 0;
    s = s.slice(i);
    // The fraction: digits beyond int64 precision are consumed and ignored, as Go does.
    let f = 0n;
    let scale = 1;
    let hadFraction = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > MAX_DURATION / 10n) {
          overflow = true;
          continue;
        }
        const next = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (next > TWO_63) {
          overflow = true;
          continue;
        }
        f = next;
        scale *= 10;
      }
      hadFraction = j > 0;
      s = s.slice(j);
    }
    if (!hadInteger && !hadFraction) return invalid(original);
    // The unit.
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    if (u === 0) return invalid(original, 'missing unit in duration');
    const unitName = s.slice(0, u);
    const unit = UNITS.get(unitName);
    if (unit === undefined)
      return {
        ok: false,
        error: `time: unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(original)}`,
      };
    s = s.slice(u);
    if (v > TWO_63 / unit) return invalid(original);
    v *= unit;
    if (f > 0n) {
      // Go computes this in float64 and truncates; so do we.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return invalid(original);
    }
    d += v;
    if (d > TWO_63) return invalid(original);
  }
  if (negative) return { ok: true, nanoseconds: -d };
  if (d > MAX_DURATION) return invalid(original);
  return { ok: true, nanoseconds: d };
}

/** Writes the fraction of v / 10^precision without trailing zeros; returns the digits before the point too. */
function splitFraction(v: bigint, precision: number): { whole: bigint; fraction: string } {
  const divisor = 10n ** BigInt(precision);
  const digits = (v % divisor).toString().padStart(precision, '0').replace(/0+$/, '');
  return { whole: v / divisor, fraction: digits === '' ? '' : `.${digits}` };
}

/** Go's Duration.String(): `1h2m3.5s`, `300ms`, `1.5µs`, `0s`. Accepts any int64 nanosecond count. */
export function formatGoDuration(nanoseconds: bigint): string {
  const negative = nanoseconds < 0n;
  const u = negative ? -nanoseconds : nanoseconds;
  let text: string;
  if (u === 0n) return '0s';
  if (u < SECOND) {
    const [precision, unit] = u < MICROSECOND ? [0, 'ns'] : u < MILLISECOND ? [3, '\u00b5s'] : [6, 'ms'];
    const { whole, fraction } = splitFraction(u, precision);
    text = `${whole}${fraction}${unit}`;
  } else {
    const { whole: totalSeconds, fraction } = splitFraction(u, 9);
    text = `${totalSeconds % 60n}${fraction}s`;
    const totalMinutes = totalSeconds / 60n;
    if (totalMinutes > 0n) {
      text = `${totalMinutes % 60n}m${text}`;
      const hours = totalMinutes / 60n;
      if (hours > 0n) text = `${hours}h${text}`;
    }
  }
  return negative ? `-${text}` : text;
}

/** Milliseconds for timers, rounded up so that a positive duration never becomes 0 ms. */
export function toMilliseconds(nanoseconds: bigint): number {
  const ms = nanoseconds / MILLISECOND + (nanoseconds % MILLISECOND > 0n ? 1n : 0n);
  return Number(ms);
}
