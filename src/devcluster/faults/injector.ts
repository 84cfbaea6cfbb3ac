/**
 * Runtime-controllable fault injection for chaos tests. The HTTP layer calls `beforeRequest` for every API request
 * and wraps every watch stream with `guardWatch`; tests and the admin endpoint change the rules while it runs.
 * Random decisions come from one seeded generator, so the same seed and request order inject the same faults.
 */
import { errors } from '../api/errors.ts';
import type { ApiError } from '../api/errors.ts';
import { seededRandom } from './random.ts';
import { FaultRuleError, parseFaultRule, ruleMatches } from './rules.ts';
import type { FaultRequest, FaultRule } from './rules.ts';

export interface FaultCounters {
  /** Requests that passed through beforeRequest. */
  requests: number;
  /** Requests that got added latency, and the total added. */
  delayed: number;
  delayMsTotal: number;
  /** Injected errors by HTTP code. */
  errors: Record<string, number>;
  watchesCut: number;
  compactions: number;
  /** Requests that had to wait for a resume. */
  pausedRequests: number;
  /** Faults injected per rule id. */
  byRule: Record<string, number>;
}

export interface FaultState {
  seed: number;
  paused: boolean;
  rules: FaultRule[];
  counters: FaultCounters;
}

/** The part of a watch stream the injector needs (the HTTP layer's WatchStreamControl). */
export interface WatchStreamLike {
  close(): void;
  destroy(): void;
  onEvent(listener: (eventsSent: number) => void): void;
}

const WRITE_VERBS = new Set(['update', 'patch', 'delete']);

function emptyCounters(): FaultCounters {
  return {
    requests: 0,
    delayed: 0,
    delayMsTotal: 0,
    errors: {},
    watchesCut: 0,
    compactions: 0,
    pausedRequests: 0,
    byRule: {},
  };
}

export class FaultInjector {
  private rules: (FaultRule & { used: number })[] = [];
  private random: () => number;
  private seed: number;
  private isPaused = false;
  private waiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private compactor: (() => void) | undefined;
  private counts = emptyCounters();
  private nextId = 1;

  constructor(options: { seed?: number; rules?: unknown[]; paused?: boolean } = {}) {
    this.seed = options.seed ?? 1;
    this.random = seededRandom(this.seed);
    if (options.rules) this.setRules(options.rules);
    if (options.paused) this.pause();
  }

  /** Restarts the random sequence. */
  setSeed(seed: number): void {
    this.seed = seed;
    this.random = seededRandom(seed);
  }

  /** Validates and adds a rule (see FaultRule); throws FaultRuleError naming the bad field. */
  addRule(input: unknown): FaultRule {
    const rule = parseFaultRule(input, 'rule', `rule-${this.nextId}`);
    if (this.rules.some((r) => r.id === rule.id))
      throw new FaultRuleError(`rule.id: "${rule.id}" already exists`);
    this.nextId++;
    this.rules.push({ ...rule, used: 0 });
    return rule;
  }

  /** Replaces all rules atomically: nothing changes if one is invalid. */
  setRules(inputs: unknown[]): FaultRule[] {
    const parsed = inputs.map((input, i) => parseFaultRule(input, `rules[${i}]`, `rule-${this.nextId + i}`));
    const ids = new Set<string>();
    parsed.forEach((r, i) => {
      if (ids.has(r.id)) throw new FaultRuleError(`rules[${i}].id: "${r.id}" is used twice`);
      ids.add(r.id);
    });
    this.nextId += inputs.length;
    this.rules = parsed.map((r) => ({ ...r, used: 0 }));
    return parsed;
  }

