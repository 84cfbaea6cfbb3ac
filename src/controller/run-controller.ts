import { KubeConfig } from './machinery/client-node.ts';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.ts';
import { controllerNamespace } from '../config/resolve.ts';
import type { Settings } from '../config/settings.ts';
import { HealthChecks, startHealthServer } from '../telemetry/health.ts';
import { createLogger } from '../telemetry/logger.ts';
import type { Logger } from '../telemetry/logger.ts';
import { HookMetrics, createMetricsRegistry } from '../telemetry/metrics.ts';
import { startMetricsServer } from '../telemetry/metrics-server.ts';
import { Manager } from './manager.ts';

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

/**
 * Starts a server on a bind address; a port that is taken or not ours to bind is a configuration problem
 * (ConfigError, exit 2) naming the setting and its flag, not a crash.
 */
async function bind<T>(
  setting: string,
  flag: string,
  address: string,
  start: () => Promise<T>,
  disable = '"0" to disable it',
): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'address already in use'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EADDRNOTAVAIL'
            ? 'address not available on this host'
            : undefined;
    if (!why) throw error;
    throw new ConfigError([
      `${setting} (--${flag}) ${JSON.stringify(address)}: cannot listen: ${why} (${code}); choose another HOST:PORT, or ${disable}`,
    ]);
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

/**
 * Runs the controller until `signal` aborts or leadership is lost; resolves to the exit status. Rejects with
 * ConfigError when a bind address cannot be served.
 */
export async function runController(options: RunControllerOptions): Promise<number> {
  const { settings } = options;
  const logger: Logger = createLogger({
    level: settings.logLevel,
    ...(options.logStream ? { stream: options.logStream } : {}),
  });
  const registry = createMetricsRegistry();
  const metrics = new HookMetrics(registry);
  const health = new HealthChecks();
  const metricsServer = await bind(
    'metricsBindAddress',
    'metrics-bind-address',
    settings.metricsBindAddress,
    () => startMetricsServer(registry, settings.metricsBindAddress),
  );
  let healthServer;
  try {
    healthServer = await bind(
      'healthProbeBindAddress',
      'health-probe-bind-address',
      settings.healthProbeBindAddress,
      () => startHealthServer(health, settings.healthProbeBindAddress),
    );
  } catch (error) {
    await metricsServer?.close();
    throw error;
  }
  options.onListening?.({
    ...(metricsServer ? { metrics: metricsServer.url } : {}),
    ...(healthServer ? { health: healthServer.url } : {}),
  });
  try {
    const kubeConfig = options.kubeConfig ?? loadKubeConfig(settings);
    const namespace = controllerNamespace(settings, options.env, (path) => readFileSync(path, 'utf8'));
    const manager = new Manager({
      kubeConfig,
      settings,
      logger,
      registry,
      metrics,
      health,
      namespace,
    });
    logger.info('starting restore-hooks controller', {
      server: kubeConfig.getCurrentCluster()?.server,
      veleroNamespaces: settings.veleroNamespaces,
      leaderElection: settings.leaderElection.enabled,
      namespace,
    });
    return await manager.run(options.signal);
  } catch (error) {
    logger.error('controller failed', { error: error instanceof Error ? error.message : String(error) });
    return 1;
  } finally {
    await Promise.all([metricsServer?.close(), healthServer?.close()]);
  }
}
