/**
 * TEMPORARY seam for the pure modules still being written on branch devcluster-pure
 * (patch/server-side-apply.ts, crd/structural.ts).
 * Each function fails loudly or does nothing, as documented; the merge of devcluster-pure replaces this file.
 */
import { errors } from './errors.ts';
import type { KubeObject, StatusCause } from './types.ts';

/** Structural pruning not merged yet: the object unchanged. */
export function pruneAndValidate(
  _schema: unknown,
  object: unknown,
): { object: unknown; causes: StatusCause[] } {
  return { object, causes: [] };
}

export function applyServerSideApply(
  _existing: KubeObject | undefined,
  _applied: KubeObject,
  _opts: { manager: string; force: boolean },
): KubeObject {
  throw errors.internal('server-side apply is not available yet in this build of the devcluster');
}
