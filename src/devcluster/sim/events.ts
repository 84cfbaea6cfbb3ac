/**
 * The Events the simulated components emit, recorded as client-go's recorders do it for kube-controller-manager
 * (core/v1 Events with `source.component`, `count`, first/last timestamps) and kube-scheduler (events.k8s.io-style
 * Events with `action`, `reportingController`/`reportingInstance`, `eventTime`, stored as core/v1 Events so that
 * `kubectl describe` and `kubectl get events` show them).
 *
 * Like client-go's EventCorrelator, the recorder keeps a cluster from drowning in Events:
 * - spam filter: a token bucket per source, object, type and reason (burst 25, one more every 5 minutes); events
 *   beyond it are dropped;
 * - aggregation: from the 10th distinct message of the same source, object, type and reason within 10 minutes, the
 *   events collapse into one whose message reads `(combined from similar events): <latest message>`;
 * - deduplication: a repeat of an event already written bumps its `count` (or `series.count`) and last timestamp.
 * Writes leave the caller's reconcile loop: they are flushed in batches on the next turn of the event loop, and a
 * failed write (namespace gone, ...) is dropped, as the broadcaster drops it after its retries.
 */
import type { ClusterAPI, KubeObject, OwnerReference } from '../api/types.ts';
import type { Clock } from './clock.ts';
import { GVR } from './meta.ts';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about: a full object, or an owner reference plus the namespace it lives in. */
export type Regarding = KubeObject | (OwnerReference & { namespace?: string });

export interface ComponentEvents {
  /** client-go record.EventRecorder.Eventf: `reason` CamelCase, `message` human-readable. */
  event(regarding: Regarding, type: EventType, reason: string, message: string): void;
}

export interface ReportingEvents {
  /** client-go tools/events EventRecorder.Eventf: `action` what was done, `note` human-readable. */
  event(regarding: Regarding, type: EventType, reason: string, action: string, note: string): void;
}

const SPAM_BURST = 25;
const SPAM_REFILL_MS = 5 * 60_000;
const AGGREGATE_AFTER = 10;
const AGGREGATE_WINDOW_MS = 10 * 60_000;
const CACHE_SIZE = 4096;

interface InvolvedObject {
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  apiVersion: string;
  resourceVersion?: string;
}

function involvedObject(r: Regarding): InvolvedObject {
  if ('metadata' in r)
    return {
      kind: r.kind,
      ...(r.metadata.namespace ? { namespace: r.metadata.namespace } : {}),
      name: r.metadata.name ?? '',
      uid: r.metadata.uid ?? '',
      apiVersion: r.apiVersion,
      ...(r.metadata.resourceVersion ? { resourceVersion: r.metadata.resourceVersion } : {}),
    };
  return {
    kind: r.kind,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    name: r.name,
    uid: r.uid,
    apiVersion: r.apiVersion,
  };
}

/** A Map that forgets its least recently used entries beyond `limit`, like client-go's LRU caches. */
class Lru<V> {
  readonly #map = new Map<string, V>();
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#limit) this.#map.delete(this.#map.keys().next().value!);
  }
}

interface Written {
  readonly namespace: string;
  readonly name: string;
  count: number;
}

type Write =
  | { kind: 'create'; namespace: string; event: KubeObject }
  | { kind: 'patch'; namespace: string; name: string; patch: Record<string, unknown>; recreate: KubeObject };

const seconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const micros = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

export class EventRecorder {
  readonly #api: ClusterAPI;
  readonly #clock: Clock;
  readonly #buckets = new Lru<{ tokens: number; at: number }>(CACHE_SIZE);
  readonly #similar = new Lru<{ messages: Set<string>; since: number }>(CACHE_SIZE);
  readonly #written = new Lru<Written>(CACHE_SIZE);
  #pending: Write[] = [];
  #flush: NodeJS.Immediate | undefined;
  #sequence = 0;
  #stopped = false;
  /** Events dropped by the spam filter so far. */
  dropped = 0;

  constructor(api: ClusterAPI, clock: Clock) {
    this.#api = api;
    this.#clock = clock;
  }

  /** The recorder of a kube-controller-manager controller, e.g. `replicaset-controller`. */
  forComponent(component: string): ComponentEvents {
    return {
      event: (regarding, type, reason, message) =>
        this.#record({ component, involved: involvedObject(regarding), type, reason, message }),
    };
  }

