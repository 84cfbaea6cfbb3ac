/**
 * An emulation of Velero's own init-hook injection (its restore item action for pods), so tests can check how
 * restore-hooks coexists with a Velero that injects too. Deliberately Velero-like, quirks included: random default
 * names (velero-restore-init-xxxxxxxx), no de-duplication, annotation hooks override spec hooks, containers go
 * after `restore-wait` and before the pod's own init containers. Label selectors support matchLabels and
 * matchExpressions; anything beyond that is out of scope.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../api/types.ts';
import { labelSelectorMatcher } from '../sim/meta.ts';
import { includedBy } from './glob.ts';

interface RestoreHooksSpec {
  resources?: {
    includedNamespaces?: string[];
    excludedNamespaces?: string[];
    labelSelector?: unknown;
    postHooks?: { init?: { initContainers?: Record<string, unknown>[] } }[];
  }[];
}

function annotationCommand(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return parsed;
    } catch {
      // Velero falls back to the whole value as one argument.
    }
  }
  return [value];
}

/** Returns the init containers Velero would add to a restored pod (in order), or none. */
export function veleroInitContainers(
  pod: KubeObject,
  hooks: RestoreHooksSpec | undefined,
): Record<string, unknown>[] {
  const a = pod.metadata.annotations ?? {};
  const image = a['init.hook.restore.velero.io/container-image'];
  if (image) {
    const command = annotationCommand(a['init.hook.restore.velero.io/command']);
    return [
      {
        name:
          a['init.hook.restore.velero.io/container-name'] ||
          `velero-restore-init-${randomBytes(4).toString('hex')}`,
        image,
        ...(command ? { command } : {}),
      },
    ];
  }
  const namespace = pod.metadata.namespace ?? '';
  const out: Record<string, unknown>[] = [];
  for (const resource of hooks?.resources ?? []) {
    if (!includedBy(namespace, resource.includedNamespaces, resource.excludedNamespaces)) continue;
    if (resource.labelSelector && !labelSelectorMatcher(resource.labelSelector)(pod.metadata.labels))
      continue;
    for (const hook of resource.postHooks ?? [])
      out.push(...structuredClone(hook.init?.initContainers ?? []));
  }
  return out;
}

/** Inserts the containers as Velero does: after restore-wait, before the pod's own init containers. */
export function injectVeleroInitContainers(pod: KubeObject, containers: Record<string, unknown>[]): void {
  if (containers.length === 0) return;
  const spec = (pod.spec ?? {}) as { initContainers?: { name?: string }[] };
  const existing = spec.initContainers ?? [];
  const wait = existing.filter((c) => c.name === 'restore-wait');
  const rest = existing.filter((c) => c.name !== 'restore-wait');
  spec.initContainers = [...wait, ...(containers as { name?: string }[]), ...rest];
  pod.spec = spec;
}
