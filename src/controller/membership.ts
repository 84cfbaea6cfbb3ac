import type { ObjectMeta } from '../kube/types.ts';
import type { RestoreHooks } from '../hooks/validate.ts';
import { restoresIntoNamespace } from '../hooks/validate.ts';
import { UNTRUSTED_CREATOR_ANNOTATION } from './marks.ts';

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

export type MembershipVerdict =
  'Member' | 'OlderThanRestore' | 'OutsideRestoreNamespaces' | 'UntrustedCreator';

/**
 * Whether an object carrying a Restore's label is one of that Restore's: created during the restore, in a namespace
 * the Restore itself restores into (its includedNamespaces / excludedNamespaces after namespaceMapping), and not
 * seen by the workload webhook labelled by anyone but Velero (UNTRUSTED_CREATOR_ANNOTATION). Anyone who may create
 * objects can set the label: the namespace check keeps an object in another namespace out, the annotation one in a
 * restored namespace, as long as the webhook saw it created (docs/operations.md, "Threat model").
 */
export function restoreMembership(
  meta: ObjectMeta,
  restore: { readonly status?: { readonly startTimestamp?: string } },
  hooks: Pick<RestoreHooks, 'namespaceMapping' | 'includedNamespaces' | 'excludedNamespaces'>,
): MembershipVerdict {
  if (!restoresIntoNamespace(hooks, meta.namespace ?? '')) return 'OutsideRestoreNamespaces';
  if (meta.annotations?.[UNTRUSTED_CREATOR_ANNOTATION] !== undefined) return 'UntrustedCreator';
  if (!createdDuringRestore(meta, restore.status?.startTimestamp)) return 'OlderThanRestore';
  return 'Member';
}

/** restoreMembership(...) === 'Member'. */
export function isRestoreMember(
  meta: ObjectMeta,
  restore: { readonly status?: { readonly startTimestamp?: string } },
  hooks: Pick<RestoreHooks, 'namespaceMapping' | 'includedNamespaces' | 'excludedNamespaces'>,
): boolean {
  return restoreMembership(meta, restore, hooks) === 'Member';
}
