/**
 * The record the controller writes on a pod template when it adds hook containers: which Restore did it and
 * which containers (name + content hash) it added. Cleanup removes exactly those; a second pass sees them.
 */
import type { AddedHookContainer } from './init-containers.ts';

export const APPLIED_INIT_HOOKS_ANNOTATION = 'restore-hooks.dev/applied-init-hooks';

export interface AppliedInitHooks {
  /** `<namespace>/<name>` of the Restore. */
  readonly restore: string;
  readonly restoreUID?: string;
  readonly containers: readonly AddedHookContainer[];
}

/** The annotation value: compact JSON with a fixed key order, so rewriting an unchanged record is a no-op. */
export function formatAppliedInitHooks(record: AppliedInitHooks): string {
  return JSON.stringify({
    restore: record.restore,
    ...(record.restoreUID ? { restoreUID: record.restoreUID } : {}),
    containers: record.containers.map((c) => ({ name: c.name, hash: c.hash })),
  });
}

/** Reads the annotation value; undefined when it is absent or not a record we wrote (never throws). */
export function parseAppliedInitHooks(value: string | undefined): AppliedInitHooks | undefined {
  if (value === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.restore !== 'string' || !Array.isArray(r.containers)) return undefined;
  const containers: AddedHookContainer[] = [];
  for (const c of r.containers as unknown[]) {
    if (typeof c !== 'object' || c === null) return undefined;
    const { name, hash } = c as Record<string, unknown>;
    if (typeof name !== 'string' || typeof hash !== 'string') return undefined;
    containers.push({ name, hash });
  }
  return {
    restore: r.restore,
    ...(typeof r.restoreUID === 'string' ? { restoreUID: r.restoreUID } : {}),
    containers,
  };
}
