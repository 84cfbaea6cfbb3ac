import type { CoordinationV1Api, V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { describeApiError, isConflict, isNotFound } from './api-errors.ts';
import { V1MicroTime } from './client-node.ts';
import type { Clock } from './clock.ts';
import { sleep, systemClock } from './clock.ts';
import type { Logger } from './logger.ts';
import { silentLogger } from './logger.ts';

/** client-go's JitterFactor for the acquire loop; also the margin renewDeadline must keep over retryPeriod. */
const JITTER_FACTOR = 1.2;

export interface LeaderElectionTimings {
  /** How long non-leaders wait, from when they last saw the lease change, before taking it. Default 15 s. */
  leaseDurationMs: number;
  /** How long the leader keeps retrying a renewal before it gives up leading. Default 10 s. */
  renewDeadlineMs: number;
  /** Interval between attempts. Default 2 s. */
  retryPeriodMs: number;
}

export const DEFAULT_LEADER_ELECTION_TIMINGS: Readonly<LeaderElectionTimings> = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/**
 * The three Lease calls of leader election, as client-node's CoordinationV1Api names them. The controller passes a
 * plain-JSON implementation (`jsonLeaseClient`), which leaves the times as the RFC 3339 strings of the wire: the
 * elector only compares them and writes them back.
 */
export type LeaseClient = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
>;

export interface LeaderElectionOptions extends Partial<LeaderElectionTimings> {
  client: LeaseClient;
  namespace: string;
  leaseName: string;
  /** Unique per candidate, e.g. the pod name plus a random suffix. */
  identity: string;
  /** On stop, hand the lease over at once by clearing holderIdentity (client-go's ReleaseOnCancel). Default true. */
  releaseOnCancel?: boolean;
  /** Called once this candidate leads; `signal` aborts when it stops leading. */
  onStartedLeading?: (signal: AbortSignal) => void;
  /** Called once after leading ended (lost or stopped). The caller should then exit. */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to this candidate). */
  onNewLeader?: (identity: string) => void;
  registry?: Registry;
  logger?: Logger;
  /** Monotonic clock for all expiry decisions. */
  clock?: Clock;
  /** Wall clock, only for the acquireTime/renewTime written into the Lease. */
  wallClock?: () => Date;
  random?: () => number;
}

/** Validates timings as client-go's NewLeaderElector does; throws naming the offending field. */
export function validateLeaderElectionTimings(timings: LeaderElectionTimings): void {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timings;
  for (const [field, value] of Object.entries(timings)) {
    if (!(Number.isFinite(value) && value > 0))
      throw new RangeError(`${field} must be positive, got ${String(value)}`);
  }
  if (!(leaseDurationMs > renewDeadlineMs)) {
    throw new RangeError(
      `leaseDurationMs (${leaseDurationMs}) must be greater than renewDeadlineMs (${renewDeadlineMs})`,
    );
  }
  if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs)) {
    throw new RangeError(
      `renewDeadlineMs (${renewDeadlineMs}) must be greater than ${JITTER_FACTOR} × retryPeriodMs (${retryPeriodMs})`,
    );
  }
}

const masterStatusByRegistry = new WeakMap<Registry, Gauge<'name'>>();

function masterStatus(registry: Registry): Gauge<'name'> {
  let gauge = masterStatusByRegistry.get(registry);
  if (!gauge) {
    gauge = new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
      labelNames: ['name'],
      registers: [registry],
    });
    masterStatusByRegistry.set(registry, gauge);
  }
  return gauge;
}

