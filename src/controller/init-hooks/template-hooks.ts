import type { HookPlan } from '../../hooks/plan.ts';
import { formatProblem } from '../../hooks/problems.ts';
import type { SkipReason } from '../../telemetry/metrics.ts';
import type { TemplateHooks } from './workload-decision.ts';

const INIT_ANNOTATION_PREFIX = 'init.hook.restore.velero.io/';

/** Condenses a plan's init hooks into what the decision needs. Restore-wide errors make every target invalid. */
export function initHooksState(plan: HookPlan, restoreHasErrors: boolean): TemplateHooks {
  if (plan.initHooks.length === 0) return 'none';
  if (restoreHasErrors) return 'invalid';
  const states = new Set(plan.initHooks.map((h) => h.state));
  if (states.has('invalid')) return 'invalid';
  if (states.has('conflict')) return 'conflict';
  if (states.has('insert')) return 'missing';
  return 'present';
}

export interface InitHooksSkip {
  /** The restore_hooks_hooks_skipped_total reason: the policy rule that refused a hook, else invalid-hook. */
  readonly reason: SkipReason;
  /** `field: message` of each error that keeps an init hook out. */
  readonly problems: readonly string[];
}

/** Why the plan's init hooks are not applied to a target, or undefined when no init hook is invalid. */
export function initHooksSkip(plan: Pick<HookPlan, 'problems'>): InitHooksSkip | undefined {
  const errors = plan.problems.filter(
    (p) =>
      p.severity === 'error' &&
      (p.hookId?.startsWith('init/') === true ||
        p.field.includes(INIT_ANNOTATION_PREFIX) ||
        p.field.endsWith('.initContainers')),
  );
  if (errors.length === 0) return undefined;
  return {
    reason: errors.find((p) => p.rule !== undefined)?.rule ?? 'invalid-hook',
    problems: errors.map(formatProblem),
  };
}
