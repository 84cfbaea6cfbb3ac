/** Who sets which field of ObjectMeta, and the order kube-apiserver serializes them in. */

/** The bookkeeping kube-apiserver writes into every object's metadata, in serialization order. */
const SERVER_BOOKKEEPING = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

/** ObjectMeta's fields in the order kube-apiserver serializes them (Go's field order). */
export const OBJECT_META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  ...SERVER_BOOKKEEPING,
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

/** Metadata the API server sets itself: a copy of an object meant to be created again must not carry it. */
export const SERVER_SET_METADATA = ['selfLink', ...SERVER_BOOKKEEPING, 'managedFields'] as const;
