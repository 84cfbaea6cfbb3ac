// The one place configuration parses Go durations. It will re-export the hook engine's parser
// (src/hooks/duration.ts) once that lands, so that the project keeps a single parser.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration ("1h30m", "300ms", "0") into milliseconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const term = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = term.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
    rest = rest.slice(m[0].length);
  }
  // Whole nanoseconds, as Go counts them; this also removes binary floating-point noise (1.001 * 1000).
  return (sign * Math.round(total * 1e6)) / 1e6;
}
