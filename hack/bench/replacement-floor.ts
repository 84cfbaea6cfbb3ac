/**
 * The floor of the latency figure: a bare client that replaces each restored bare pod with the same necessary
 * writes as the controller, and nothing else: record the replacement (a ConfigMap with the copy, in the
 * controller's namespace), delete the pod with uid and resourceVersion preconditions, wait for its deletion on a
 * watch, create the copy with the hook, delete the record. No cache, queue, rate limiter, decision or Event; every
 * pod's chain runs as soon as the pod appears (no worker limit), over one keep-alive connection pool.
 */
import { HOOK_CONTAINER, hasHook } from './fixtures.ts';
import type { BenchClient } from './kube.ts';
import { ApiError } from './kube.ts';

interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: { initContainers?: { name: string }[] } & Record<string, unknown>;
}

const MAX_PRECONDITION_RETRIES = 20;

export function startReplacementFloor(
  client: BenchClient,
  namespace: string,
  journalNamespace: string,
  onError: (error: Error) => void,
): () => void {
  const gone = new Map<string, () => void>();
  const seen = new Set<string>();
  const podPath = (name = '') => `/api/v1/namespaces/${namespace}/pods${name ? `/${name}` : ''}`;
  const journalPath = (name = '') =>
    `/api/v1/namespaces/${journalNamespace}/configmaps${name ? `/${name}` : ''}`;

  async function deleteExactly(pod: Pod): Promise<void> {
    let resourceVersion = pod.metadata.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.request('DELETE', podPath(pod.metadata.name), {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { uid: pod.metadata.uid, resourceVersion },
        });
        return;
      } catch (error) {
        // The scheduler or kubelet wrote the pod since we saw it: read it and try again, as a controller would.
        if (!(error instanceof ApiError) || error.status !== 409 || attempt >= MAX_PRECONDITION_RETRIES)
          throw error;
        resourceVersion = (await client.request<Pod>('GET', podPath(pod.metadata.name))).metadata
          .resourceVersion;
      }
    }
  }

  async function replace(pod: Pod): Promise<void> {
    const { name, uid } = pod.metadata;
    const copy = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: pod.metadata.labels ?? {},
        annotations: pod.metadata.annotations ?? {},
      },
      spec: { ...pod.spec, initContainers: [HOOK_CONTAINER, ...(pod.spec.initContainers ?? [])] },
    };
    const record = `restore-hooks-replacement-${uid}`;
    await client.request('POST', journalPath(), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: record },
      data: { entry: JSON.stringify({ namespace, name, replacedUID: uid, replacement: copy }) },
    });
    const deleted = new Promise<void>((resolve) => gone.set(uid, resolve));
    await deleteExactly(pod);
    await deleted;
    await client.request('POST', podPath(), copy);
    await client.request('DELETE', journalPath(record));
  }

  return client.watch<Pod>(
    podPath(),
    (e) => {
      const pod = e.object;
      if (e.type === 'DELETED') {
        gone.get(pod.metadata.uid)?.();
        gone.delete(pod.metadata.uid);
        return;
      }
      if (e.type !== 'ADDED' || hasHook(pod.spec) || seen.has(pod.metadata.uid)) return;
      seen.add(pod.metadata.uid);
      replace(pod).catch((error: unknown) =>
        onError(new Error(`floor: replacing pod ${pod.metadata.name}: ${String(error)}`)),
      );
    },
    onError,
  );
}
