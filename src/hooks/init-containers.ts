/**
 * Pure list surgery on init containers: where hook containers go, and how to take exactly ours out again.
 * Used by the planner and by the controller when it patches pod templates and cleans them up.
 */
import type { Container } from './restore-types.ts';
import { RESTORE_WAIT_CONTAINER } from './restore-types.ts';
import { hookContentHash } from './names.ts';

/** A hook container as placed in a list: the container to insert, or the name of one already there. */
export type PlacedHook = { readonly insert: Container } | { readonly existingName: string };

/**
 * The init-container list with hooks in Velero's order: `restore-wait` first when it is first, then the hooks in
 * the given order (reusing containers already present, by name), then the remaining original init containers in
 * their order. Hook containers already present are moved, never copied.
 */
export function placeHookContainers(
  existing: readonly Container[],
  hooks: readonly PlacedHook[],
): Container[] {
  const byName = new Map(existing.map((c) => [c.name, c]));
  const used = new Set<string>();
  const result: Container[] = [];
  const first = existing[0];
  if (first?.name === RESTORE_WAIT_CONTAINER) {
    result.push(first);
    used.add(first.name);
  }
  for (const h of hooks) {
    if ('insert' in h) {
      if (used.has(h.insert.name) || byName.has(h.insert.name)) continue; // never two containers with one name
      result.push(h.insert);
      used.add(h.insert.name);
    } else {
      const c = byName.get(h.existingName);
      if (c && !used.has(c.name)) {
        result.push(c);
        used.add(c.name);
      }
    }
  }
  for (const c of existing) if (!used.has(c.name)) result.push(c);
  return result;
}

/** What the controller records about a hook container it added: enough to remove exactly that container. */
export interface AddedHookContainer {
  readonly name: string;
  /** hookContentHash of the container as added. */
  readonly hash: string;
}

export interface RemovalResult {
  readonly initContainers: Container[];
  readonly removed: readonly string[];
  /** Recorded containers left in place, with the reason (changed since, or gone). */
  readonly kept: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * Removes the recorded hook containers, and only them: a container is removed when its name and its content
 * (ignoring API server defaults) still match the record. Anything else stays, reported in `kept`.
 */
export function removeHookContainers(
  existing: readonly Container[],
  added: readonly AddedHookContainer[],
): RemovalResult {
  const wanted = new Map(added.map((a) => [a.name, a.hash]));
  const removed: string[] = [];
  const kept: { name: string; reason: string }[] = [];
  const initContainers = existing.filter((c) => {
    const hash = wanted.get(c.name);
    if (hash === undefined) return true;
    if (hookContentHash(c) === hash) {
      removed.push(c.name);
      return false;
    }
    kept.push({ name: c.name, reason: 'its content changed after the hook was added' });
    return true;
  });
  for (const a of added)
    if (!existing.some((c) => c.name === a.name)) kept.push({ name: a.name, reason: 'not present' });
  return { initContainers, removed, kept };
}