/** The fields of the lease that make up client-go's LeaderElectionRecord, compared as a whole. */
function recordOf(spec: V1LeaseSpec | undefined): string {
  return JSON.stringify([
    spec?.holderIdentity ?? '',
    spec?.leaseDurationSeconds ?? 0,
    String(spec?.acquireTime ?? ''),
    String(spec?.renewTime ?? ''),
    spec?.leaseTransitions ?? 0,
  ]);
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's algorithm: acquire or renew by
 * GET then PUT with the read resourceVersion (create when absent; 409 means someone else won); a held
 * lease counts as expired only after leaseDuration has passed on this process's monotonic clock since
 * it last saw the record change, never by the holder's renewTime; a leader that cannot renew within
 * renewDeadline stops leading.
 */
export class LeaderElector {
  readonly identity: string;
  readonly #options: LeaderElectionOptions;
  readonly #timings: LeaderElectionTimings;
  readonly #clock: Clock;
  readonly #wallClock: () => Date;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #gauge: Gauge<'name'> | undefined;
  readonly #stopping = new AbortController();
  #observedRecord = '';
  #observedSpec: V1LeaseSpec | undefined;
  #observedAt = 0;
  #leading = false;
  #running: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    if (!options.identity) throw new RangeError('identity must not be empty');
    if (!options.leaseName) throw new RangeError('leaseName must not be empty');
    if (!options.namespace) throw new RangeError('namespace must not be empty');
    this.#timings = {
      leaseDurationMs: options.leaseDurationMs ?? DEFAULT_LEADER_ELECTION_TIMINGS.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_LEADER_ELECTION_TIMINGS.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? DEFAULT_LEADER_ELECTION_TIMINGS.retryPeriodMs,
    };
    validateLeaderElectionTimings(this.#timings);
    this.identity = options.identity;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#wallClock = options.wallClock ?? (() => new Date());
    this.#random = options.random ?? Math.random;
    this.#logger = (options.logger ?? silentLogger).child({
      lease: `${options.namespace}/${options.leaseName}`,
      identity: options.identity,
    });
    this.#gauge = options.registry ? masterStatus(options.registry) : undefined;
    this.#gauge?.set({ name: options.leaseName }, 0);
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder this candidate last observed, if any. */
  getLeader(): string | undefined {
    return this.#observedSpec?.holderIdentity || undefined;
  }

  /**
   * Campaigns, leads while it can renew, and resolves once leading has ended (lease lost or `stop`),
   * or when stopped before ever leading.
   */
  run(): Promise<void> {
    if (this.#running) throw new Error('leader elector already running');
    this.#running = this.#run();
    return this.#running;
  }

  /** Stops campaigning or leading; releases the lease if held and releaseOnCancel. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#stopping.signal;
    this.#logger.info('Attempting to acquire leader lease');
    while (!signal.aborted && !(await this.#tryAcquireOrRenew())) {
      await sleep(this.#clock, this.#timings.retryPeriodMs * (1 + this.#random() * JITTER_FACTOR), signal);
    }
    if (signal.aborted) return;

    this.#setLeading(true);
    this.#logger.info('Successfully acquired lease');
    const leading = new AbortController();
    this.#notify(() => this.#options.onStartedLeading?.(leading.signal));

    while (!signal.aborted) {
      if (!(await this.#renewWithinDeadline())) {
        if (!signal.aborted)
          this.#logger.error('Failed to renew lease within the renew deadline, stopping leading');
        break;
      }
      await sleep(this.#clock, this.#timings.retryPeriodMs, signal);
    }

    this.#setLeading(false);
    leading.abort();
    if (signal.aborted && (this.#options.releaseOnCancel ?? true)) await this.#release();
    this.#notify(() => this.#options.onStoppedLeading?.());
  }

  /** Retries renewal every retryPeriod until it succeeds or renewDeadline has passed. */
  async #renewWithinDeadline(): Promise<boolean> {
    const deadline = this.#clock.now() + this.#timings.renewDeadlineMs;
    const signal = this.#stopping.signal;
    for (;;) {
      if (signal.aborted) return false;
      if (await this.#tryAcquireOrRenew(deadline - this.#clock.now())) return true;
      const left = deadline - this.#clock.now();
      if (left <= 0) return false;
      await sleep(this.#clock, Math.min(this.#timings.retryPeriodMs, left), signal);
    }
  }

  async #tryAcquireOrRenew(timeoutMs: number = this.#timings.renewDeadlineMs): Promise<boolean> {
    const attempt = this.#acquireOrRenewOnce();
    const timedOut = new Promise<false>((resolve) => {
      const timer = this.#clock.setTimer(() => resolve(false), Math.max(0, timeoutMs));
      void attempt.finally(() => timer.cancel());
    });
    return Promise.race([attempt, timedOut]);
  }

  async #acquireOrRenewOnce(): Promise<boolean> {
    const { client, namespace, leaseName } = this.#options;
    const nowWall = new V1MicroTime(this.#wallClock().getTime());
    const leaseDurationSeconds = Math.round(this.#timings.leaseDurationMs / 1000);
    let existing: V1Lease;
    try {
      existing = await client.readNamespacedLease({ name: leaseName, namespace });
    } catch (error: unknown) {
      if (!isNotFound(error)) {
        this.#logger.warn('Error retrieving lease', { error: describeApiError(error) });
        return false;
      }
      const spec: V1LeaseSpec = {
        holderIdentity: this.identity,
        leaseDurationSeconds,
        acquireTime: nowWall,
        renewTime: nowWall,
        leaseTransitions: 0,
      };
      try {
        const created = await client.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: leaseName, namespace },
            spec,
          },
        });
        this.#observe(created.spec);
        return true;
      } catch (createError: unknown) {
        this.#logger.info('Error creating lease', { error: describeApiError(createError) });
        return false;
      }
    }

    const old = existing.spec ?? {};
    if (recordOf(old) !== this.#observedRecord) this.#observe(old);
    const holder = old.holderIdentity ?? '';
    const heldByMe = holder === this.identity;
    if (holder !== '' && !heldByMe && this.#observedAt + this.#timings.leaseDurationMs > this.#clock.now()) {
      return false;
    }

    const spec: V1LeaseSpec = {
      ...old,
      holderIdentity: this.identity,
      leaseDurationSeconds,
      renewTime: nowWall,
      acquireTime: heldByMe && old.acquireTime ? old.acquireTime : nowWall,
      leaseTransitions: heldByMe ? (old.leaseTransitions ?? 0) : (old.leaseTransitions ?? 0) + 1,
    };
    try {
      const updated = await client.replaceNamespacedLease({
        name: leaseName,
        namespace,
        body: { ...existing, spec },
      });
      this.#observe(updated.spec);
      return true;
    } catch (error: unknown) {
      if (isConflict(error))
        this.#logger.debug('Lease changed concurrently; another candidate won this round');
      else this.#logger.warn('Error updating lease', { error: describeApiError(error) });
      return false;
    }
  }

  #observe(spec: V1LeaseSpec | undefined): void {
    const previousHolder = this.#observedSpec?.holderIdentity ?? '';
    this.#observedSpec = spec;
    this.#observedRecord = recordOf(spec);
    this.#observedAt = this.#clock.now();
    const holder = spec?.holderIdentity ?? '';
    if (holder !== '' && holder !== previousHolder) {
      this.#logger.info('New leader observed', { leader: holder });
      this.#notify(() => this.#options.onNewLeader?.(holder));
    }
  }

  async #release(): Promise<void> {
    const { client, namespace, leaseName } = this.#options;
    try {
      const lease = await client.readNamespacedLease({ name: leaseName, namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = new V1MicroTime(this.#wallClock().getTime());
      await client.replaceNamespacedLease({
        name: leaseName,
        namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
          },
        },
      });
      this.#logger.info('Released lease');
    } catch (error: unknown) {
      this.#logger.warn('Failed to release lease', { error: describeApiError(error) });
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#gauge?.set({ name: this.#options.leaseName }, leading ? 1 : 0);
  }

  #notify(callback: () => void): void {
    try {
      callback();
    } catch (error: unknown) {
      this.#logger.error('Leader election callback threw', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
