import type { KubeObject } from '../api/types.ts';
import type { Informer } from './informer.ts';
import { objectKey } from './informer.ts';
import { byControllerUID, byNamespace, controllerOf } from './meta.ts';
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
