import type { Pod } from '../../kube/types.ts';
import { isStillPending } from '../pod-progress.ts';

/**
 * Replacing a bare pod is delete-then-create under the same name, so a crash between the two would lose the
 * pod. Before deleting, the controller records the replacement in a journal (a ConfigMap per replacement in its
 * own namespace); after creating it, it removes the entry. On start and on every journal change, each entry is driven to its
 * end by the step below, from what the cluster shows now.
 */
export interface JournalEntry {
  readonly namespace: string;
  readonly name: string;
  /** The uid of the pod being replaced. */
  readonly replacedUID: string;
  readonly replacement: Pod;
}

export type JournalStep =
  /** The old pod is still there, unchanged in the ways that matter: delete it (uid + resourceVersion precondition). */
  | 'delete'
  /** The old pod is gone and nothing took its name: create the replacement. */
  | 'create'
  /** The old pod is terminating: wait for it to disappear. */
  | 'wait'
  /** The name is taken by another pod (ours, created before a crash, or someone else's): drop the entry. */
  | 'done'
  /** The old pod started its application containers meanwhile: it must not be touched; drop the entry. */
  | 'abandon';

export function journalStep(entry: JournalEntry, current: Pod | undefined): JournalStep {
  if (current === undefined) return 'create';
  if (current.metadata.uid !== entry.replacedUID) return 'done';
  if (current.metadata.deletionTimestamp !== undefined) return 'wait';
  return isStillPending(current) ? 'delete' : 'abandon';
}
