import type { GroupVersionResource, KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import type { ComponentEvents, ReportingEvents } from './events.ts';
import { SILENT } from './events.ts';
import type { SharedInformers } from './informer.ts';
import { controllerOf, labelSelectorMatcher } from './meta.ts';
import { adopt, queueOwnersOnChange } from './ownership.ts';
import { WorkQueue } from './queue.ts';

/** What an owning controller watches: its own objects, and the dependents it creates and adopts. */
export interface Ownership {
  readonly owners: GroupVersionResource;
  readonly dependents: GroupVersionResource;
  readonly ownerKind: string;
  readonly mayAdopt?: (owner: KubeObject, dependent: KubeObject) => boolean;
}

/** The adoption rule of selector-based owners: the owner's spec.selector matches the dependent's labels. */
export const selectorMatches = (owner: KubeObject, dependent: KubeObject): boolean =>
  labelSelectorMatcher((owner.spec as { selector?: unknown } | undefined)?.selector)(
    dependent.metadata.labels,
  );

/** The ownership of `ownerKind` objects (`owners`) over their `dependents`. */
export const owning = (
  owners: GroupVersionResource,
  dependents: GroupVersionResource,
  ownerKind: string,
  mayAdopt?: Ownership['mayAdopt'],
): Ownership => ({ owners, dependents, ownerKind, mayAdopt });

/**
 * A simulated control-plane component as kube-controller-manager builds one: informer events feed a work queue of
 * keys, and one key at a time is synced against the informers' caches, writing through the API as the component's
 * own identity.
 */
export abstract class QueuedController<Events extends ComponentEvents | ReportingEvents = ComponentEvents> {
  protected readonly queue: WorkQueue;
  protected readonly api: AdmittedClient;
  protected readonly informers: SharedInformers;
  protected readonly events: Events;
  readonly #ownership: Ownership | undefined;

  /** `work` names the queue, or is the ownership the controller keeps (its queue is named after the owner kind). */
  constructor(
    api: AdmittedClient,
    informers: SharedInformers,
    events: Events | undefined,
    work: string | Ownership,
  ) {
    this.api = api;
    this.informers = informers;
    this.events = events ?? (SILENT as Events);
    const name = typeof work === 'string' ? work : work.ownerKind.toLowerCase();
    this.queue = new WorkQueue(name, (key) => this.sync(key));
    this.#ownership = typeof work === 'string' ? undefined : work;
    if (typeof work !== 'string') {
      queueOwnersOnChange({
        owners: informers.for(work.owners),
        dependents: informers.for(work.dependents),
        ownerKind: work.ownerKind,
        queue: this.queue,
        mayAdopt: work.mayAdopt,
      });
    }
  }

  protected abstract sync(key: string): Promise<void>;

  /**
   * The dependents `owner` controls, after it adopts the orphans of its namespace it may adopt (kube's ClaimPods),
   * each only as read: an orphan changed or deleted meanwhile is left for the next sync.
   */
  protected async claimDependents(owner: KubeObject): Promise<KubeObject[]> {
    const { dependents, mayAdopt = () => false } = this.#ownership ?? {};
    if (!dependents) throw new Error(`the ${this.queue.name} controller owns nothing`);
    const cache = this.informers.for(dependents);
    const owned = cache.byIndex('controller', owner.metadata.uid ?? '');
    for (const orphan of cache.byIndex('namespace', owner.metadata.namespace ?? '')) {
      if (controllerOf(orphan) || orphan.metadata.deletionTimestamp || !mayAdopt(owner, orphan)) continue;
      const adopted = await adopt(this.api, dependents, orphan, owner, { ifUnchanged: true });
      if (adopted) owned.push(adopted);
    }
    return owned;
  }

  stop(): void {
    this.queue.stop();
  }
}
