import { randomBytes } from 'node:crypto';
import type { KubeJsonClient } from './kube-json-client.ts';
import { SeenOnce } from './seen-once.ts';
import type { Logger } from './machinery/logger.ts';
import { describeApiError } from './machinery/api-errors.ts';

export interface ObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
}

/** The reference an Event's regarding/related field holds for an object. */
export function objectReference(
  apiVersion: string,
  kind: string,
  meta: { readonly namespace?: string; readonly name?: string; readonly uid?: string },
): ObjectReference {
  return {
    apiVersion,
    kind,
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    ...(meta.uid ? { uid: meta.uid } : {}),
  };
}

export const podReference = (meta: Parameters<typeof objectReference>[2]): ObjectReference =>
  objectReference('v1', 'Pod', meta);

export const restoreReference = (meta: Parameters<typeof objectReference>[2]): ObjectReference =>
  objectReference('velero.io/v1', 'Restore', meta);

export type EventReason =
  | 'HookInjected'
  | 'HookRemoved'
  | 'PodReplaced'
  | 'HookConflict'
  | 'HookSkipped'
  | 'InvalidHook'
  | 'HookExecuted'
  | 'HookFailed'
  | 'HookCountsIncomplete'
  | 'UnknownField'
  | 'HooksApplied'
  | 'HookCountsWritten'
  | 'AdmissionBypassed';

export interface EventSpec {
  readonly regarding: ObjectReference;
  readonly related?: ObjectReference;
  readonly type: 'Normal' | 'Warning';
  readonly reason: EventReason;
  /** What a person should know and do; at most 1 KiB is kept. */
  readonly note: string;
  /** What the controller did or would do, e.g. `PatchTemplate`, `ReplacePod`, `Skip`. */
  readonly action: string;
}

export const REPORTING_CONTROLLER = 'restore-hooks.dev/controller';
const MAX_NOTE = 1024;
/** Remembered events; beyond this the oldest are forgotten and may be recorded again. */
const MAX_REMEMBERED = 10_000;

function rfc3339Seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Records core/v1 Events, as client-go's and controller-runtime's recorders do, so that `kubectl describe` and
 * `kubectl get events` show them (kube-apiserver also serves them as events.k8s.io/v1). Reconciles are level-triggered and see the same state many times, so an
 * event identical to one already recorded by this process (same object, reason and note) is not written again.
 * Recording never throws: a failure is logged, because an Event must never fail a reconcile.
 */
export class EventRecorder {
  readonly #client: KubeJsonClient;
  readonly #instance: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #seen = new SeenOnce(MAX_REMEMBERED);
  /** Per coalescing key: when its last event was written, and the newest one held back since. */
  readonly #coalesced = new Map<string, { lastAt: number; held?: EventSpec }>();

  constructor(client: KubeJsonClient, options: { instance: string; logger: Logger; now?: () => number }) {
    this.#client = client;
    this.#instance = options.instance;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records at most one event per `key` every `minIntervalMs`, as client-go's event rate limiting does for a
   * busy object; an event offered sooner is held back, a newer one replacing it, until `flushCoalesced` finds it
   * due. Returns the milliseconds until a held event is due, or undefined when none is held.
   */
  recordCoalesced(key: string, event: EventSpec, minIntervalMs: number): number | undefined {
    const state = this.#coalesced.get(key) ?? { lastAt: -Infinity };
    this.#coalesced.set(key, { ...state, held: event });
    return this.flushCoalesced(key, minIntervalMs);
  }

  /** Writes the event held back for `key` once `minIntervalMs` have passed since the last; see recordCoalesced. */
  flushCoalesced(key: string, minIntervalMs: number): number | undefined {
    const state = this.#coalesced.get(key);
    if (!state?.held) return undefined;
    const wait = state.lastAt + minIntervalMs - this.#now();
    if (wait > 0) return wait;
    this.#coalesced.set(key, { lastAt: this.#now() });
    void this.record(state.held);
    return undefined;
  }

  /** Forgets what was held back for keys starting with `prefix` (a deleted object's). */
  forgetCoalesced(prefix: string): void {
    for (const key of this.#coalesced.keys()) if (key.startsWith(prefix)) this.#coalesced.delete(key);
  }

  async record(event: EventSpec): Promise<void> {
    const note = event.note.length > MAX_NOTE ? `${event.note.slice(0, MAX_NOTE - 1)}…` : event.note;
    const key = JSON.stringify([event.regarding.uid ?? event.regarding.name, event.reason, note]);
    const namespace = event.regarding.namespace ?? 'default';
    if (!this.#seen.first(key)) return;
    try {
      const name = `${event.regarding.name}.${randomBytes(8).toString('hex')}`;
      const now = rfc3339Seconds(this.#now());
      await this.#client.request({
        method: 'POST',
        path: `/api/v1/namespaces/${namespace}/events`,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: event.regarding,
          ...(event.related ? { related: event.related } : {}),
          reason: event.reason,
          message: note,
          type: event.type,
          action: event.action,
          source: { component: REPORTING_CONTROLLER },
          reportingComponent: REPORTING_CONTROLLER,
          reportingInstance: this.#instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      this.#seen.forget(key);
      this.#logger.warn('could not record event', {
        reason: event.reason,
        namespace,
        name: event.regarding.name,
        error: describeApiError(error),
      });
    }
  }
}
