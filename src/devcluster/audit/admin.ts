/**
 * Admin endpoints for tests that watch the devcluster from another process (the chaos suite), served for
 * system:masters before authorization and request filters, like /devcluster/faults:
 *
 *   GET /devcluster/writes[?user=U&since=SEQ]                  the write audit: {dropped, items: WriteRecord[]}
 *   GET /devcluster/kubelet/runs[?namespace=NS&since=SEQ]      container runs: {items: ContainerRun[]}
 *   GET /devcluster/kubeconfig?serviceAccount=NS/NAME | ?user=U a kubeconfig (YAML) for that subject
 *   GET /devcluster/exec/history[?namespace=NS]                 commands the simulated exec runner ran:
 *                                                               {items: [{namespace, pod, container, command, exitCode}]}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.ts';
import { sendError, sendJson } from '../http/responses.ts';
import type { WriteLog } from './write-log.ts';
import type { ContainerRunLog } from '../kubelet/run-log.ts';
import type { ExecRecord } from '../exec/simulator.ts';

export const WRITES_ADMIN_PATH = '/devcluster/writes';
export const RUNS_ADMIN_PATH = '/devcluster/kubelet/runs';
export const KUBECONFIG_ADMIN_PATH = '/devcluster/kubeconfig';
export const EXEC_HISTORY_ADMIN_PATH = '/devcluster/exec/history';

/** One command the exec runner ran, as the history endpoint serves it. */
export interface ExecHistoryItem {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  /** Absent when the command could not start. */
  readonly exitCode?: number;
}

/** The exec runner's records as the history endpoint serves them. */
export function execHistoryItems(records: readonly ExecRecord[]): ExecHistoryItem[] {
  return records.map(({ request, exitCode }) => ({
    namespace: request.namespace,
    pod: request.pod,
    container: request.container,
    command: request.command,
    ...(exitCode !== undefined ? { exitCode } : {}),
  }));
}

export type KubeconfigSubjectRequest =
  { serviceAccount: { namespace: string; name: string } } | { user: string };

function reply(res: ServerResponse, code: number, body: string, type = 'application/json'): void {
  sendJson(res, code, body, { 'Content-Type': type });
}

function failure(res: ServerResponse, code: number, reason: string, message: string): void {
  sendError(res, new ApiError(code, reason, message));
}

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://devcluster').searchParams;
}

/** `since` as a non-negative integer, or an error message naming it. */
function sinceOf(params: URLSearchParams): number | string {
  const raw = params.get('since');
  if (raw === null) return 0;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : `since: must be a non-negative integer, got "${raw}"`;
}

export function writesAdminHandler(log: Pick<WriteLog, 'entries' | 'dropped'>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET')
      return failure(res, 405, 'MethodNotAllowed', `${req.method} ${WRITES_ADMIN_PATH} is not supported`);
    const params = query(req);
    const since = sinceOf(params);
    if (typeof since === 'string') return failure(res, 400, 'BadRequest', since);
    const user = params.get('user');
    const items = log.entries({ since, ...(user !== null ? { user } : {}) });
    reply(res, 200, JSON.stringify({ dropped: log.dropped, items }));
  };
}

export function runsAdminHandler(log: ContainerRunLog | undefined) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET')
      return failure(res, 405, 'MethodNotAllowed', `${req.method} ${RUNS_ADMIN_PATH} is not supported`);
    if (!log) return failure(res, 404, 'NotFound', 'the simulated kubelet is not running');
    const params = query(req);
    const since = sinceOf(params);
    if (typeof since === 'string') return failure(res, 400, 'BadRequest', since);
    const namespace = params.get('namespace');
    reply(res, 200, JSON.stringify({ items: log.entries({ since, ...(namespace ? { namespace } : {}) }) }));
  };
}

export function kubeconfigAdminHandler(mint: (subject: KubeconfigSubjectRequest) => string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET')
      return failure(res, 405, 'MethodNotAllowed', `${req.method} ${KUBECONFIG_ADMIN_PATH} is not supported`);
    const params = query(req);
    const sa = params.get('serviceAccount');
    const user = params.get('user');
    if (sa !== null) {
      const [namespace, name, ...rest] = sa.split('/');
      if (!namespace || !name || rest.length > 0)
        return failure(res, 400, 'BadRequest', `serviceAccount: expected NAMESPACE/NAME, got "${sa}"`);
      return reply(res, 200, mint({ serviceAccount: { namespace, name } }), 'application/yaml');
    }
    if (user) return reply(res, 200, mint({ user }), 'application/yaml');
    failure(res, 400, 'BadRequest', 'serviceAccount or user: one of them is required');
  };
}

export function execHistoryAdminHandler(history: (() => readonly ExecHistoryItem[]) | undefined) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET')
      return failure(
        res,
        405,
        'MethodNotAllowed',
        `${req.method} ${EXEC_HISTORY_ADMIN_PATH} is not supported`,
      );
    if (!history) return failure(res, 404, 'NotFound', 'the exec runner keeps no history');
    const namespace = query(req).get('namespace');
    const items = history().filter((h) => namespace === null || h.namespace === namespace);
    reply(res, 200, JSON.stringify({ items }));
  };
}
