/**
 * A devcluster that behaves like a small cluster: the API server (index.ts) plus the simulation, pods/exec,
 * optional RBAC and fault injection, all switchable per test.
 */
import type { DevCluster, DevClusterOptions } from './index.ts';
import { startDevCluster } from './index.ts';
import { ExecEndpoint, SimulatedExecRunner, podExecResolver } from './exec/index.ts';
import type { ExecRunner } from './exec/index.ts';
import { FAULTS_ADMIN_PATH, FaultInjector, faultFilter, handleFaultAdmin } from './faults/index.ts';
import { installBootstrapPolicy, rbacAuthorizer } from './rbac/index.ts';
import { REQUESTS_ADMIN_PATH, RequestCounter } from './requests/request-counter.ts';
import { EVENT_LOOP_ADMIN_PATH, EventLoopDelayMonitor } from './requests/event-loop-delay.ts';
import {
  EXEC_HISTORY_ADMIN_PATH,
  KUBECONFIG_ADMIN_PATH,
  RUNS_ADMIN_PATH,
  WRITES_ADMIN_PATH,
  execHistoryAdminHandler,
  execHistoryItems,
  kubeconfigAdminHandler,
  runsAdminHandler,
  writesAdminHandler,
} from './audit/admin.ts';
import { FAIL_OPEN_ADMIN_PATH, failOpenAdminHandler } from './admission/fail-open-log.ts';
import { Simulation } from './sim/simulation.ts';
import { WEBHOOK_CALLS_ADMIN_PATH, webhookCallsAdminHandler } from './admission/call-log.ts';
import type { SimulationOptions } from './sim/simulation.ts';

export interface SimulatedClusterOptions extends DevClusterOptions {
  /** The simulated nodes, kubelet and controllers; false: the API server alone. */
  simulation?: SimulationOptions | false;
  /** Authorize with RBAC instead of allowing every authenticated user. */
  rbac?: boolean;
  /** Fault injection: an injector to control at runtime, or its initial seed and rules. */
  faults?: FaultInjector | { seed?: number; rules?: unknown[] };
  /** Runs exec commands; default a SimulatedExecRunner. */
  execRunner?: ExecRunner;
}

export interface SimulatedCluster extends DevCluster {
  readonly simulation: Simulation | undefined;
  readonly faults: FaultInjector;
  /** The exec runner (a SimulatedExecRunner unless one was passed): register handlers, read the history. */
  readonly exec: ExecRunner;
  /** API requests served so far, by client, verb and resource (also at /devcluster/requests). */
  readonly requests: RequestCounter;
}

export async function startSimulatedCluster(
  options: SimulatedClusterOptions = {},
): Promise<SimulatedCluster> {
  const faults =
    options.faults instanceof FaultInjector ? options.faults : new FaultInjector(options.faults ?? {});
  const runner = options.execRunner ?? new SimulatedExecRunner();
  const clock = options.simulation ? options.simulation.clock : undefined;
  const requests = new RequestCounter();
  const dev = await startDevCluster({
    ...(clock ? { now: () => new Date(clock.now()) } : {}),
    garbageCollectorFinalizers:
      options.simulation !== false && options.simulation?.components?.garbageCollector !== false,
    ...options,
    requestFilters: [requests.filter, faultFilter(faults), ...(options.requestFilters ?? [])],
  });
  faults.setCompactor(() => dev.api.compact());
  dev.http.registerAdminPath(FAULTS_ADMIN_PATH, (req, res) => void handleFaultAdmin(faults, req, res));
  dev.http.registerAdminPath(REQUESTS_ADMIN_PATH, (req, res) => requests.handleAdmin(req, res));
  const eventLoop = new EventLoopDelayMonitor();
  dev.http.registerAdminPath(EVENT_LOOP_ADMIN_PATH, (req, res) => eventLoop.handleAdmin(req, res));
  if (options.rbac) {
    installBootstrapPolicy(dev.api);
    dev.http.authorizer = rbacAuthorizer(dev.api);
  }
  const endpoint = new ExecEndpoint({ runner, resolveContainer: podExecResolver(dev.api) });
  dev.http.registerUpgradeHandler('pods/exec', endpoint.upgradeHandler());
  const simulation =
    options.simulation === false
      ? undefined
      : new Simulation(dev.admission, options.simulation, dev.http.writes).start();
  dev.http.registerAdminPath(WRITES_ADMIN_PATH, writesAdminHandler(dev.http.writes));
  dev.http.registerAdminPath(FAIL_OPEN_ADMIN_PATH, failOpenAdminHandler(dev.admission.webhooks.failOpen));
  dev.http.registerAdminPath(
    WEBHOOK_CALLS_ADMIN_PATH,
    webhookCallsAdminHandler(dev.admission.webhooks.calls),
  );
  dev.http.registerAdminPath(RUNS_ADMIN_PATH, runsAdminHandler(simulation?.kubelet?.runs));
  dev.http.registerAdminPath(
    EXEC_HISTORY_ADMIN_PATH,
    execHistoryAdminHandler(
      runner instanceof SimulatedExecRunner ? () => execHistoryItems(runner.history) : undefined,
    ),
  );
  dev.http.registerAdminPath(
    KUBECONFIG_ADMIN_PATH,
    kubeconfigAdminHandler((subject) =>
      dev.kubeconfig(
        'user' in subject ? { user: { username: subject.user, groups: ['system:authenticated'] } } : subject,
      ),
    ),
  );
  let stopping: Promise<void> | undefined;
  return {
    ...dev,
    simulation,
    faults,
    exec: runner,
    requests,
    stop: () =>
      (stopping ??= (async () => {
        simulation?.stop();
        endpoint.close();
        faults.dispose();
        eventLoop.stop();
        await dev.stop();
      })()),
  };
}
