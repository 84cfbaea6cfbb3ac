import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Settings } from '../../config/settings.ts';
import type { HealthChecks, ReadinessGate } from '../../telemetry/health.ts';
import { KubeJsonClient } from '../kube-json-client.ts';
import { jsonLeaseClient } from '../lease-client.ts';
import type { Controller } from '../machinery/controller.ts';
import { dispatcherHttpLibrary } from '../machinery/dispatcher-http-library.ts';
import { LeaderElector } from '../machinery/leader-election.ts';
import type { Logger } from '../machinery/logger.ts';
import { instrumentedHttpLibrary } from '../machinery/transport.ts';

/**
 * Something every replica runs, leader or not, from the caches (the admission webhooks): started once the caches
 * have synced; `run` resolves once it has stopped after `signal` aborted.
 */
export interface ReplicaComponent {
  run(signal: AbortSignal): Promise<void>;
  /**
   * Resolves once `run` has finished its first round, whether it succeeded or not: the leader's controllers read
   * what the component found (whether the webhooks are configured), so they start after it, as controller-runtime
   * starts its webhook server before the controllers.
   */
  firstRound(): Promise<void>;
}

/** The caches as the lifecycle drives them. */
export interface LifecycleCaches {
  start(): void;
  waitForSync(signal: AbortSignal): Promise<boolean>;
  /** Throws, saying why, until every cache has synced: the `informers-synced` readiness check. */
  checkSynced(): void;
  stop(): Promise<void>;
}

/** The reconcile side: runs only on the leader. */
export interface LeaderWork {
  readonly controllers: readonly Controller[];
  /** Runs once leading, before the controllers start. */
  readonly beforeStart: () => Promise<void>;
  /** Runs once the controllers have stopped: finish what is under way. */
  readonly afterStop: () => Promise<void>;
}

export interface LifecycleOptions {
  readonly kubeConfig: KubeConfig;
  readonly settings: Settings;
  /** The controller's own namespace: the Lease's unless leaderElection.leaseNamespace says otherwise. */
  readonly namespace: string;
  /** This process in the Lease: `hostname_random`. */
  readonly identity: string;
  readonly registry: Registry;
  readonly health: HealthChecks;
  readonly logger: Logger;
  readonly caches: LifecycleCaches;
}

/** What runs with the caches besides the controllers: replica components and background services. */
export interface LifecycleParts {
  readonly leader: LeaderWork;
  readonly replicaComponents: readonly ReplicaComponent[];
  /** Started with the caches, stopped last (the idle heap release). */
  readonly services: readonly { start(): void; stop(): void }[];
}

/**
 * Start, leader election, readiness and shutdown, as controller-runtime's manager runs them. Caches (and replica
 * components once they have synced) run on every replica; the controllers only on the leader, once every replica
 * component has finished its first round. /readyz reports
 * `informers-synced`, `leader-election` (a follower is ready too: it would serve at once on failover) and, once
 * stopping, `shutdown`. Shutdown order: controllers (in-flight reconciles finish), the leader's last work (execs
 * under way), the lease, replica components, caches, services.
 */
export class Lifecycle {
  readonly #o: LifecycleOptions;
  readonly #leading: ReadinessGate;

  /** Registers the readiness checks; register replica components' own checks after these. */
  constructor(options: LifecycleOptions) {
    this.#o = options;
    options.health.add('readyz', 'informers-synced', () => options.caches.checkSynced());
    this.#leading = options.health.readinessGate('leader-election', 'leader election has not started');
  }

  /** Runs until `signal` aborts (graceful stop) or the lease is lost; resolves with the exit status. */
  async run(signal: AbortSignal, parts: LifecycleParts): Promise<number> {
    const { caches, logger } = this.#o;
    caches.start();
    for (const s of parts.services) s.start();
    const stopped = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await caches.waitForSync(signal);
    const replicaStop = new AbortController();
    const replicaDone = Promise.all(parts.replicaComponents.map((c) => c.run(replicaStop.signal)));

    const startControllers = async (): Promise<void> => {
      await Promise.all(parts.replicaComponents.map((c) => c.firstRound()));
      await parts.leader.beforeStart();
      for (const c of parts.leader.controllers) c.start();
      logger.info('controllers started', { identity: this.#o.identity });
    };
    const election = await this.#lead(signal, startControllers);
    await Promise.race([stopped, election.lost]);

    this.#o.health.add('readyz', 'shutdown', () => {
      throw new Error('shutting down');
    });
    logger.info('stopping: finishing in-flight reconciles');
    await Promise.all(parts.leader.controllers.map((c) => c.stop()));
    await parts.leader.afterStop();
    await election.elector?.stop();
    replicaStop.abort();
    await replicaDone;
    await caches.stop();
    for (const s of parts.services) s.stop();
    logger.info('stopped', { exitCode: election.exitCode() });
    return election.exitCode();
  }

  /**
   * Leads through a Lease when leader election is on (`lost` resolves when the lease is lost, or the controllers
   * could not start), or starts the controllers at once; nothing when `signal` has aborted already.
   */
  async #lead(
    signal: AbortSignal,
    startControllers: () => Promise<void>,
  ): Promise<{ elector?: LeaderElector; lost: Promise<void>; exitCode: () => number }> {
    const { settings, logger, identity } = this.#o;
    let exitCode = 0;
    const never = { lost: new Promise<void>(() => {}), exitCode: () => exitCode };
    if (signal.aborted) return never;
    if (!settings.leaderElection.enabled) {
      this.#leading.ready();
      await startControllers();
      return never;
    }
    let onLost: () => void = () => {};
    const lost = new Promise<void>((resolve) => (onLost = resolve));
    const elector = new LeaderElector({
      client: this.#leaseClient(),
      namespace: settings.leaderElection.leaseNamespace || this.#o.namespace,
      leaseName: settings.leaderElection.leaseName,
      identity,
      leaseDurationMs: settings.leaderElection.leaseDuration,
      renewDeadlineMs: settings.leaderElection.renewDeadline,
      retryPeriodMs: settings.leaderElection.retryPeriod,
      registry: this.#o.registry,
      logger,
      onStartedLeading: () => {
        this.#leading.ready();
        void startControllers().catch((error: unknown) => {
          logger.error('could not start controllers', { error: String(error) });
          onLost();
        });
      },
      onNewLeader: (holder) => {
        if (holder !== identity) this.#leading.ready();
      },
      onStoppedLeading: () => {
        this.#leading.notReady('lost the leader lease');
        if (!signal.aborted) {
          logger.error('lost the leader lease; exiting so that a new process starts clean', { identity });
          exitCode = 1;
        }
        onLost();
      },
    });
    void elector.run();
    return { elector, lost, exitCode: () => exitCode };
  }

  /**
   * A transport of its own, as client-go gives leader election its own client: renewals never queue behind the
   * reconcilers' requests in the shared rate limiter.
   */
  #leaseClient() {
    const { kubeConfig, settings } = this.#o;
    const http = instrumentedHttpLibrary(dispatcherHttpLibrary(), {
      qps: settings.api.qps,
      burst: settings.api.burst,
    });
    return jsonLeaseClient(new KubeJsonClient(kubeConfig, http));
  }
}
