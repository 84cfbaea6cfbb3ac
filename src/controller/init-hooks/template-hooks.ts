import type { HookPlan } from '../../hooks/plan.ts';
import type { TemplateHooks } from './workload-decision.ts';

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
