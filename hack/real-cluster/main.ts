/**
 * `npm run cluster:real`: a real control plane with the node agent, standalone. Builds or reuses the binaries,
 * writes the admin kubeconfig to .real-cluster/kubeconfig, serves the node agent's run log, exec history and the
 * write audit over HTTP, and stops cleanly on SIGINT/SIGTERM.
 *
 *   npm run cluster:real [-- --nodes N] [--start-delay-ms MS] [--max-pods-per-node N] [--admin-port PORT] [--dir DIR]
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EXEC_HISTORY_ADMIN_PATH,
  RUNS_ADMIN_PATH,
  WRITES_ADMIN_PATH,
  execHistoryAdminHandler,
  runsAdminHandler,
  writesAdminHandler,
} from '../../src/devcluster/audit/admin.ts';
import { AuditWriteLog } from './audit-log.ts';
import { startRealControlPlane } from './control-plane.ts';

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name}: expected a non-negative integer, got "${value}"`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    nodes: { type: 'string' },
    'start-delay-ms': { type: 'string' },
    'admin-port': { type: 'string' },
    'max-pods-per-node': { type: 'string' },
    dir: { type: 'string' },
  },
});
const dir = resolve(values.dir ?? '.real-cluster');
const log = (message: string) => console.error(`[real-cluster] ${message}`);
const cp = await startRealControlPlane({
  nodes: number('nodes', values.nodes, 2) || 2,
  startDelayMs: number('start-delay-ms', values['start-delay-ms'], 1000),
  maxPodsPerNode: number('max-pods-per-node', values['max-pods-per-node'], 110) || 110,
  dir,
  keepDir: true,
  log,
});
const kubeconfigPath = join(dir, 'kubeconfig');
writeFileSync(kubeconfigPath, cp.kubeconfig, { mode: 0o600 });

const routes = new Map([
  [RUNS_ADMIN_PATH, runsAdminHandler(cp.nodeAgent.runLog)],
  [EXEC_HISTORY_ADMIN_PATH, execHistoryAdminHandler(() => cp.nodeAgent.execHistory())],
  [WRITES_ADMIN_PATH, writesAdminHandler(new AuditWriteLog(join(cp.dir, 'logs', 'audit.log')))],
]);
const admin = createServer((req, res) => {
  const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
  if (handler) return handler(req, res);
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`try ${[...routes.keys()].join(', ')}\n`);
});
await new Promise<void>((r) => admin.listen(number('admin-port', values['admin-port'], 0), '127.0.0.1', r));
const adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
const shown = relative(process.cwd(), kubeconfigPath) || kubeconfigPath;

console.log(`Real Kubernetes control plane (v1.20.2) is up at ${cp.server}
  kubeconfig:  ${shown} (admin, system:masters)
  components:  ${join(cp.dir, 'logs')}/*.log (audit.log: every write)

  export KUBECONFIG=${kubeconfigPath}
  kubectl get nodes
  node src/cli.ts run --kubeconfig ${shown}

  run log:      ${adminUrl}${RUNS_ADMIN_PATH}
  exec history: ${adminUrl}${EXEC_HISTORY_ADMIN_PATH}
  writes:       ${adminUrl}${WRITES_ADMIN_PATH}?user=USER

Ctrl-C stops it.`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  admin.close();
  await cp.stop();
  log('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
