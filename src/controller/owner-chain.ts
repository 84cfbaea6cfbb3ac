import { controllerOf } from '../kube/owners.ts';
import type { Pod, Workload } from '../kube/types.ts';
import type { WorkloadKind } from './init-hooks/workload-decision.ts';

/** The workload at the top of a pod's controller chain. */
export interface TopOwner {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly uid: string;
}

export interface OwnerChainDeps {
  /** A workload from the informer caches (restored workloads only). */
  readonly getWorkload: (kind: WorkloadKind, namespace: string, name: string) => Workload | undefined;
  /** A ReplicaSet from the API: a Deployment's ReplicaSets carry no restore label, so no informer caches them. */
  readonly getReplicaSet: (namespace: string, name: string) => Promise<Workload | undefined>;
}

const MAX_REMEMBERED_REPLICASETS = 50_000;

/**
 * Walks a pod's controller chain to the workload at its top: Pod → ReplicaSet → Deployment, or a StatefulSet,
 * DaemonSet or ReplicaSet of its own. Each ReplicaSet's Deployment is remembered by uid, so that the events of a
 * Deployment's pods do not read the ReplicaSet again (a controller reference never changes once set; a ReplicaSet
 * without one may still be adopted, so is not remembered).
 */
export class OwnerChain {
  readonly #deps: OwnerChainDeps;
  readonly #replicaSetDeployments = new Map<string, TopOwner>();

  constructor(deps: OwnerChainDeps) {
    this.#deps = deps;
  }

  /** The top of the pod's chain; undefined for a bare pod, a Job's pod, or a chain that no longer holds. */
  async topOwner(pod: Pod): Promise<TopOwner | undefined> {
    const owner = controllerOf(pod.metadata);
    if (!owner) return undefined;
    if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet')
      return { kind: owner.kind, name: owner.name, uid: owner.uid };
    if (owner.kind !== 'ReplicaSet') return undefined;
    const remembered = this.#replicaSetDeployments.get(owner.uid);
    if (remembered) return remembered;
    const namespace = pod.metadata.namespace ?? '';
    const rs =
      this.#deps.getWorkload('ReplicaSet', namespace, owner.name) ??
      (await this.#deps.getReplicaSet(namespace, owner.name));
    if (!rs || rs.metadata.uid !== owner.uid) return undefined;
    const controller = controllerOf(rs.metadata);
    if (controller?.kind === 'Deployment') {
      const top: TopOwner = { kind: 'Deployment', name: controller.name, uid: controller.uid };
      if (this.#replicaSetDeployments.size >= MAX_REMEMBERED_REPLICASETS) this.#replicaSetDeployments.clear();
      this.#replicaSetDeployments.set(owner.uid, top);
      return top;
    }
    return controller ? undefined : { kind: 'ReplicaSet', name: owner.name, uid: owner.uid };
  }

  /** The top of the pod's chain as the informer caches hold it (the same object: uid checked), if restored. */
  async restoredTopOwner(pod: Pod): Promise<{ kind: WorkloadKind; workload: Workload } | undefined> {
    const top = await this.topOwner(pod);
    if (!top) return undefined;
    const workload = this.#deps.getWorkload(top.kind, pod.metadata.namespace ?? '', top.name);
    return workload && workload.metadata.uid === top.uid ? { kind: top.kind, workload } : undefined;
  }
}
