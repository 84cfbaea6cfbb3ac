/**
 * The planner: which hooks a Restore gives one pod (or one workload's pod template), where the init containers
 * go, which exec hooks run in which container, what is already in place, and every problem. Pure and total:
 * invalid input yields problems, never an exception.
 */
import type { RestoreHooks } from './validate.ts';
import type { AddedHookContainer } from './init-containers.ts';
import type { HookPlan, HookTarget, PlanOptions } from './hook-plan.ts';
import { PlanContext } from './plan-context.ts';
import { planInitHooks } from './init-hooks.ts';
import { planExecHooks } from './exec-hooks.ts';
import type { ExecPlan } from './exec-hooks.ts';

export type * from './hook-plan.ts';
export { resourceApplies } from './plan-context.ts';
export { mayHaveExecHooks } from './exec-hooks.ts';
export type { ExecPlan } from './exec-hooks.ts';

/** Plans the hooks of one Restore for one target. `hooks` comes from parseRestoreHooks. */
export function planHooks(hooks: RestoreHooks, target: HookTarget, options: PlanOptions = {}): HookPlan {
  const ctx = new PlanContext(hooks, target, options);
  const init = planInitHooks(ctx);
  const exec = planExecHooks(ctx);
  return { ...init, ...exec, problems: ctx.problems };
}

/**
 * The exec part of planHooks's plan, without planning the init hooks (which hash every hook container): exec
 * hooks depend only on the target's namespace, labels, hook annotations and application container names.
 */
export function planExecHooksOf(
  hooks: RestoreHooks,
  target: HookTarget,
  options: PlanOptions = {},
): ExecPlan & Pick<HookPlan, 'problems'> {
  const ctx = new PlanContext(hooks, target, options);
  const exec = planExecHooks(ctx);
  return { ...exec, problems: ctx.problems };
}

/**
 * The hook containers this plan adds (state `insert`), as the controller records them on the template it patches
 * (APPLIED_INIT_HOOKS_ANNOTATION), so that cleanup later removes exactly these.
 */
export function addedHookContainers(plan: Pick<HookPlan, 'initHooks'>): AddedHookContainer[] {
  return plan.initHooks
    .filter((h) => h.state === 'insert')
    .map((h) => ({ name: h.container.name, hash: h.contentHash }));
}
