/**
 * TEMPORARY seam for the pure modules still being written on branch devcluster-pure
 * (builtin/validation.ts, patch/strategic-merge.ts, patch/server-side-apply.ts, crd/structural.ts).
 * Each function fails loudly or does nothing, as documented; the merge of devcluster-pure replaces this file.
 */
import { errors } from './errors.ts';
import type { KubeObject, StatusCause } from './types.ts';

/** Built-in validation not merged yet: no causes. */
export function validateCreate(_kind: { group: string; kind: string }, _object: KubeObject): StatusCause[] {
  return [];
}

/** Built-in validation not merged yet: no causes. */
export function validateUpdate(
  _kind: { group: string; kind: string },
  _old: KubeObject,
  _next: KubeObject,
): StatusCause[] {
  return [];
}

/** Structural pruning not merged yet: the object unchanged. */
export function pruneAndValidate(
  _schema: unknown,
  object: unknown,
): { object: unknown; causes: StatusCause[] } {
  return { object, causes: [] };
}

export function applyStrategicMergePatch(
  _target: unknown,
  _patch: unknown,
  _kind: { group: string; kind: string },
): unknown {
  throw errors.internal('strategic merge patch is not available yet in this build of the devcluster');
}

export function applyServerSideApply(
  _existing: KubeObject | undefined,
  _applied: KubeObject,
  _opts: { manager: string; force: boolean },
): KubeObject {
  throw errors.internal('server-side apply is not available yet in this build of the devcluster');
}
