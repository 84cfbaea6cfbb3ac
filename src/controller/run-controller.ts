import { readFileSync } from 'node:fs';
import { KubeConfig } from './machinery/client-node.ts';
import type { Settings } from '../config/settings.ts';
import { HealthChecks, startHealthServer } from '../telemetry/health.ts';
import { createLogger } from '../telemetry/logger.ts';
import type { Logger } from '../telemetry/logger.ts';
import { HookMetrics, createMetricsRegistry } from '../telemetry/metrics.ts';
import { startMetricsServer } from '../telemetry/metrics-server.ts';
import { Manager } from './manager.ts';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface RunControllerOptions {
  readonly settings: Settings;
  readonly env: NodeJS.ProcessEnv;
  /** Stops the controller gracefully when aborted (SIGTERM/SIGINT in the CLI). */
  readonly signal: AbortSignal;
  /** Where JSON logs go; stdout by default. */
  readonly logStream?: NodeJS.WritableStream;
  /** A ready KubeConfig instead of loading one from settings.kubeconfig or the default locations. */
  readonly kubeConfig?: KubeConfig;
  /** Called once the metrics and health servers listen, with their bound addresses. */
  readonly onListening?: (addresses: { metrics?: string; health?: string }) => void;
}

/** The controller's own namespace: $POD_NAMESPACE, the service account's namespace, else `default`. */
export function controllerNamespace(env: NodeJS.ProcessEnv): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

function loadKubeConfig(settings: Settings): KubeConfig {
  const kc = new KubeConfig();
  if (settings.kubeconfig) kc.loadFromFile(settings.kubeconfig);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster())
    throw new Error('no cluster configured: pass --kubeconfig or run inside a cluster');
  return kc;
}

/** Runs the controller until `signal` aborts or leadership is lost; resolves to the exit status. */
export async function runController(options: RunControllerOptions): Promise<number> {
  const { settings } = options;
  const logger: Logger = createLogger({
    level: settings.logLevel,
    ...(options.logStream ? { stream: options.logStream } : {}),
  });
  const registry = createMetricsRegistry();
  const metrics = new HookMetrics(registry);
  const health = new HealthChecks();
  const metricsServer = await startMetricsServer(registry, settings.metricsBindAddress);
  const healthServer = await startHealthServer(health, settings.healthProbeBindAddress);
  options.onListening?.({
    ...(metricsServer ? { metrics: metricsServer.url } : {}),
    ...(healthServer ? { health: healthServer.url } : {}),
  });
  try {
    const kubeConfig = options.kubeConfig ?? loadKubeConfig(settings);
    const manager = new Manager({
      kubeConfig,
      settings,
      logger,
      registry,
      metrics,
      health,
      namespace: controllerNamespace(options.env),
    });
    logger.info('starting restore-hooks controller', {
      server: kubeConfig.getCurrentCluster()?.server,
      veleroNamespaces: settings.veleroNamespaces,
      leaderElection: settings.leaderElection.enabled,
    });
    return await manager.run(options.signal);
  } catch (error) {
    logger.error('controller failed', { error: error instanceof Error ? error.message : String(error) });
    return 1;
  } finally {
    await Promise.all([metricsServer?.close(), healthServer?.close()]);
  }
}