  removeRule(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clearRules(): void {
    this.rules = [];
  }

  /** Holds every new request until resume(). Open watch streams keep streaming. */
  pause(): void {
    this.isPaused = true;
  }

  resume(): void {
    this.isPaused = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** The API server registers how to drop its watch history, so that old resourceVersions get 410. */
  setCompactor(compact: () => void): void {
    this.compactor = compact;
  }

  /** Forces a history compaction now: every watch resuming from an older resourceVersion gets 410 Expired. */
  compact(): void {
    if (!this.compactor) throw new Error('no compactor registered: the API server did not call setCompactor');
    this.compactor();
    this.counts.compactions++;
  }

  state(): FaultState {
    return {
      seed: this.seed,
      paused: this.isPaused,
      rules: this.rules.map(({ used: _used, ...rule }) => rule),
      counters: this.counters(),
    };
  }

  counters(): FaultCounters {
    return structuredClone(this.counts);
  }

  resetCounters(): void {
    this.counts = emptyCounters();
  }

  /**
   * Waits while paused, adds the matching rules' latency, then throws the ApiError of the first matching error
   * rule whose dice say so. The HTTP layer answers with that error's Status (and headers, e.g. Retry-After).
   */
  async beforeRequest(req: FaultRequest): Promise<void> {
    this.counts.requests++;
    if (this.isPaused) {
      this.counts.pausedRequests++;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    let delay = 0;
    let failure: ApiError | undefined;
    for (const rule of this.active(req)) {
      if (rule.latencyMs !== undefined || rule.jitterMs !== undefined) {
        delay += (rule.latencyMs ?? 0) + (rule.jitterMs ? Math.floor(this.random() * rule.jitterMs) : 0);
        this.used(rule);
      }
      if (!failure && rule.error && this.appliesTo(rule.error.code, req) && this.random() < rule.error.rate) {
        failure = this.errorFor(rule, req);
        this.used(rule);
        this.counts.errors[rule.error.code] = (this.counts.errors[rule.error.code] ?? 0) + 1;
      }
    }
    if (delay > 0) {
      this.counts.delayed++;
      this.counts.delayMsTotal += delay;
      await this.sleep(delay);
    }
    if (failure) throw failure;
  }

  /**
   * Watches one watch stream and cuts it when a cutWatch rule says so: `close` ends it cleanly (clients re-watch
   * from their last resourceVersion), `drop` breaks the connection mid-stream.
   */
  attachWatch(req: FaultRequest, watch: WatchStreamLike): void {
    const rule = this.active(req).find((r) => r.cutWatch);
    if (!rule?.cutWatch) return;
    const { afterSeconds, afterEvents, mode } = rule.cutWatch;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const cut = () => {
      if (done) return;
      done = true;
      if (timer) {
        clearTimeout(timer);
        this.timers.delete(timer);
      }
      this.counts.watchesCut++;
      this.used(rule);
      if (mode === 'drop') watch.destroy();
      else watch.close();
    };
    if (afterSeconds !== undefined) {
      timer = setTimeout(cut, afterSeconds * 1000);
      this.timers.add(timer);
    }
    if (afterEvents !== undefined) watch.onEvent((sent) => sent >= afterEvents && cut());
  }

  /** Releases paused requests and stops timers; call when the server stops. */
  dispose(): void {
    this.resume();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private active(req: FaultRequest): (FaultRule & { used: number })[] {
    return this.rules.filter((r) => (r.times === undefined || r.used < r.times) && ruleMatches(r, req));
  }

  private used(rule: FaultRule & { used: number }): void {
    rule.used++;
    this.counts.byRule[rule.id] = (this.counts.byRule[rule.id] ?? 0) + 1;
  }

  /** Conflicts only make sense for writes to existing objects. */
  private appliesTo(code: number, req: FaultRequest): boolean {
    return code !== 409 || WRITE_VERBS.has(req.verb);
  }

  private errorFor(rule: FaultRule, req: FaultRequest): ApiError {
    const code = rule.error!.code;
    const why = `injected by devcluster fault rule "${rule.id}"`;
    switch (code) {
      case 429:
        return errors.tooManyRequests(rule.error!.retryAfterSeconds ?? 1);
      case 500:
        return errors.internal(why);
      case 503:
        return errors.serviceUnavailable(`the server is currently unable to handle the request (${why})`);
      case 409:
        return errors.conflict({ group: req.apiGroup, resource: req.resource }, req.name ?? '');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
