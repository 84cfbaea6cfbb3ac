/** Fault rules: what to inject into which requests. Parsed from JSON (flags, admin endpoint) with field-named errors. */

/** The request a fault rule is matched against. */
export interface FaultRequest {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. */
  readonly verb: string;
  /** '' for the core group. */
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export type FaultErrorCode = 409 | 429 | 500 | 503;
export const FAULT_ERROR_CODES: readonly FaultErrorCode[] = [409, 429, 500, 503];

export interface FaultRule {
  /** Shown in counters; default `rule-<n>`. */
  id: string;
  /** Any of these verbs; empty or absent: all. */
  verbs?: string[];
  /** `pods`, `pods/exec`, `deployments.apps`, `restores.velero.io`, or `*`; empty or absent: all. */
  resources?: string[];
  namespaces?: string[];
  /** Added latency before the request is served. */
  latencyMs?: number;
  /** Extra latency drawn uniformly from [0, jitterMs). */
  jitterMs?: number;
  /** Fail this fraction of matching requests (0..1) with `code`. 409 is a write Conflict. */
  error?: { code: FaultErrorCode; rate: number; retryAfterSeconds?: number };
  /** Close matching watch streams after this long or this many events (whichever comes first). */
  cutWatch?: { afterSeconds?: number; afterEvents?: number; mode?: 'close' | 'drop' };
  /** The rule expires after injecting this many faults. */
  times?: number;
}

export class FaultRuleError extends Error {
  override name = 'FaultRuleError';
}

/** `pods` or `pods/exec` or `deployments.apps` — the names rules use. */
export function resourceName(req: FaultRequest): string {
  const base = req.apiGroup ? `${req.resource}.${req.apiGroup}` : req.resource;
  return req.subresource ? `${base}/${req.subresource}` : base;
}

export function ruleMatches(rule: FaultRule, req: FaultRequest): boolean {
  const any = (list: string[] | undefined, value: string) =>
    !list || list.length === 0 || list.includes('*') || list.includes(value);
  const resource = resourceName(req);
  return (
    any(rule.verbs, req.verb) &&
    (any(rule.resources, resource) || (!!req.subresource && any(rule.resources, `${req.resource}/*`))) &&
    any(rule.namespaces, req.namespace ?? '')
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const RULE_FIELDS = new Set([
  'id',
  'verbs',
  'resources',
  'namespaces',
  'latencyMs',
  'jitterMs',
  'error',
  'cutWatch',
  'times',
]);

/** Validates one rule from JSON. Throws FaultRuleError naming the field. */
export function parseFaultRule(input: unknown, path: string, defaultId: string): FaultRule {
  if (!isObject(input)) throw new FaultRuleError(`${path}: must be an object`);
  for (const key of Object.keys(input)) {
    if (!RULE_FIELDS.has(key)) throw new FaultRuleError(`${path}.${key}: unknown field`);
  }
  const strings = (key: string): string[] | undefined => {
    const v = input[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      throw new FaultRuleError(`${path}.${key}: must be a list of strings`);
    }
    return v as string[];
  };
  const number = (value: unknown, field: string, min: number, max = Infinity): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new FaultRuleError(`${field}: must be a number in [${min}, ${max}]`);
    }
    return value;
  };
  const rule: FaultRule = { id: defaultId };
  if (input.id !== undefined) {
    if (typeof input.id !== 'string' || input.id === '')
      throw new FaultRuleError(`${path}.id: must be a non-empty string`);
    rule.id = input.id;
  }
  const verbs = strings('verbs');
  const resources = strings('resources');
  const namespaces = strings('namespaces');
  if (verbs) rule.verbs = verbs;
  if (resources) rule.resources = resources;
  if (namespaces) rule.namespaces = namespaces;
  const latencyMs = number(input.latencyMs, `${path}.latencyMs`, 0);
  const jitterMs = number(input.jitterMs, `${path}.jitterMs`, 0);
  const times = number(input.times, `${path}.times`, 1);
  if (latencyMs !== undefined) rule.latencyMs = latencyMs;
  if (jitterMs !== undefined) rule.jitterMs = jitterMs;
  if (times !== undefined) rule.times = Math.floor(times);
  if (input.error !== undefined) {
    const e = input.error;
    if (!isObject(e)) throw new FaultRuleError(`${path}.error: must be an object`);
    if (!FAULT_ERROR_CODES.includes(e.code as FaultErrorCode)) {
      throw new FaultRuleError(`${path}.error.code: must be one of ${FAULT_ERROR_CODES.join(', ')}`);
    }
    const rate = number(e.rate ?? 1, `${path}.error.rate`, 0, 1)!;
    const retryAfterSeconds = number(e.retryAfterSeconds, `${path}.error.retryAfterSeconds`, 0);
    rule.error = {
      code: e.code as FaultErrorCode,
      rate,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
  }
  if (input.cutWatch !== undefined) {
    const c = input.cutWatch;
    if (!isObject(c)) throw new FaultRuleError(`${path}.cutWatch: must be an object`);
    const afterSeconds = number(c.afterSeconds, `${path}.cutWatch.afterSeconds`, 0);
    const afterEvents = number(c.afterEvents, `${path}.cutWatch.afterEvents`, 1);
    if (afterSeconds === undefined && afterEvents === undefined) {
      throw new FaultRuleError(`${path}.cutWatch: needs afterSeconds or afterEvents`);
    }
    if (c.mode !== undefined && c.mode !== 'close' && c.mode !== 'drop') {
      throw new FaultRuleError(`${path}.cutWatch.mode: must be "close" or "drop"`);
    }
    rule.cutWatch = {
      ...(c.mode !== undefined ? { mode: c.mode } : {}),
      ...(afterSeconds !== undefined ? { afterSeconds } : {}),
      ...(afterEvents !== undefined ? { afterEvents: Math.floor(afterEvents) } : {}),
    };
  }
  if (rule.latencyMs === undefined && rule.jitterMs === undefined && !rule.error && !rule.cutWatch) {
    throw new FaultRuleError(`${path}: needs at least one of latencyMs, jitterMs, error, cutWatch`);
  }
  return rule;
}
