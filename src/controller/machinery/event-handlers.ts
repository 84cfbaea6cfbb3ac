import type { InformerEventHandler } from './informer.ts';
import type { KubeObject } from './kube-object.ts';
import { objectKey } from './kube-object.ts';

/** Anything keys can be enqueued on: a Controller or a WorkQueue. */
export interface KeySink {
  enqueue(key: string): void;
}

/**
 * An informer handler that enqueues the keys `mapToKeys` derives from each changed object (both the old
 * and the new state on update, so that a change of owner or label reaches both). Defaults to the
 * object's own key. Mapping errors are left to the informer, which logs them and carries on.
 */
export function enqueueHandler<T extends KubeObject>(
  sink: KeySink,
  mapToKeys: (object: T) => readonly string[] = (object) => [objectKey(object)],
): InformerEventHandler<T> {
  const enqueue = (object: T): void => {
    for (const key of mapToKeys(object)) sink.enqueue(key);
  };
  return {
    onAdd: enqueue,
    onUpdate: (oldObject, newObject) => {
      enqueue(oldObject);
      enqueue(newObject);
    },
    onDelete: enqueue,
  };
}
