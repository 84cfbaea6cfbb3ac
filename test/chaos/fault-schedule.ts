/**
 * What the chaos run injects. Rules run inside the devcluster's fault injector for every API request (its seeded
 * generator decides which request fails); the schedule of compactions, pauses and kills comes from the run's seed.
 */

/** ~10% of API calls fail (429 with Retry-After, 500, 503), 5% of writes conflict, watches are cut every few seconds. */
export function faultRules(): unknown[] {
  return [
    { id: 'jitter', jitterMs: 20 },
    { id: 'throttle-429', error: { code: 429, rate: 0.03, retryAfterSeconds: 1 } },
    { id: 'internal-500', error: { code: 500, rate: 0.035 } },
    { id: 'unavailable-503', error: { code: 503, rate: 0.035 } },
    { id: 'conflict-409', verbs: ['update', 'patch'], error: { code: 409, rate: 0.05 } },
    // Pod watches lose their connection mid-stream; every other watch is ended cleanly.
    {
      id: 'drop-pod-watches',
      verbs: ['watch'],
      resources: ['pods'],
      cutWatch: { afterSeconds: 4, mode: 'drop' },
    },
    { id: 'close-watches', verbs: ['watch'], cutWatch: { afterSeconds: 5, mode: 'close' } },
  ];
}

export type ScheduledEvent =
  | { atMs: number; kind: 'compact' }
  | { atMs: number; kind: 'pause'; durationMs: number }
  | { atMs: number; kind: 'kill-leader' | 'kill-follower' };

/**
 * Over the first 80 s after the Restore is created: a history compaction every 6–10 s, an API pause of 2–5 s every
 * 12–20 s, and five SIGKILLs 12–18 s apart, three of them aimed at the current leader (each costs a lease duration
 * before the follower takes over). Sorted by time.
 */
export function planSchedule(random: () => number): ScheduledEvent[] {
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min));
  const events: ScheduledEvent[] = [];
  for (let t = between(3000, 6000); t < 80_000; t += between(6000, 10_000))
    events.push({ atMs: t, kind: 'compact' });
  for (let t = between(8000, 12_000); t < 80_000; t += between(12_000, 20_000))
    events.push({ atMs: t, kind: 'pause', durationMs: between(2000, 5000) });
  const kinds = ['kill-leader', 'kill-follower', 'kill-leader', 'kill-follower', 'kill-leader'] as const;
  let t = between(12_000, 18_000);
  for (const kind of kinds) {
    events.push({ atMs: t, kind });
    t += between(12_000, 18_000);
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}
