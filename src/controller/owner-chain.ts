import { matchesLabelSelector, parseLabelSelector } from '../hooks/selector.ts';
import type { CompiledSelector } from '../hooks/selector.ts';
import { controllerOf } from '../kube/owners.ts';
import type { Pod, Workload } from '../kube/types.ts';
import type { WorkloadKind } from './workload-kinds.ts';

/** The workload at the top of a pod's controller chain. */
export interface TopOwner {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly uid: string;
}

export interface OwnerChainDeps {
  /** A workload from the informer caches (restored workloads only). */
  readonly getWorkload: (kind: WorkloadKind, namespace: string, name: string) => Workload | undefined;
  /** The restored workloads of a kind in a namespace, from the informer caches. */
  readonly listWorkloads: (kind: WorkloadKind, namespace: string) => readonly Workload[];
  /** A ReplicaSet from the API: a Deployment's ReplicaSets carry no restore label, so no informer caches them. */
  readonly getReplicaSet: (namespace: string, name: string) => Promise<Workload | undefined>;
}

const MAX_REMEMBERED_REPLICASETS = 50_000;

/**
 * Walks a pod's controller chain to the workload at its top: Pod → ReplicaSet → Deployment, or a StatefulSet,
 * DaemonSet or ReplicaSet of its own. Each ReplicaSet's Deployment is remembered by uid, so that the events of a
 * Deployment's pods do not read the ReplicaSet again (a controller reference never changes once set; a ReplicaSet
 * without one may still be adopted, so is not remembered), and concurrent lookups of one ReplicaSet share one read.
 * One chain serves every reconciler, so each ReplicaSet is read at most once per process.
 */
export class OwnerChain {
  readonly #deps: OwnerChainDeps;
  readonly #replicaSetDeployments = new Map<string, TopOwner>();
  /** ReplicaSet reads under way, by uid. */
  readonly #reading = new Map<string, Promise<Workload | undefined>>();
  readonly #selectors = new WeakMap<Workload, CompiledSelector | undefined>();

  constructor(deps: OwnerChainDeps) {
    this.#deps = deps;
  }

  /** The top of the pod's chain; undefined for a bare pod, a Job's pod, or a chain that no longer holds. */
  async topOwner(pod: Pod): Promise<TopOwner | undefined> {
    const known = this.#knownTop(pod);
    if (known !== 'unknown') return known;
    const owner = controllerOf(pod.metadata)!;
    const rs = await this.#readReplicaSet(pod.metadata.namespace ?? '', owner.name, owner.uid);
    if (!rs || rs.metadata.uid !== owner.uid) return undefined;
    return this.#topOfReplicaSet(rs);
  }

  /** The top of the pod's chain as the informer caches hold it (the same object: uid checked), if restored. */
  async restoredTopOwner(pod: Pod): Promise<{ kind: WorkloadKind; workload: Workload } | undefined> {
    return this.#restored(pod, await this.topOwner(pod));
  }

