/** What the workload and pod plan tests share: Restore r1 with one init hook for namespace `app`, and the clock. */
import type { Effect } from '../../../src/controller/init-hooks/effects.ts';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../../src/hooks/validate.ts';
import type { Pod } from '../../../src/kube/types.ts';

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

/** A pod's spec (one `app` container, and the init containers given) and its status: Pending, or its app started. */
export function podSpecAndStatus(initContainers: unknown[] | undefined, started = false) {
  return {
    spec: {
      containers: [{ name: 'app', image: 'nginx' }],
      ...(initContainers ? { initContainers } : {}),
    },
    status: started
      ? { phase: 'Running', containerStatuses: [{ name: 'app', state: { running: { startedAt: START } } }] }
      : { phase: 'Pending' },
  };
}

/** A pod in namespace `app`, created during the restore, Pending unless `started`. */
export function restorePod(
  name: string,
  extra: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    owner?: { kind: string; name: string; uid: string };
    initContainers?: unknown[];
    started?: boolean;
  } = {},
): Pod {
  const owner = extra.owner;
  return {
    metadata: {
      name,
      namespace: 'app',
      uid: `${name}-uid`,
      creationTimestamp: '2026-01-01T00:02:00Z',
      labels: extra.labels ?? {},
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ...(owner
        ? {
            ownerReferences: [
              { apiVersion: owner.kind === 'Job' ? 'batch/v1' : 'apps/v1', ...owner, controller: true },
            ],
          }
        : {}),
    },
    ...podSpecAndStatus(extra.initContainers, extra.started),
  } as Pod;
}
