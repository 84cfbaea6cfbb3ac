/**
 * How the Kubernetes Deployment controller tells its ReplicaSets apart (pkg/controller/deployment/util): its "new"
 * ReplicaSet is the oldest one whose pod template equals the Deployment's, ignoring the `pod-template-hash` label
 * (FindNewReplicaSet with EqualIgnoreHash); every other ReplicaSet is old and scaled down by a rollout. Pure.
 */
import { canonicalJson } from '../../hooks/names.ts';
import type { ObjectMeta, PodTemplateSpec } from '../../kube/types.ts';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/**
 * The template as EqualIgnoreHash compares it: without the hash label, and with empty label and annotation maps
 * dropped (Kubernetes' semantic equality treats a nil map and an empty one alike).
 */
function comparable(template: PodTemplateSpec | undefined): string {
  const metadata: ObjectMeta = { ...template?.metadata };
  const labels = { ...metadata.labels };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  else delete metadata.labels;
  if (metadata.annotations && Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  return canonicalJson({ ...template, metadata });
}

/** EqualIgnoreHash: the two pod templates are equal once the `pod-template-hash` label is left out. */
export function equalIgnoringHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return comparable(a) === comparable(b);
}
