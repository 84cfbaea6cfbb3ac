/** Owners and their dependents: the event wiring of the workload controllers, adoption and release. */
import type { AdmittedClient } from '../admission/client.ts';
import type { GroupVersionResource, KubeObject, OwnerReference } from '../api/types.ts';
import type { Informer } from './informer.ts';
import { objectKey } from './informer.ts';
import {
  byControllerUID,
  byNamespace,
  controllerOf,
  controllerRef,
  isConflictOrExists,
  mergePatch,
} from './meta.ts';
import type { WorkQueue } from './queue.ts';

/**
 * The event wiring every workload controller shares: its objects are queued when they change, and a changed
 * dependent (a pod, or a ReplicaSet of a Deployment) queues its controller; an orphan dependent queues the owners in
 * its namespace that may adopt it (`mayAdopt`), as kube-controller-manager's controllers do.
 */
export function queueOwnersOnChange(options: {
  owners: Informer;
  dependents: Informer;
  ownerKind: string;
  queue: WorkQueue;
  mayAdopt?: (owner: KubeObject, dependent: KubeObject) => boolean;
}): void {
  const { owners, dependents, ownerKind, queue, mayAdopt } = options;
  owners.addIndex('namespace', byNamespace);
  owners.on({ add: (o) => queue.add(objectKey(o)), update: (_old, o) => queue.add(objectKey(o)) });
  dependents.addIndex('controller', byControllerUID);
  dependents.addIndex('namespace', byNamespace);
  const changed = (dependent: KubeObject): void => {
    const ref = controllerOf(dependent);
    if (ref?.kind === ownerKind) queue.add(`${dependent.metadata.namespace}/${ref.name}`);
    else if (!ref && mayAdopt) {
      for (const owner of owners.byIndex('namespace', dependent.metadata.namespace ?? '')) {
        if (mayAdopt(owner, dependent)) queue.add(objectKey(owner));
      }
    }
  };
  // On update both states count: a dependent whose labels or owner changed may leave one owner for another.
  dependents.on({
    add: changed,
    update: (old, d) => {
      changed(old);
      changed(d);
    },
    delete: changed,
  });
}

/**
 * With `ifUnchanged`, the patch carries the resourceVersion the dependent was read at, and a dependent changed
 * meanwhile (409) is left for the next sync, as one gone is: either way the answer is undefined.
 */
interface OwnerWrite {
  readonly ifUnchanged: boolean;
}

async function writeOwnerReferences(
  api: AdmittedClient,
  gvr: GroupVersionResource,
  dependent: KubeObject,
  ownerReferences: OwnerReference[],
  { ifUnchanged }: OwnerWrite,
): Promise<KubeObject | undefined> {
  const resourceVersion = ifUnchanged ? { resourceVersion: dependent.metadata.resourceVersion } : {};
  try {
    return await mergePatch(api, gvr, dependent, { metadata: { ownerReferences, ...resourceVersion } });
  } catch (e) {
    if (ifUnchanged && isConflictOrExists(e)) return undefined;
    throw e;
  }
}

/** `owner` adopts the orphan `dependent`: its controller reference joins the dependent's owner references. */
export function adopt(
  api: AdmittedClient,
  gvr: GroupVersionResource,
  dependent: KubeObject,
  owner: KubeObject,
  write: OwnerWrite,
): Promise<KubeObject | undefined> {
  const references = [...(dependent.metadata.ownerReferences ?? []), controllerRef(owner)];
  return writeOwnerReferences(api, gvr, dependent, references, write);
}

/** The owner `ownerUID` lets `dependent` go (it stopped matching, or the owner was deleted with Orphan). */
export function release(
  api: AdmittedClient,
  gvr: GroupVersionResource,
  dependent: KubeObject,
  ownerUID: string,
  write: OwnerWrite,
): Promise<KubeObject | undefined> {
  const references = (dependent.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUID);
  return writeOwnerReferences(api, gvr, dependent, references, write);
}
