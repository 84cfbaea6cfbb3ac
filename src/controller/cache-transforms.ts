import type { ContainerStatus, ObjectMeta, Pod, PodSpec, PodStatus, Volume } from '../kube/types.ts';
import type { KubeObject } from './machinery/kube-object.ts';

/**
 * What the controller's informers keep of each object, applied before it is cached (controller-runtime's cache
 * TransformFunc): the memory of a large restore follows the number of pods held, so a pod is held with the fields
 * some reader of the caches uses, and nothing else. The readers are listed in docs/controller-machinery.md
 * ("Memory"); a new reader of another field must keep it here. Whatever copies a whole pod (the bare-pod
 * replacement) reads it from the API.
 */

/** kubectl's copy of the whole object as last applied: often the largest annotation, and nothing reads it. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The fields of metadata the controller reads; managedFields and the server's other bookkeeping are dropped. */
const KEPT_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'labels',
  'ownerReferences',
] as const;

function cachedMetadata(metadata: ObjectMeta): ObjectMeta {
  const kept: ObjectMeta = {};
  for (const field of KEPT_METADATA)
    if (metadata[field] !== undefined) kept[field] = metadata[field] as never;
  if (metadata.annotations !== undefined) {
    const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...annotations } = metadata.annotations;
    kept.annotations = annotations;
  }
  return kept;
}

/**
 * Of the spec: the application containers' names (exec hooks name their container; an init hook must not take an
 * application container's name), the init containers whole (hook containers are compared by content; Velero's
 * restore-wait container's volume mounts matter), and the volumes' names, marking the emptyDir ones (a hook may
 * mount any volume; an emptyDir restored by Velero lives only in its pod).
 */
function cachedPodSpec(spec: PodSpec): PodSpec {
  return {
    containers: (spec.containers ?? []).map((c) => ({ name: c.name })),
    ...(spec.initContainers !== undefined ? { initContainers: spec.initContainers } : {}),
    ...(spec.volumes !== undefined
      ? {
          volumes: spec.volumes.map((v): Volume =>
            v.emptyDir !== undefined ? { name: v.name, emptyDir: v.emptyDir } : { name: v.name },
          ),
        }
      : {}),
  };
}

/** Whether and how each container ran; image, imageID, containerID, resources and the like are dropped. */
function cachedContainerStatus(status: ContainerStatus): ContainerStatus {
  return {
    name: status.name,
    ready: status.ready,
    restartCount: status.restartCount,
    ...(status.started !== undefined ? { started: status.started } : {}),
    ...(status.state !== undefined ? { state: status.state } : {}),
    ...(status.lastState !== undefined ? { lastState: status.lastState } : {}),
  };
}

/** The phase, each condition's type and status (Initialized is read), and the containers' run states. */
function cachedPodStatus(status: PodStatus): PodStatus {
  return {
    ...(status.phase !== undefined ? { phase: status.phase } : {}),
    ...(status.conditions !== undefined
      ? { conditions: status.conditions.map((c) => ({ type: c.type, status: c.status })) }
      : {}),
    ...(status.initContainerStatuses !== undefined
      ? { initContainerStatuses: status.initContainerStatuses.map(cachedContainerStatus) }
      : {}),
    ...(status.containerStatuses !== undefined
      ? { containerStatuses: status.containerStatuses.map(cachedContainerStatus) }
      : {}),
  };
}

/** A pod as the pod informers hold it. Objects without metadata or spec (never sent by an API server) pass as they are. */
export function cachedPod(object: KubeObject): KubeObject {
  const pod = object as unknown as Partial<Pod>;
  if (pod.metadata === undefined || pod.spec === undefined) return object;
  const cached: Pod = {
    ...(pod.apiVersion !== undefined ? { apiVersion: pod.apiVersion } : {}),
    ...(pod.kind !== undefined ? { kind: pod.kind } : {}),
    metadata: cachedMetadata(pod.metadata),
    spec: cachedPodSpec(pod.spec),
    ...(pod.status !== undefined ? { status: cachedPodStatus(pod.status) } : {}),
  };
  return cached as unknown as KubeObject;
}

/**
 * A workload as its informer holds it: whole (its template is planned from the cache, its selector matched against
 * pods), but for managedFields and kubectl's last-applied copy of the object. Workloads are only ever changed with
 * merge patches of the fields they name, so nothing dropped here is written back.
 */
export function cachedWorkload(object: KubeObject): KubeObject {
  const metadata = object.metadata;
  if (metadata === undefined) return object;
  const annotations = metadata.annotations;
  if (metadata.managedFields === undefined && annotations?.[LAST_APPLIED_ANNOTATION] === undefined)
    return object;
  const { managedFields: _managedFields, ...kept } = metadata;
  if (annotations?.[LAST_APPLIED_ANNOTATION] !== undefined) {
    const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...rest } = annotations;
    kept.annotations = rest;
  }
  return { ...object, metadata: kept };
}
