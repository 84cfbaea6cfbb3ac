import { RESTORE_WAIT_CONTAINER } from '../hooks/restore-types.ts';
import type { ContainerStatus, Pod } from '../kube/types.ts';

function hasEverRun(status: ContainerStatus): boolean {
  return (
    status.started === true ||
    status.restartCount > 0 ||
    status.state?.running !== undefined ||
    status.state?.terminated !== undefined ||
    status.lastState?.running !== undefined ||
    status.lastState?.terminated !== undefined
  );
}

/** True when any application container of the pod has ever started (init containers do not count). */
export function appContainersStarted(pod: Pod): boolean {
  return (pod.status?.containerStatuses ?? []).some(hasEverRun);
}

/**
 * Being deleted before any application container started: the pod goes away without having run, so it neither
 * waits for hooks nor missed them; what its owner creates next is what counts.
 */
export function leavesUnstarted(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined && !appContainersStarted(pod);
}

/**
 * A pod is still pending, and so may still receive init hooks through its replacement, when it is in phase
 * Pending, is not being deleted, and none of its application containers has ever started.
 */
export function isStillPending(pod: Pod): boolean {
  const phase = pod.status?.phase ?? 'Pending';
  return phase === 'Pending' && pod.metadata.deletionTimestamp === undefined && !appContainersStarted(pod);
}

/**
 * Velero's file-system restore wrote into a volume that lives and dies with this pod (emptyDir): its restore-wait
 * init container mounts it. Replacing the pod would lose the restored data.
 */
export function holdsPodLocalRestoredData(pod: Pick<Pod, 'spec'>): boolean {
  const restoreWait = (pod.spec.initContainers ?? []).find((c) => c.name === RESTORE_WAIT_CONTAINER);
  if (!restoreWait) return false;
  const podLocal = new Set(
    (pod.spec.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name),
  );
  return (restoreWait.volumeMounts ?? []).some((m) => podLocal.has(m.name));
}

/** Velero's file-system restore is in progress: the pod is bound to a PodVolumeRestore and must not be deleted. */
export function hasRestoreWait(pod: Pick<Pod, 'spec'>): boolean {
  return (pod.spec.initContainers ?? []).some((c) => c.name === RESTORE_WAIT_CONTAINER);
}
