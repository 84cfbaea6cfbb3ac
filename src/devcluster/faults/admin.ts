/**
 * The admin endpoint for fault injection, served by the devcluster's HTTP server under /devcluster/faults. It must
 * be routed before the fault filter (so a paused API can be resumed) and only for admin users.
 *
 *   GET    /devcluster/faults                  state: seed, paused, rules, counters
 *   PUT    /devcluster/faults                  {seed?, paused?, rules?}: replace (rules atomically)
 *   POST   /devcluster/faults/rules            add one rule (201)
 *   DELETE /devcluster/faults/rules[/ID]       remove one rule, or all
 *   POST   /devcluster/faults/{pause|resume|compact|reset-counters}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.ts';
import { sendError, sendJson } from '../http/responses.ts';
import type { FaultInjector } from './injector.ts';
import { FaultRuleError } from './rules.ts';

export const FAULTS_ADMIN_PATH = '/devcluster/faults';

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  sendError(res, new ApiError(code, reason, message));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FaultRuleError('body: not valid JSON');
  }
}

/** Serves the request if its path is under /devcluster/faults; returns false otherwise. Use as an admin path handler. */
export function handleFaultAdmin(
  injector: FaultInjector,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const path = new URL(req.url ?? '/', 'http://devcluster').pathname.replace(/\/+$/, '');
  if (path !== FAULTS_ADMIN_PATH && !path.startsWith(`${FAULTS_ADMIN_PATH}/`)) return false;
  void serve(injector, req, res, path.slice(FAULTS_ADMIN_PATH.length)).catch((e: unknown) => {
    if (e instanceof FaultRuleError) status(res, 400, 'BadRequest', e.message);
    else status(res, 500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
  });
  return true;
}

/** The endpoints that act on the injector and answer with its state. */
const COMMANDS = new Map<string, (injector: FaultInjector) => void>([
  ['DELETE /rules', (injector) => injector.clearRules()],
  ['POST /pause', (injector) => injector.pause()],
  ['POST /resume', (injector) => injector.resume()],
  ['POST /compact', (injector) => injector.compact()],
  ['POST /reset-counters', (injector) => injector.resetCounters()],
]);

async function serve(
  injector: FaultInjector,
  req: IncomingMessage,
  res: ServerResponse,
  sub: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const route = `${method} ${sub.replace(/^\/rules\/.+$/, '/rules/:id')}`;
  const command = COMMANDS.get(route);
  if (command) {
    command(injector);
    return sendJson(res, 200, injector.state());
  }
  switch (route) {
    case 'GET ':
      return sendJson(res, 200, injector.state());
    case 'PUT ': {
      const body = await readJson(req);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new FaultRuleError('body: must be an object');
      const { seed, paused, rules } = body as Record<string, unknown>;
      if (seed !== undefined && !Number.isInteger(seed)) throw new FaultRuleError('seed: must be an integer');
      if (paused !== undefined && typeof paused !== 'boolean')
        throw new FaultRuleError('paused: must be a boolean');
      if (rules !== undefined && !Array.isArray(rules)) throw new FaultRuleError('rules: must be a list');
      if (rules) injector.setRules(rules);
      if (seed !== undefined) injector.setSeed(seed as number);
      if (paused === true) injector.pause();
      if (paused === false) injector.resume();
      return sendJson(res, 200, injector.state());
    }
    case 'POST /rules':
      return sendJson(res, 201, injector.addRule(await readJson(req)));
    case 'DELETE /rules/:id': {
      const id = decodeURIComponent(sub.slice('/rules/'.length));
      if (!injector.removeRule(id)) return status(res, 404, 'NotFound', `fault rule "${id}" not found`);
      return sendJson(res, 200, injector.state());
    }
    default:
      return status(res, 405, 'MethodNotAllowed', `${method} ${FAULTS_ADMIN_PATH}${sub} is not supported`);
  }
}