  /**
   * The restored workloads whose reconcile a pod's event concerns, from the caches alone (no API read): the top of
   * its chain when the chain is known; for a ReplicaSet not seen yet (one a rollout has just created), every restored
   * Deployment in the namespace whose selector selects the pod, as Kubernetes' own controllers map a pod to its
   * Deployments. A Deployment's pods always match its selector, so the owner is among them; any other is reconciled
   * for nothing (its reconcile checks ownership). Not for decisions: use `restoredTopOwner` for those.
   */
  restoredWorkloadsConcerned(pod: Pod): { kind: WorkloadKind; workload: Workload }[] {
    const known = this.#knownTop(pod);
    if (known !== 'unknown') {
      const reached = this.#restored(pod, known);
      return reached ? [reached] : [];
    }
    return this.#deps
      .listWorkloads('Deployment', pod.metadata.namespace ?? '')
      .filter((d) => this.#selects(d, pod))
      .map((workload) => ({ kind: 'Deployment' as const, workload }));
  }

  /**
   * Reads the pod's ReplicaSet in the background if its chain is not known yet, so that a reconcile that needs the
   * proof later finds it remembered. Errors are left to that reconcile, which reads again.
   */
  warm(pod: Pod): void {
    if (this.#knownTop(pod) === 'unknown') void this.topOwner(pod).catch(() => undefined);
  }

  /**
   * Restored ReplicaSets (the informer cache holds those) that the Deployment's controller has not adopted yet:
   * without a controller, not being deleted, with labels its selector matches, as the Deployment controller adopts
   * them on its next sync. Until then the pods of such a ReplicaSet do not lead to the Deployment, and neither does
   * the ReplicaSet, so the Deployment's pods and ReplicaSets are not all known.
   */
  replicaSetsAwaitingAdoption(deployment: Workload): Workload[] {
    return this.#deps
      .listWorkloads('ReplicaSet', deployment.metadata.namespace ?? '')
      .filter(
        (rs) =>
          controllerOf(rs.metadata) === undefined &&
          rs.metadata.deletionTimestamp === undefined &&
          this.#selects(deployment, rs),
      );
  }

  /** The top of the chain from what is known without reading: 'unknown' for a ReplicaSet never seen. */
  knownTopOwner(pod: Pod): TopOwner | undefined | 'unknown' {
    return this.#knownTop(pod);
  }

  #knownTop(pod: Pod): TopOwner | undefined | 'unknown' {
    const owner = controllerOf(pod.metadata);
    if (!owner) return undefined;
    if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet')
      return { kind: owner.kind, name: owner.name, uid: owner.uid };
    if (owner.kind !== 'ReplicaSet') return undefined;
    const remembered = this.#replicaSetDeployments.get(owner.uid);
    if (remembered) return remembered;
    // A restored ReplicaSet is cached (and then authoritative); a Deployment's own ones are not.
    const cached = this.#deps.getWorkload('ReplicaSet', pod.metadata.namespace ?? '', owner.name);
    if (cached) return cached.metadata.uid === owner.uid ? this.#topOfReplicaSet(cached) : undefined;
    return 'unknown';
  }

  #topOfReplicaSet(rs: Workload): TopOwner | undefined {
    const controller = controllerOf(rs.metadata);
    if (controller?.kind === 'Deployment') {
      const top: TopOwner = { kind: 'Deployment', name: controller.name, uid: controller.uid };
      if (this.#replicaSetDeployments.size >= MAX_REMEMBERED_REPLICASETS) this.#replicaSetDeployments.clear();
      this.#replicaSetDeployments.set(rs.metadata.uid ?? '', top);
      return top;
    }
    return controller
      ? undefined
      : { kind: 'ReplicaSet', name: rs.metadata.name ?? '', uid: rs.metadata.uid ?? '' };
  }

  #readReplicaSet(namespace: string, name: string, uid: string): Promise<Workload | undefined> {
    let reading = this.#reading.get(uid);
    if (!reading) {
      reading = this.#deps.getReplicaSet(namespace, name).finally(() => this.#reading.delete(uid));
      this.#reading.set(uid, reading);
    }
    return reading;
  }

  #restored(pod: Pod, top: TopOwner | undefined): { kind: WorkloadKind; workload: Workload } | undefined {
    if (!top) return undefined;
    const workload = this.#deps.getWorkload(top.kind, pod.metadata.namespace ?? '', top.name);
    return workload && workload.metadata.uid === top.uid ? { kind: top.kind, workload } : undefined;
  }

  #selects(deployment: Workload, object: Pod | Workload): boolean {
    if (!this.#selectors.has(deployment)) {
      const parsed = parseLabelSelector(deployment.spec.selector, 'spec.selector');
      // An empty selector selects nothing for a Deployment (the API server rejects one); so does an invalid one.
      this.#selectors.set(
        deployment,
        parsed.ok && parsed.selector.requirements.length > 0 ? parsed.selector : undefined,
      );
    }
    const selector = this.#selectors.get(deployment);
    return selector !== undefined && matchesLabelSelector(selector, object.metadata.labels);
  }
}
