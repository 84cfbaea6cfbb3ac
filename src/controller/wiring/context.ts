import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Settings } from '../../config/settings.ts';
import type { HookMetrics } from '../../telemetry/metrics.ts';
import type { RestoredObjectsApi } from '../restored-objects-api.ts';
import type { EventRecorder } from '../events.ts';
import type { InitHookDeps } from '../init-hooks/init-hook-deps.ts';
import type { InitHookSettings } from '../init-hooks/workload-reconciler.ts';
import type { KubeJsonClient } from '../kube-json-client.ts';
import { Controller } from '../machinery/controller.ts';
import type { ControllerOptions, ReconcileFunc } from '../machinery/controller.ts';
import type { Logger } from '../machinery/logger.ts';
import type { OwnerChain } from '../owner-chain.ts';
import type { RestoreDirectory } from '../restore-directory.ts';
import type { ControllerCaches } from './caches.ts';

/** What every controller builder wires its reconciler from: the caches and the shared clients and helpers. */
export interface WiringContext {
  readonly kubeConfig: KubeConfig;
  readonly settings: Settings;
  /** The controller's own namespace: the Lease, the replacement journal and the ledgers live there. */
  readonly namespace: string;
  readonly caches: ControllerCaches;
  readonly restores: RestoreDirectory;
  readonly owners: OwnerChain;
  readonly client: KubeJsonClient;
  readonly api: RestoredObjectsApi;
  readonly events: EventRecorder;
  readonly metrics: HookMetrics;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly now: () => number;
  /** The settings of the init-hook reconcilers (workloads and pods). */
  readonly initSettings: InitHookSettings;
}

/** The options every controller shares: metrics registry, logger and worker count. */
export function controllerOptions(
  ctx: WiringContext,
): Pick<ControllerOptions, 'registry' | 'logger' | 'maxConcurrentReconciles'> {
  return {
    registry: ctx.registry,
    logger: ctx.logger,
    maxConcurrentReconciles: ctx.settings.concurrency.reconciles,
  };
}

/** What the two init-hook reconcilers (workloads and bare pods) read and write through, from the context. */
export function initHookReconcilerDeps(ctx: WiringContext): InitHookDeps {
  return {
    getWorkload: ctx.caches.getWorkload,
    owners: ctx.owners,
    restores: ctx.restores,
    api: ctx.api,
    events: ctx.events,
    metrics: ctx.metrics,
    settings: ctx.initSettings,
    now: ctx.now,
  };
}

/** A controller whose queue hands keys out by the reconciler's rank rather than first in, first out. */
export function rankedController(
  ctx: WiringContext,
  name: string,
  reconciler: { reconcile: ReconcileFunc; rank: (key: string) => number },
): Controller {
  return new Controller({
    name,
    reconcile: (key, rctx) => reconciler.reconcile(key, rctx),
    rank: (key) => reconciler.rank(key),
    ...controllerOptions(ctx),
  });
}
