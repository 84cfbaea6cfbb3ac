/** Which container an exec request reaches, and the 400s a real cluster answers before upgrading. */
import { errors } from '../api/errors.ts';
import type { ClusterAPI, KubeObject } from '../api/types.ts';

interface ContainerStatusLike {
  name: string;
  state?: { running?: unknown };
}
interface PodLike {
  metadata: { name?: string };
  spec?: {
    nodeName?: string;
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
    ephemeralContainerStatuses?: ContainerStatusLike[];
  };
}

/**
 * Returns the container name an exec into `pod` targets, or throws the ApiError (400) kube-apiserver or the kubelet
 * would answer: no container named when several exist, unknown container, unscheduled or completed pod, or a
 * container that is not running.
 */
export function execContainer(pod: KubeObject, requested: string | undefined): string {
  const p = pod as unknown as PodLike;
  const name = p.metadata.name ?? '';
  const containers = (p.spec?.containers ?? []).map((c) => c.name);
  const others = [...(p.spec?.initContainers ?? []), ...(p.spec?.ephemeralContainers ?? [])].map(
    (c) => c.name,
  );
  let container = requested;
  if (!container) {
    if (containers.length !== 1) {
      throw errors.badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]` +
          (others.length ? ` or one of the init containers: [${others.join(' ')}]` : ''),
      );
    }
    container = containers[0]!;
  }
  if (!containers.includes(container) && !others.includes(container)) {
    throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  }
  if (!p.spec?.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw errors.badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  }
  const statuses = [
    ...(p.status?.containerStatuses ?? []),
    ...(p.status?.initContainerStatuses ?? []),
    ...(p.status?.ephemeralContainerStatuses ?? []),
  ];
  if (!statuses.find((s) => s.name === container)?.state?.running) {
    throw errors.badRequest(`container not found ("${container}")`);
  }
  return container;
}

/** The default target resolver for ExecEndpoint: reads the pod from the cluster (404 when it does not exist). */
export function podExecResolver(api: ClusterAPI) {
  return (namespace: string, pod: string, container: string | undefined): string =>
    execContainer(api.get({ group: '', version: 'v1', resource: 'pods' }, namespace, pod), container);
}
