import type { ObjectMeta } from '../../kube/types.ts';

/**
 * A Kubernetes object as plain JSON, exactly as the API server sends it. The informer caches only this
 * representation (client-node's typed clients would give Date fields instead); use
 * `ObjectSerializer.deserialize` where a typed model is really needed.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/**
 * What the machinery (informers, indexers, list-watch, event handlers) needs of an object: its metadata. KubeObject
 * and the typed shapes of src/kube/types.ts (Pod, Workload, …) both are, so an informer can be typed by what it holds.
 */
export interface ObjectWithMeta {
  metadata?: ObjectMeta;
}

/** The cache key client-go uses: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: ObjectWithMeta): string {
  const name = object.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a key made by `objectKey`. */
export function splitObjectKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Drops metadata.managedFields, as controller-runtime's TransformStripManagedFields does for its cache: nothing in
 * the controller reads them, and they are often the larger part of a pod.
 */
export function stripManagedFields<T extends ObjectWithMeta>(object: T): T {
  if (object.metadata?.managedFields === undefined) return object;
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  return { ...object, metadata };
}
