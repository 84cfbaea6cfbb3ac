/** What the workload and pod plan tests share: Restore r1 with one init hook for namespace `app`, and the clock. */
import type { Effect } from '../../../src/controller/init-hooks/effects.ts';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../../src/hooks/validate.ts';

export const START = '2026-01-01T00:00:00Z';
export const NOW = Date.parse('2026-01-01T00:05:00Z');
export const HOOK = { name: 'restore-hook', image: 'alpine:3', command: ['true'] };
export const hooks = parseRestoreHooks(
  {
    spec: {
      hooks: {
        resources: [
          { name: 'h', includedNamespaces: ['app'], postHooks: [{ init: { initContainers: [HOOK] } }] },
        ],
      },
    },
  },
  DEFAULT_HOOK_POLICY,
);

/** A plan's effects with those reported once (`once`) in line. */
export function flatEffects(effects: readonly Effect[]): Effect[] {
  return effects.flatMap((e) => ('once' in e ? flatEffects(e.effects) : [e]));
}
