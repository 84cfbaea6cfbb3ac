/**
 * Exec-hook plans of many targets of one Restore, planned once per distinct input. The pods of one workload share
 * everything exec planning reads (planExecHooksOf): their namespace, labels, hook annotations and application
 * container names; what differs between them (names, the service-account token volume, statuses, records) does not
 * change their exec hooks. Pure: a cache of a pure function, keyed by exactly what it reads.
 */
import { HOOK_ANNOTATIONS } from './annotations.ts';
import type { HookTarget, PlanOptions } from './hook-plan.ts';
import type { RestoreHooks } from './validate.ts';
import { planExecHooksOf } from './plan.ts';
import { isRecord } from '../kube/json.ts';

type ExecPlanOf = ReturnType<typeof planExecHooksOf>;

/** Everything planExecHooksOf reads from a target; equal keys, equal plans. */
export function execPlanKey(target: HookTarget): string {
  const spec = isRecord(target.podSpec) ? target.podSpec : undefined;
  const containers = spec && Array.isArray(spec.containers) ? (spec.containers as unknown[]) : undefined;
  return JSON.stringify([
    target.namespace,
    target.labels ?? null,
    HOOK_ANNOTATIONS.map((k) => (isRecord(target.annotations) ? (target.annotations[k] ?? null) : null)),
    spec === undefined ? false : (containers?.map((c) => (isRecord(c) ? (c.name ?? null) : null)) ?? null),
    target.specPath ?? null,
    target.metadataPath ?? null,
  ]);
}

export class ExecPlanMemo {
  readonly #hooks: RestoreHooks;
  readonly #options: PlanOptions;
  readonly #plans = new Map<string, ExecPlanOf>();

  constructor(hooks: RestoreHooks, options: PlanOptions = {}) {
    this.#hooks = hooks;
    this.#options = options;
  }

  /** planExecHooksOf(hooks, target, options), the same plan object for targets with equal inputs. */
  plan(target: HookTarget): ExecPlanOf {
    const key = execPlanKey(target);
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      plan = planExecHooksOf(this.#hooks, target, this.#options);
      this.#plans.set(key, plan);
    }
    return plan;
  }

  /** Distinct inputs planned so far. */
  get size(): number {
    return this.#plans.size;
  }
}