  /** The recorder of a component using the events.k8s.io API, e.g. kube-scheduler's `default-scheduler`. */
  forReportingController(controller: string, instance: string): ReportingEvents {
    return {
      event: (regarding, type, reason, action, note) =>
        this.#record({
          component: controller,
          involved: involvedObject(regarding),
          type,
          reason,
          message: note,
          reporting: { action, instance },
        }),
    };
  }

  /** Drops what is not written yet. */
  stop(): void {
    this.#stopped = true;
    if (this.#flush) clearImmediate(this.#flush);
    this.#pending = [];
  }

  #record(e: {
    component: string;
    involved: InvolvedObject;
    type: EventType;
    reason: string;
    message: string;
    reporting?: { action: string; instance: string };
  }): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    const { involved } = e;
    const objectKey = [involved.kind, involved.namespace ?? '', involved.name, involved.uid].join('/');
    const groupKey = `${e.component}\0${objectKey}\0${e.type}\0${e.reason}`;
    if (!this.#takeToken(groupKey, now)) {
      this.dropped++;
      return;
    }
    let message = e.message;
    let dedupKey = `${groupKey}\0${message}`;
    const similar = this.#similar.get(groupKey);
    const window =
      similar && now - similar.since <= AGGREGATE_WINDOW_MS
        ? similar
        : { messages: new Set<string>(), since: now };
    window.messages.add(message);
    this.#similar.set(groupKey, window);
    if (window.messages.size >= AGGREGATE_AFTER) {
      message = `(combined from similar events): ${message}`;
      dedupKey = groupKey;
    }
    const namespace = involved.namespace ?? 'default';
    const fresh = this.#event(e, namespace, message, now);
    const seen = this.#written.get(dedupKey);
    if (seen) {
      seen.count++;
      const patch = e.reporting
        ? { series: { count: seen.count, lastObservedTime: micros(now) }, message }
        : { count: seen.count, lastTimestamp: seconds(now), message };
      this.#enqueue({ kind: 'patch', namespace, name: seen.name, patch, recreate: fresh });
      return;
    }
    this.#written.set(dedupKey, { namespace, name: fresh.metadata.name!, count: 1 });
    this.#enqueue({ kind: 'create', namespace, event: fresh });
  }

  #takeToken(key: string, now: number): boolean {
    const bucket = this.#buckets.get(key) ?? { tokens: SPAM_BURST, at: now };
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (now - bucket.at) / SPAM_REFILL_MS);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  #event(
    e: {
      component: string;
      involved: InvolvedObject;
      type: EventType;
      reason: string;
      reporting?: { action: string; instance: string };
    },
    namespace: string,
    message: string,
    now: number,
  ): KubeObject {
    // client-go names events `<object>.<nanoseconds in hex>`; the sequence keeps names unique within a millisecond.
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.#sequence++ % 1_000_000);
    const common = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${e.involved.name}.${nanos.toString(16)}`, namespace },
      involvedObject: e.involved,
      reason: e.reason,
      message,
      type: e.type,
    };
    if (e.reporting)
      return {
        ...common,
        source: {},
        eventTime: micros(now),
        action: e.reporting.action,
        reportingComponent: e.component,
        reportingInstance: e.reporting.instance,
      };
    return {
      ...common,
      source: { component: e.component },
      firstTimestamp: seconds(now),
      lastTimestamp: seconds(now),
      count: 1,
      reportingComponent: e.component,
      reportingInstance: '',
    };
  }

  #enqueue(write: Write): void {
    this.#pending.push(write);
    this.#flush ??= setImmediate(() => {
      this.#flush = undefined;
      const writes = this.#pending;
      this.#pending = [];
      for (const w of writes) this.#write(w);
    });
  }

  #write(w: Write): void {
    try {
      if (w.kind === 'create') this.#api.create(GVR.events, w.namespace, w.event);
      else
        try {
          this.#api.patch(GVR.events, w.namespace, w.name, 'application/merge-patch+json', w.patch);
        } catch (err) {
          // The event is gone (deleted, or its create failed): write it anew, as client-go does.
          if ((err as { code?: number }).code !== 404) throw err;
          this.#api.create(GVR.events, w.namespace, { ...w.recreate, ...w.patch });
        }
    } catch {
      // An event that cannot be written is dropped; it must never disturb the component that emitted it.
    }
  }
}

/** A recorder that records nothing (components built without one). */
export const SILENT: ComponentEvents & ReportingEvents = { event: () => undefined };

/** The controller of an object, as the object an event is about; undefined for an orphan. */
export function ownerOf(object: KubeObject): (OwnerReference & { namespace?: string }) | undefined {
  const ref = object.metadata.ownerReferences?.find((r) => r.controller === true);
  return ref && { ...ref, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) };
}
