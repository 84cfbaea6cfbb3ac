/** Reads the controller e2e tests assert on, through the test's admin client. */
import type { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import type { Container, Pod, Workload } from '../../src/kube/types.ts';
import { collectionPath } from './restored-targets.ts';
import type { KubeBody } from './restored-targets.ts';

export interface EventObject {
  reason: string;
  message: string;
  type: string;
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string };
  related?: { kind: string; name: string };
  /** Who reported it (core/v1 Events): restore-hooks.dev/controller for the controller's own. */
  source?: { component?: string };
}

export interface RestoreCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

export class ClusterReads {
  readonly #client: KubeJsonClient;

  constructor(client: KubeJsonClient) {
    this.#client = client;
  }

  create<T = KubeBody & { metadata: { uid: string; resourceVersion: string } }>(body: KubeBody): Promise<T> {
    return this.#client.request<T>({ method: 'POST', path: collectionPath(body), body });
  }

  workload(kind: string, namespace: string, name: string): Promise<Workload> {
    return this.#client.request<Workload>({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/${namespace}/${kind.toLowerCase()}s/${name}`,
    });
  }

  pod(namespace: string, name: string): Promise<Pod> {
    return this.#client.request<Pod>({ method: 'GET', path: `/api/v1/namespaces/${namespace}/pods/${name}` });
  }

  /** Pods matching the selector that are not being deleted. */
  async livePods(namespace: string, selector: string): Promise<Pod[]> {
    const list = await this.#client.request<{ items: Pod[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
    });
    return list.items.filter((p) => !p.metadata.deletionTimestamp);
  }

  async events(namespace: string): Promise<EventObject[]> {
    const list = await this.#client.request<{ items: EventObject[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${namespace}/events`,
    });
    return list.items;
  }

  /** The first Event with this reason regarding the named object (any kind when none is given). */
  async eventAbout(namespace: string, reason: string, name: string, kind?: string) {
    return (await this.events(namespace)).find(
      (e) =>
        e.reason === reason && e.involvedObject.name === name && (!kind || e.involvedObject.kind === kind),
    );
  }

  async restoreConditions(name: string): Promise<RestoreCondition[]> {
    const restore = await this.#client.request<{ status?: { conditions?: RestoreCondition[] } }>({
      method: 'GET',
      path: `/apis/velero.io/v1/namespaces/velero/restores/${name}`,
    });
    return restore.status?.conditions ?? [];
  }

  async condition(restore: string, type: string): Promise<RestoreCondition | undefined> {
    return (await this.restoreConditions(restore)).find((c) => c.type === type);
  }
}

export const initNames = (containers: readonly Container[] | undefined): string[] =>
  (containers ?? []).map((c) => c.name);

export const templateInitNames = (w: Workload): string[] => initNames(w.spec.template.spec.initContainers);
