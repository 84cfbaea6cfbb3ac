/**
 * The per-kind rules kube-apiserver's registry strategies own (beyond defaulting and validation): what create
 * resets, how long a pod's graceful deletion lasts, what a Binding does, what DELETE answers.
 */
import type { ResourceInfo } from '../registry/resource.ts';
import { errors } from './errors.ts';
import { clone, isObj, kubeTime } from './object-meta.ts';
import type { DeleteOptions, KubeObject, Status } from './types.ts';

const isPods = (info: ResourceInfo) => info.group === '' && info.resource === 'pods';

/** Create resets status where it is a subresource (custom resources drop it); namespaces start Active. */
export function prepareForCreate(info: ResourceInfo, object: KubeObject): void {
  if (info.group === '' && info.resource === 'namespaces') {
    object.spec = { finalizers: ['kubernetes'] };
    object.status = { phase: 'Active' };
  } else if (info.statusSubresource) {
    if (info.custom) delete object.status;
    else object.status = {};
  }
}

/**
 * Seconds a DELETE waits before the object may go: 0 except for pods bound to a node and not finished, whose
 * kubelet ends the grace period (request gracePeriodSeconds, else the current one, else the pod's
 * terminationGracePeriodSeconds, else 30).
 */
export function gracePeriodSeconds(info: ResourceInfo, object: KubeObject, options: DeleteOptions): number {
  if (!isPods(info)) return 0;
  const spec = isObj(object.spec) ? object.spec : {};
  const phase = isObj(object.status) ? object.status.phase : undefined;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  if (options.gracePeriodSeconds !== undefined) return options.gracePeriodSeconds;
  if (object.metadata.deletionGracePeriodSeconds !== undefined)
    return object.metadata.deletionGracePeriodSeconds;
  return typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
}

/** The pod a Binding produces: spec.nodeName set and PodScheduled True. Throws 422/409 like kube-apiserver. */
export function boundPod(info: ResourceInfo, pod: KubeObject, binding: KubeObject, now: Date): KubeObject {
  const name = pod.metadata.name ?? '';
  const target = isObj(binding.target) ? binding.target : {};
  const node = typeof target.name === 'string' ? target.name : '';
  if (!node)
    throw errors.invalid('Binding', name, [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' },
    ]);
  const next = clone(pod);
  const spec = (isObj(next.spec) ? next.spec : {}) as Record<string, unknown>;
  if (spec.nodeName)
    throw errors.conflict(info, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
  if (next.metadata.deletionTimestamp)
    throw errors.conflict(info, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  spec.nodeName = node;
  next.spec = spec;
  const status = (isObj(next.status) ? next.status : {}) as Record<string, unknown>;
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as Record<string, unknown>[];
  status.conditions = [
    ...conditions.filter((c) => c.type !== 'PodScheduled'),
    { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: kubeTime(now) },
  ];
  next.status = status;
  return next;
}

/** What DELETE answers for kinds that do not return the deleted object. */
export function deletedStatus(info: ResourceInfo, deleted: KubeObject): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: deleted.metadata.name ?? '',
      ...(info.group ? { group: info.group } : {}),
      kind: info.resource,
      uid: deleted.metadata.uid ?? '',
    },
    code: 200,
  };
}
