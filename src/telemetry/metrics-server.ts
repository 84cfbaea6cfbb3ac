import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry, openMetricsContentType } from 'prom-client';
import type { Metric, OpenMetricsContentType } from 'prom-client';
import { listen } from './http-listener.ts';
import type { RunningServer } from './http-listener.ts';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

/**
 * Picks the exposition format from an Accept header: OpenMetrics when the client prefers
 * application/openmetrics-text (as Prometheus does), else the Prometheus text format, prom-client's default.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  let openMetrics = 0;
  let text = 0;
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'prometheus';
}

/**
 * The registry's metrics in the given format. prom-client renders OpenMetrics only from a registry created
 * with that content type, and while doing so renames its counters in place (dropping `_total`). So the
 * OpenMetrics rendering goes through a throw-away registry of views that keep their own name and share
 * everything else with the real metric: concurrent scrapes in either format never see each other's names.
 */
export async function renderMetrics(
  registry: Registry,
  format: ExpositionFormat,
): Promise<{ contentType: string; body: string }> {
  if (format === 'prometheus') return { contentType: registry.contentType, body: await registry.metrics() };
  const view = new Registry<OpenMetricsContentType>();
  view.setContentType(openMetricsContentType);
  for (const metric of registry.getMetricsAsArray())
    view.registerMetric(withOwnName(metric as unknown as Metric));
  return { contentType: view.contentType, body: await view.metrics() };
}

function withOwnName<T extends object>(metric: T): T {
  let name = (metric as { name: string }).name;
  return new Proxy(metric, {
    get: (target, prop) => (prop === 'name' ? name : Reflect.get(target, prop, target)),
    set: (target, prop, value) => {
      if (prop === 'name') name = value as string;
      else Reflect.set(target, prop, value, target);
      return true;
    },
  });
}

/** Serves GET /metrics from `registry` on `bindAddress` (e.g. ":8080"); resolves to undefined for "0". */
export function startMetricsServer(
  registry: Registry,
  bindAddress: string,
): Promise<RunningServer | undefined> {
  return listen(bindAddress, (req, res) => handle(registry, req, res));
}

async function handle(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/metrics') return reply(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  try {
    const { contentType, body } = await renderMetrics(registry, negotiateFormat(req.headers.accept));
    reply(res, 200, contentType, req.method === 'HEAD' ? '' : body, Buffer.byteLength(body));
  } catch (err) {
    reply(res, 500, 'text/plain; charset=utf-8', `collecting metrics failed: ${(err as Error).message}\n`);
  }
}

function reply(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  length?: number,
): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': length ?? Buffer.byteLength(body) });
  res.end(body);
}
