import type { ObjectMeta, OwnerReference } from './types.ts';

/** The owner reference with controller=true, as the garbage collector and workload controllers use it. */
export function controllerOf(meta: ObjectMeta): OwnerReference | undefined {
  return meta.ownerReferences?.find((ref) => ref.controller === true);
}
