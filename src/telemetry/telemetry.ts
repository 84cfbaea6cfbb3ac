import type { Registry } from 'prom-client';
import type { Settings } from '../config/settings.ts';
import { HealthChecks, startHealthServer } from './health.ts';
import type { RunningServer } from './http-listener.ts';
import { createLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import { HookMetrics, createMetricsRegistry } from './metrics.ts';
import { startMetricsServer } from './metrics-server.ts';

/** Everything `run` needs to be observable; the machinery registers its metrics on `registry`. */
export interface Telemetry {
  readonly registry: Registry;
  readonly metrics: HookMetrics;
  readonly health: HealthChecks;
  readonly logger: Logger;
  /** undefined when disabled with "0". */
  readonly metricsServer: RunningServer | undefined;
  readonly healthServer: RunningServer | undefined;
  /** Stops both servers. */
  close(): Promise<void>;
}

/**
 * Creates the registry, metrics, checks and logger, and starts /metrics and the probes on their bind addresses.
 * If a server cannot start (a port in use), the other is closed again before the error propagates.
 */
export async function startTelemetry(
  settings: Pick<Settings, 'metricsBindAddress' | 'healthProbeBindAddress' | 'logLevel'>,
  options: { stream?: NodeJS.WritableStream } = {},
): Promise<Telemetry> {
  const registry = createMetricsRegistry();
  const health = new HealthChecks();
  const metricsServer = await startMetricsServer(registry, settings.metricsBindAddress);
  let healthServer: RunningServer | undefined;
  try {
    healthServer = await startHealthServer(health, settings.healthProbeBindAddress);
  } catch (err) {
    await metricsServer?.close();
    throw err;
  }
  return {
    registry,
    metrics: new HookMetrics(registry),
    health,
    logger: createLogger({ level: settings.logLevel, ...(options.stream ? { stream: options.stream } : {}) }),
    metricsServer,
    healthServer,
    close: async () => {
      await Promise.all([metricsServer?.close(), healthServer?.close()]);
    },
  };
}
