/** Reads the devcluster's request counts (/devcluster/requests) as writes per client, grouped the way the bench reports them. */
import { WRITE_VERBS } from '../../src/devcluster/requests/request-counter.ts';
import type { RequestCount } from '../../src/devcluster/requests/request-counter.ts';

/** The User-Agent products of the clients the bench tells apart. */
export const CONTROLLER_AGENT = 'restore-hooks';
export const FLOOR_AGENT = 'restore-hooks-floor';

const TEMPLATE_RESOURCES = new Set(['deployments', 'statefulsets', 'daemonsets', 'replicasets']);

export interface ClientWrites {
  readonly total: number;
  /** patch/update of a workload (its pod template). */
  readonly templates: number;
  /** patch/update of a velero.io Restore (its status; Velero's CRD has no status subresource). */
  readonly restoreStatus: number;
  /** "verb resource[/subresource]" → count. */
  readonly byKind: Readonly<Record<string, number>>;
}

export interface ClientReads {
  readonly total: number;
  /** "verb resource[/subresource]" → count (get, list; watches are long-lived and not counted here). */
  readonly byKind: Readonly<Record<string, number>>;
}

export interface WriteCounts {
  readonly controller: ClientWrites;
  readonly floor: ClientWrites;
  /** The controller's reads in the same window: what else it asks of the API server. */
  readonly controllerReads: ClientReads;
}

function writesOf(counts: readonly RequestCount[], agent: string): ClientWrites {
  const mine = counts.filter((c) => c.userAgent === agent && WRITE_VERBS.has(c.verb));
  const byKind: Record<string, number> = {};
  for (const c of mine) {
    const kind = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}`;
    byKind[kind] = (byKind[kind] ?? 0) + c.count;
  }
  const sum = (p: (c: RequestCount) => boolean) => mine.filter(p).reduce((n, c) => n + c.count, 0);
  const isUpdate = (c: RequestCount) => c.verb === 'patch' || c.verb === 'update';
  return {
    total: sum(() => true),
    templates: sum((c) => isUpdate(c) && TEMPLATE_RESOURCES.has(c.resource) && c.subresource === ''),
    restoreStatus: sum((c) => isUpdate(c) && c.group === 'velero.io' && c.resource === 'restores'),
    byKind,
  };
}

function readsOf(counts: readonly RequestCount[], agent: string): ClientReads {
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const c of counts) {
    if (c.userAgent !== agent || (c.verb !== 'get' && c.verb !== 'list')) continue;
    const kind = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}`;
    byKind[kind] = (byKind[kind] ?? 0) + c.count;
    total += c.count;
  }
  return { total, byKind };
}

export function countWrites(response: unknown): WriteCounts {
  const requests = (response as { requests?: RequestCount[] } | undefined)?.requests;
  if (!Array.isArray(requests)) throw new Error('/devcluster/requests: expected {"requests": [...]}');
  return {
    controller: writesOf(requests, CONTROLLER_AGENT),
    floor: writesOf(requests, FLOOR_AGENT),
    controllerReads: readsOf(requests, CONTROLLER_AGENT),
  };
}
