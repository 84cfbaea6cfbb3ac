import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Settings } from '../config/settings.ts';
import type { HealthChecks } from '../telemetry/health.ts';
import type { HookMetrics } from '../telemetry/metrics.ts';
import { RestoredObjectsApi } from './restored-objects-api.ts';
import { EventRecorder } from './events.ts';
import { KubeJsonClient } from './kube-json-client.ts';
import { dispatcherHttpLibrary } from './machinery/dispatcher-http-library.ts';
import type { Logger } from './machinery/logger.ts';
import { instrumentedHttpLibrary } from './machinery/transport.ts';
import { OwnerChain } from './owner-chain.ts';
import { RestoreDirectory } from './restore-directory.ts';
import { buildAdmission } from './wiring/admission.ts';
import { ControllerCaches } from './wiring/caches.ts';
import type { WiringContext } from './wiring/context.ts';
import { buildExecController } from './wiring/exec-controller.ts';
import { idleHeapRelease } from './wiring/heap-release.ts';
import { Lifecycle } from './wiring/lifecycle.ts';
import type { ReplicaComponent } from './wiring/lifecycle.ts';
import { buildPodController } from './wiring/pod-controller.ts';
import { buildPodSelectorController } from './wiring/pod-selector-controller.ts';
import { buildRestoreController } from './wiring/restore-controller.ts';
import { buildWorkloadController } from './wiring/workload-controller.ts';

export interface ManagerOptions {
  readonly kubeConfig: KubeConfig;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly metrics: HookMetrics;
  readonly health: HealthChecks;
  /** Namespace of the controller itself: the Lease and the replacement journal live there. */
  readonly namespace: string;
  readonly now?: () => number;
}

const CLEANUP_POLL_MS = 10_000;

/**
 * Composes the controller, like controller-runtime's manager: the caches (wiring/caches.ts), the controllers
 * (restore, workload, pod, exec, pod-selector; one builder each in wiring/, their informer events mapped to keys in
 * wiring/event-mapping.ts), the admission components, and the lifecycle (wiring/lifecycle.ts): caches and
 * admission run on every replica, reconcilers only on the leader. `run` resolves with the exit status once `signal`
 * aborts (graceful stop) or the lease is lost.
 */
export class Manager {
  readonly #options: ManagerOptions;

  constructor(options: ManagerOptions) {
    this.#options = options;
  }

  async run(signal: AbortSignal): Promise<number> {
    const { health, metrics, logger } = this.#options;
    const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
    const ctx = wiringContext(this.#options, identity, () => admission?.configured() ?? false);
    const lifecycle = new Lifecycle({ ...this.#options, identity, caches: ctx.caches });

    // No links between controllers: what their informers' events cause is in wiring/event-mapping.ts.
    const restores = buildRestoreController(ctx);
    const exec = buildExecController(ctx);
    const workloads = buildWorkloadController(ctx);
    const pods = buildPodController(ctx);
    // The pod webhook's objectSelector (webhook.podSelector), kept by the leader from the Restore cache.
    const podSelector = buildPodSelectorController(ctx);
    const controllers = [
      restores.controller,
      workloads,
      pods.controller,
      exec.controller,
      podSelector.controller,
    ];

    // Admission components: served by every replica from the caches, leader or not.
    const admission = buildAdmission(ctx, health, () => podSelector.desired().selector);
    const replicaComponents: ReplicaComponent[] = admission ? [admission] : [];

    const heapRelease = idleHeapRelease(
      controllers,
      () => admission?.requestsReceived() ?? 0,
      metrics,
      logger,
    );
    return lifecycle.run(signal, {
      leader: { controllers, beforeStart: pods.loadJournal, afterStop: exec.drain },
      replicaComponents,
      services: heapRelease ? [heapRelease] : [],
    });
  }
}

/**
 * The caches and the clients and helpers every controller shares: what the builders of wiring/ take (a test may
 * build one controller alone on it).
 */
export function wiringContext(
  options: Omit<ManagerOptions, 'health'>,
  identity: string,
  admissionConfigured: () => boolean,
): WiringContext {
  const { kubeConfig, settings, registry, metrics, logger, namespace } = options;
  const http = instrumentedHttpLibrary(dispatcherHttpLibrary(), {
    qps: settings.api.qps,
    burst: settings.api.burst,
    registry,
  });
  const client = new KubeJsonClient(kubeConfig, http);
  const api = new RestoredObjectsApi(client);
  const caches = new ControllerCaches({ kubeConfig, http, settings, namespace, logger, metrics });
  const restores = new RestoreDirectory(caches.listRestores, settings.policy);
  const owners = new OwnerChain({
    getWorkload: caches.getWorkload,
    listWorkloads: caches.workloadsIn,
    getReplicaSet: (ns, name) => api.getReplicaSet(ns, name),
  });
  return {
    kubeConfig,
    settings,
    namespace,
    registry,
    metrics,
    logger,
    now: options.now ?? Date.now,
    caches,
    restores,
    owners,
    client,
    api,
    events: new EventRecorder(client, { instance: identity, logger }),
    initSettings: {
      hookWindowMs: settings.hookWindow,
      cleanupPolicy: settings.templateCleanup,
      policy: settings.policy,
      cleanupPollMs: CLEANUP_POLL_MS,
      admission: admissionConfigured,
    },
  };
}
