import type { ObjectMeta } from '../kube/types.ts';

/**
 * True when the object was created at or after the restore started (timestamps have whole-second precision). The
 * `velero.io/restore-name` label alone proves nothing: `existingResourcePolicy=update` labels old objects too.
 */
export function createdDuringRestore(meta: ObjectMeta, restoreStart: string | undefined): boolean {
  const created = Date.parse(meta.creationTimestamp ?? '');
  const started = Date.parse(restoreStart ?? '');
  if (Number.isNaN(created) || Number.isNaN(started)) return false;
  return created >= Math.floor(started / 1000) * 1000;
}
