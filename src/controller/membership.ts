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

/** Pod → ReplicaSet → Deployment is the longest chain among the owners restore-hooks handles. */
const MAX_CHAIN_LENGTH = 3;

/**
 * The object followed by its controllers, nearest first: [Pod, ReplicaSet, Deployment], [Pod, StatefulSet], or
 * [Pod] for a bare pod. Stops at a controller that cannot be found, and after three links.
 */
export function controllerChain(target: ChainLink, lookupOwner: OwnerLookup): ChainLink[] {
  const chain = [target];
  let current = target;
  while (chain.length < MAX_CHAIN_LENGTH) {
    const ref = controllerOf(current.meta);
    const namespace = current.meta.namespace;
    if (!ref || namespace === undefined) break;
    const owner = lookupOwner(namespace, ref);
    if (!owner) break;
    chain.push(owner);
    current = owner;
  }
  return chain;
}

/** The `velero.io/restore-name` label value of the nearest labelled object on the chain. */
export function restoreLabelOf(chain: readonly ChainLink[]): string | undefined {
  for (const link of chain) {
    const value = link.meta.labels?.[RESTORE_NAME_LABEL];
    if (value) return value;
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
