/** Standard 5-field cron schedules (minute hour day-of-month month day-of-week) and the @ macros, in UTC. */

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const RANGES: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

export class CronError extends Error {
  override name = 'CronError';
}

export interface CronSchedule {
  /** The first scheduled minute strictly after `after` (ms since the epoch), or undefined within 5 years. */
  next(after: number): number | undefined;
}

function field(text: string, [min, max]: [number, number], index: number): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new CronError(`field ${index + 1} ("${text}"): not a cron expression`);
    const [lo, upper] = m[1] === '*' ? [min, max] : (m[1]!.split('-').map(Number) as [number, number?]);
    const hi = upper ?? (m[2] ? max : lo);
    const step = m[2] ? Number(m[2]) : 1;
    const top = index === 4 ? 7 : max;
    if (lo < min || hi > top || lo > hi || step < 1)
      throw new CronError(`field ${index + 1} ("${text}"): out of range ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) out.add(index === 4 && v === 7 ? 0 : v);
  }
  return out;
}

export function parseCron(schedule: string): CronSchedule {
  const expression = MACROS[schedule.trim()] ?? schedule.trim();
  const parts = expression.split(/\s+/);
  if (parts.length !== 5)
    throw new CronError(`expected exactly 5 fields, found ${parts.length}: "${schedule}"`);
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) =>
    field(p, RANGES[i]!, i),
  ) as Set<number>[];
  const anyDay = parts[2] === '*';
  const anyWeekday = parts[4] === '*';
  return {
    next(after) {
      const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
      const limit = after + 5 * 366 * 86_400_000;
      while (t.getTime() < limit) {
        if (!months!.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0);
          continue;
        }
        const dom = days!.has(t.getUTCDate());
        const dow = weekdays!.has(t.getUTCDay());
        const dayOk = anyDay && anyWeekday ? true : anyDay ? dow : anyWeekday ? dom : dom || dow;
        if (!dayOk) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0);
          continue;
        }
        if (!hours!.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0);
          continue;
        }
        if (!minutes!.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1);
          continue;
        }
        return t.getTime();
      }
      return undefined;
    },
  };
}
