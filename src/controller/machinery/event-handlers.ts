import type { InformerEventHandler } from './informer.ts';
import type { ObjectWithMeta } from './kube-object.ts';
import { objectKey } from './kube-object.ts';

/** Anything keys can be enqueued on: a Controller or a WorkQueue. */
export interface KeySink {
  enqueue(key: string): void;
}

/** One change an informer reports, as the input of a mapping to work-queue keys. */
export type ObjectEvent<T> =
  | { readonly type: 'add'; readonly object: T }
  | { readonly type: 'update'; readonly oldObject: T; readonly object: T }
  | { readonly type: 'delete'; readonly object: T };

/** Maps a change to the keys of the work it causes (controller-runtime's handler.MapFunc, per event type). */
export type EventMapping<T> = (event: ObjectEvent<T>) => readonly string[];

/**
 * An informer handler that enqueues on `sink` the keys `mapping` derives from each change. Mapping errors are left
 * to the informer, which logs them and carries on.
 */
export function mappedHandler<T extends ObjectWithMeta>(
  sink: KeySink,
  mapping: EventMapping<T>,
): InformerEventHandler<T> {
  const enqueue = (event: ObjectEvent<T>): void => {
    for (const key of mapping(event)) sink.enqueue(key);
  };
  return {
    onAdd: (object) => enqueue({ type: 'add', object }),
    onUpdate: (oldObject, object) => enqueue({ type: 'update', oldObject, object }),
    onDelete: (object) => enqueue({ type: 'delete', object }),
  };
}

/**
 * An informer handler that enqueues the keys `mapToKeys` derives from each changed object (both the old
 * and the new state on update, so that a change of owner or label reaches both). Defaults to the
 * object's own key.
 */
export function enqueueHandler<T extends ObjectWithMeta>(
  sink: KeySink,
  mapToKeys: (object: T) => readonly string[] = (object) => [objectKey(object)],
): InformerEventHandler<T> {
  return mappedHandler<T>(sink, (event) =>
    event.type === 'update'
      ? [...mapToKeys(event.oldObject), ...mapToKeys(event.object)]
      : mapToKeys(event.object),
  );
}
