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
  | { atMs: number; kind: 'kill-leader' | 'kill-follower' }
  | { atMs: number; kind: 'stall-webhook'; durationMs: number }
  | { atMs: number; kind: 'certificate'; fault: 'near-expiry-serving' | 'near-expiry-ca' }
  | { atMs: number; kind: 'restart'; component: RestartableComponent };

/** Control-plane processes the real bed kills (SIGKILL) and restarts, and the stand-in kubelet it crashes. */
export const RESTARTABLE_COMPONENTS = ['kube-controller-manager', 'kube-scheduler', 'node-agent'] as const;
export type RestartableComponent = (typeof RESTARTABLE_COMPONENTS)[number];

/** The webhooks' timeoutSeconds (webhook-configuration.ts): a stall longer than this makes calls time out. */
export const WEBHOOK_TIMEOUT_MS = 5000;

type Between = (min: number, max: number) => number;

/**
 * The admission faults, over [fromMs, toMs): two stalls of the webhook Service longer than the webhooks'
 * timeoutSeconds, then a forced renewal of the serving certificate and one of the CA, apart from each other.
 */
function admissionFaults(between: Between, fromMs: number, toMs: number): ScheduledEvent[] {
  const span = toMs - fromMs;
  return [
    {
      atMs: fromMs + between(0, span / 2),
      kind: 'stall-webhook',
      durationMs: WEBHOOK_TIMEOUT_MS + between(1000, 4000),
    },
    {
      atMs: fromMs + between(span / 2, span),
      kind: 'stall-webhook',
      durationMs: WEBHOOK_TIMEOUT_MS + between(1000, 4000),
    },
    { atMs: fromMs + between(span / 10, span / 3), kind: 'certificate', fault: 'near-expiry-serving' },
    { atMs: fromMs + between((span * 2) / 3, span), kind: 'certificate', fault: 'near-expiry-ca' },
  ];
}

/**
 * Over the first 80 s after the Restore is created: a history compaction every 6–10 s, an API pause of 2–5 s every
 * 12–20 s, and five SIGKILLs 12–18 s apart, three of them aimed at the current leader (each costs a lease duration
 * before the follower takes over; every replica serves the webhooks, so each kill also takes a serving replica out
 * from under the webhook Service); then the admission faults over 8–70 s. Sorted by time.
 */
export function planSchedule(random: () => number): ScheduledEvent[] {
  const between: Between = (min, max) => min + Math.floor(random() * (max - min));
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
  events.push(...admissionFaults(between, 8000, 70_000));
  return events.sort((a, b) => a.atMs - b.atMs);
}

/**
 * The real bed's shortened schedule, over the first 60 s after the Restore is created (there is no fault injector:
 * the faults are processes dying): three SIGKILLs of controller replicas 10–16 s apart (two of the leader), one
 * SIGKILL and restart each of kube-controller-manager and kube-scheduler, one crash and restart of the stand-in
 * kubelet, and the admission faults over 5–55 s. Sorted by time.
 */
export function planRealSchedule(random: () => number): ScheduledEvent[] {
  const between: Between = (min, max) => min + Math.floor(random() * (max - min));
  const events: ScheduledEvent[] = [];
  let t = between(8000, 14_000);
  for (const kind of ['kill-leader', 'kill-follower', 'kill-leader'] as const) {
    events.push({ atMs: t, kind });
    t += between(10_000, 16_000);
  }
  for (const component of RESTARTABLE_COMPONENTS)
    events.push({ atMs: between(5000, 50_000), kind: 'restart', component });
  events.push(...admissionFaults(between, 5000, 55_000));
  return events.sort((a, b) => a.atMs - b.atMs);
}
