import type {
  Container,
  ContainerStatus,
  ObjectMeta,
  Pod,
  PodSpec,
  PodStatus,
  Volume,
} from '../kube/types.ts';
import { CacheInterner } from './cache-interner.ts';
import type { ObjectWithMeta } from './machinery/kube-object.ts';

/**
 * What the controller's informers keep of each object, applied before it is cached (controller-runtime's cache
 * TransformFunc): the memory of a large restore follows the number of pods held, so a pod is held with the fields
 * some reader of the caches uses, and nothing else. The readers are listed in docs/controller-machinery.md
 * ("Memory"); a new reader of another field must keep it here. Whatever copies a whole pod (the bare-pod
 * replacement) reads it from the API.
 */

/** kubectl's copy of the whole object as last applied: often the largest annotation, and nothing reads it. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The fields of metadata the controller reads; managedFields and the server's other bookkeeping are dropped. Those
 * shared by many pods (a namespace, a creation second, a ReplicaSet's labels and owner reference) are
 * interned, the rest are each pod's own.
 */
const OWN_METADATA = ['name', 'uid', 'resourceVersion', 'generation', 'deletionTimestamp'] as const;
const SHARED_METADATA = ['namespace', 'creationTimestamp', 'labels', 'ownerReferences'] as const;

function cachedMetadata(metadata: ObjectMeta, intern: CacheInterner): ObjectMeta {
  const kept: ObjectMeta = {};
  for (const field of OWN_METADATA) {
    if (metadata[field] !== undefined) kept[field] = metadata[field] as never;
  }
  for (const field of SHARED_METADATA) {
    const value = metadata[field];
    if (value !== undefined)
      kept[field] = (typeof value === 'string' ? intern.string(value) : intern.value(value)) as never;
  }
  if (metadata.annotations !== undefined) {
    const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...annotations } = metadata.annotations;
    kept.annotations = intern.value(annotations);
  }
  return kept;
}

/**
 * An init container: what its template gave every pod is shared by content, its volume mounts are the pod's own
 * (the service-account token's volume has a random name per pod).
 */
function cachedInitContainer(container: Container, intern: CacheInterner): Container {
  const { volumeMounts, ...template } = container;
  const shared = intern.value(template);
  return volumeMounts === undefined
    ? shared
    : Object.freeze({ ...shared, volumeMounts: intern.strings(volumeMounts) });
}

/**
 * Of the spec: the application containers' names (exec hooks name their container; an init hook must not take an
 * application container's name), the init containers whole (hook containers are compared by content; Velero's
 * restore-wait container's volume mounts matter), and the volumes' names, marking the emptyDir ones (a hook may
 * mount any volume; an emptyDir restored by Velero lives only in its pod).
 */
function cachedPodSpec(spec: PodSpec, intern: CacheInterner): PodSpec {
  return {
    containers: intern.value((spec.containers ?? []).map((c) => ({ name: c.name }))),
    ...(spec.initContainers !== undefined
      ? { initContainers: spec.initContainers.map((c) => cachedInitContainer(c, intern)) }
      : {}),
    // A pod's volumes usually include its own service-account token volume (kube-api-access-<random>).
    ...(spec.volumes !== undefined
      ? {
          volumes: intern.strings(
            spec.volumes.map((v): Volume =>
              v.emptyDir !== undefined ? { name: v.name, emptyDir: v.emptyDir } : { name: v.name },
            ),
          ),
        }
      : {}),
  };
}

/**
 * Whether and how each container ran; image, imageID, containerID, resources and the like are dropped. Statuses
 * with a timestamp (running, terminated) are one pod's own and are not interned: the table would hold one per pod.
 */
function cachedContainerStatus(status: ContainerStatus, intern: CacheInterner): ContainerStatus {
  const kept: ContainerStatus = {
    name: intern.string(status.name),
    ready: status.ready,
    restartCount: status.restartCount,
    ...(status.started !== undefined ? { started: status.started } : {}),
    ...(status.state !== undefined ? { state: status.state } : {}),
    ...(status.lastState !== undefined ? { lastState: status.lastState } : {}),
  };
  const waitingOnly = (s: ContainerStatus['state']) => s === undefined || (!s.running && !s.terminated);
  return waitingOnly(kept.state) && waitingOnly(kept.lastState) ? intern.value(kept) : kept;
}

/** The phase, each condition's type and status (Initialized is read), and the containers' run states. */
function cachedPodStatus(status: PodStatus, intern: CacheInterner): PodStatus {
  return {
    ...(status.phase !== undefined ? { phase: intern.string(status.phase) } : {}),
    ...(status.conditions !== undefined
      ? { conditions: intern.value(status.conditions.map((c) => ({ type: c.type, status: c.status }))) }
      : {}),
    ...(status.initContainerStatuses !== undefined
      ? { initContainerStatuses: status.initContainerStatuses.map((c) => cachedContainerStatus(c, intern)) }
      : {}),
    ...(status.containerStatuses !== undefined
      ? { containerStatuses: status.containerStatuses.map((c) => cachedContainerStatus(c, intern)) }
      : {}),
  };
}

/**
 * A pod as the pod informers hold it. Objects without metadata or spec (never sent by an API server) pass as they
 * are. The pieces many pods share are taken from `intern` (cache-interner.ts), one table for all the pod informers,
 * so that a pod both Pending and hooked shares them between the two caches; they are frozen.
 */
export function cachedPod(pod: Pod, intern: CacheInterner = new CacheInterner()): Pod {
  const wire: Partial<Pod> = pod;
  if (wire.metadata === undefined || wire.spec === undefined) return pod;
  return {
    ...(pod.apiVersion !== undefined ? { apiVersion: intern.string(pod.apiVersion) } : {}),
    ...(pod.kind !== undefined ? { kind: intern.string(pod.kind) } : {}),
    metadata: cachedMetadata(pod.metadata, intern),
    spec: cachedPodSpec(pod.spec, intern),
    ...(pod.status !== undefined ? { status: cachedPodStatus(pod.status, intern) } : {}),
  };
}

/**
 * A workload as its informer holds it: whole (its template is planned from the cache, its selector matched against
 * pods), but for managedFields and kubectl's last-applied copy of the object. Workloads are only ever changed with
 * merge patches of the fields they name, so nothing dropped here is written back.
 */
export function cachedWorkload<T extends ObjectWithMeta>(object: T): T {
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
