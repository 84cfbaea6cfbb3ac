import type { Pod, Workload } from '../kube/types.ts';
import { isConflict, isNotFound, isAlreadyExists } from './machinery/api-errors.ts';
import type { KubeJsonClient } from './kube-json-client.ts';
import { leadingContinueToken, parseJsonResponse } from './machinery/response-body.ts';
import type { WorkloadKind } from './workload-kinds.ts';

export const WORKLOAD_RESOURCES: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
};

const MERGE_PATCH = 'application/merge-patch+json';

interface List<T> {
  items: T[];
  metadata?: { continue?: string };
}

/**
 * The API calls the reconcilers make on the objects a Restore brought back (its workloads, their ReplicaSets and
 * Jobs, their pods: the init hooks' template patches, pod deletions and replacements, the exec hooks' claims and
 * records), in plain JSON; `status` lists through it too.
 */
export class RestoredObjectsApi {
  readonly #client: KubeJsonClient;

  constructor(client: KubeJsonClient) {
    this.#client = client;
  }

  patchWorkload(kind: WorkloadKind, namespace: string, name: string, patch: unknown): Promise<Workload> {
    return this.#client.request<Workload>({
      method: 'PATCH',
      path: `/apis/apps/v1/namespaces/${namespace}/${WORKLOAD_RESOURCES[kind]}/${name}`,
      body: patch,
      contentType: MERGE_PATCH,
      query: { fieldManager: 'restore-hooks' },
    });
  }

  getReplicaSet(namespace: string, name: string): Promise<Workload | undefined> {
    return this.getWorkload('ReplicaSet', namespace, name);
  }

  async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload | undefined> {
    try {
      return await this.#client.request<Workload>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/${namespace}/${WORKLOAD_RESOURCES[kind]}/${name}`,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async getJob(namespace: string, name: string): Promise<Workload | undefined> {
    try {
      return await this.#client.request<Workload>({
        method: 'GET',
        path: `/apis/batch/v1/namespaces/${namespace}/jobs/${name}`,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every pod of the namespace that matches the selector (paged). */
  listPods(namespace: string, labelSelector: string): Promise<Pod[]> {
    return this.#list<Pod>(`/api/v1/namespaces/${namespace}/pods`, labelSelector);
  }

  /**
   * Every ReplicaSet of the namespace that matches the selector (paged). A Deployment's ReplicaSets carry no restore
   * label unless Velero restored them, so they are read from the API rather than from an informer.
   */
  listReplicaSets(namespace: string, labelSelector: string): Promise<Workload[]> {
    return this.#list<Workload>(`/apis/apps/v1/namespaces/${namespace}/replicasets`, labelSelector);
  }

  #list<T>(path: string, labelSelector: string): Promise<T[]> {
    return this.listAll<T>(path, { labelSelector });
  }

  /**
   * Every object of a collection that matches the selectors, read in pages of 500. A page's continue token is read
   * from the head of its body (list metadata precedes the items), so the next page is requested before this one is
   * parsed: the server prepares it while the client decodes. `keep` trims each item as its page is decoded, so
   * that what a caller drops is never held for the whole list.
   */
  async listAll<T>(
    path: string,
    selectors: { labelSelector?: string; fieldSelector?: string },
    /** Applied to each item as its page is decoded (what the caller keeps of it). */
    keep?: (item: T) => T,
  ): Promise<T[]> {
    const what = `GET ${path}`;
    const page = (continueToken: string | undefined): Promise<string> => {
      const text = this.#client.requestText({
        method: 'GET',
        path,
        query: { ...selectors, limit: 500, continue: continueToken },
      });
      // Awaited later, or dropped when an earlier page fails to decode.
      text.catch(() => undefined);
      return text;
    };
    const items: T[] = [];
    let next: Promise<string> | undefined = page(undefined);
    while (next) {
      const text: string = await next;
      const early = leadingContinueToken(text);
      next = early === undefined ? undefined : page(early);
      const list = parseJsonResponse(text, what) as List<T>;
      for (const item of list.items) items.push(keep ? keep(item) : item);
      const continueToken = list.metadata?.continue || undefined;
      if (continueToken !== early) next = continueToken === undefined ? undefined : page(continueToken);
    }
    return items;
  }

  async getPod(namespace: string, name: string): Promise<Pod | undefined> {
    try {
      return await this.#client.request<Pod>({
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/pods/${name}`,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Deletes a pod only if it is still exactly the one we looked at: uid and resourceVersion preconditions.
   * 'changed' means it was modified since (re-decide from its new state); 'gone' that it no longer exists.
   */
  async deletePod(
    namespace: string,
    name: string,
    preconditions: { uid: string; resourceVersion?: string },
  ): Promise<'deleted' | 'changed' | 'gone'> {
    try {
      await this.#client.request({
        method: 'DELETE',
        path: `/api/v1/namespaces/${namespace}/pods/${name}`,
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions },
      });
      return 'deleted';
    } catch (error) {
      if (isNotFound(error)) return 'gone';
      if (isConflict(error)) return 'changed';
      throw error;
    }
  }

  /**
   * A merge patch of a pod's labels and annotations, guarded by the resourceVersion it was read at (a 409 when the
   * pod changed since). Returns the pod as written.
   */
  patchPodMetadata(
    pod: Pod,
    metadata: { readonly labels?: Record<string, string>; readonly annotations: Record<string, string> },
  ): Promise<Pod> {
    return this.#client.request<Pod>({
      method: 'PATCH',
      path: `/api/v1/namespaces/${pod.metadata.namespace ?? ''}/pods/${pod.metadata.name ?? ''}`,
      contentType: MERGE_PATCH,
      body: { metadata: { resourceVersion: pod.metadata.resourceVersion, ...metadata } },
      query: { fieldManager: 'restore-hooks' },
    });
  }

  /** Creates a pod; 'exists' when the name is taken. */
  async createPod(pod: Pod): Promise<Pod | 'exists'> {
    try {
      return await this.#client.request<Pod>({
        method: 'POST',
        path: `/api/v1/namespaces/${pod.metadata.namespace ?? ''}/pods`,
        body: pod,
        query: { fieldManager: 'restore-hooks' },
      });
    } catch (error) {
      if (isAlreadyExists(error)) return 'exists';
      throw error;
    }
  }
}
