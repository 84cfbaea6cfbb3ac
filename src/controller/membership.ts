import { controllerOf } from '../kube/owners.ts';
import type { ObjectMeta, OwnerReference } from '../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../kube/velero-labels.ts';

/** An object on a pod's controller chain, as far as membership needs to know it. */
export interface ChainLink {
  readonly kind: string;
  readonly meta: ObjectMeta;
}

/** Resolves a controller owner reference within a namespace; undefined when the owner is unknown or gone. */
export type OwnerLookup = (namespace: string, ref: OwnerReference) => ChainLink | undefined;

export interface RestoreRef {
  /** The `velero.io/restore-name` label value (Velero shortens names longer than 63 characters). */
  readonly labelValue: string;
  /** The labelled object that makes the target a member: the target itself or one of its controllers. */
  readonly labelledBy: ChainLink;
  /** The target's controller chain, nearest first, up to and including the labelled object. */
  readonly chain: readonly ChainLink[];
}

/** Pod → ReplicaSet → Deployment is the longest chain among the owners restore-hooks handles. */
const MAX_CHAIN = 3;

/**
 * Finds the restore an object was brought back by: its own `velero.io/restore-name` label, or that of the
 * nearest object on its controller chain that has one. Age (created at or after the restore started) is checked
 * separately, against the labelled object, because the label alone is no proof.
 */
export function findRestoreLabel(target: ChainLink, lookupOwner: OwnerLookup): RestoreRef | undefined {
  const chain: ChainLink[] = [];
  let current: ChainLink | undefined = target;
  for (let depth = 0; current && depth <= MAX_CHAIN; depth++) {
    const labelValue = current.meta.labels?.[RESTORE_NAME_LABEL];
    if (labelValue) return { labelValue, labelledBy: current, chain };
    const ref = controllerOf(current.meta);
    const namespace = current.meta.namespace;
    if (!ref || namespace === undefined) return undefined;
    current = lookupOwner(namespace, ref);
    if (current) chain.push(current);
  }
  return undefined;
}

/** True when the object was created at or after the restore started (timestamps have whole-second precision). */
export function createdDuringRestore(meta: ObjectMeta, restoreStart: string | undefined): boolean {
  const created = Date.parse(meta.creationTimestamp ?? '');
  const started = Date.parse(restoreStart ?? '');
  if (Number.isNaN(created) || Number.isNaN(started)) return false;
  return created >= Math.floor(started / 1000) * 1000;
}
