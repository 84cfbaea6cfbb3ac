/**
 * The key that names a Restore throughout restore-hooks: the restore reconciler's work-queue key (split again with
 * splitObjectKey), the `restore` field of logs, the ledger's annotation, outcome callbacks and the status report.
 * It is client-go's cache key of a namespaced object, `namespace/name`. A missing field gives an empty part, never
 * an error: `restore-hooks plan` names Restores read from files.
 */
export function restoreKey(restore: {
  readonly metadata?: { readonly namespace?: unknown; readonly name?: unknown } | null;
}): string {
  const { namespace, name } = restore.metadata ?? {};
  return `${String(namespace ?? '')}/${String(name ?? '')}`;
}
