import type { KubeObject } from '../../src/controller/machinery/kube-object.ts';
import type {
  ListPage,
  ListRequest,
  ListWatch,
  WatchEvent,
  WatchHandle,
  WatchRequest,
} from '../../src/controller/machinery/list-watch.ts';

interface OpenWatch {
  request: WatchRequest;
  onEvent: (event: WatchEvent<KubeObject>) => void;
  onDone: (error?: unknown) => void;
  stopped: boolean;
}

/**
 * An in-memory ListWatch for unit tests of the informer's state machine: the test decides what each
 * list returns and pushes watch events by hand. (Behaviour over real HTTP is tested separately.)
 */
export class MemoryListWatch implements ListWatch<KubeObject> {
  readonly path = '/api/v1/pods';
  objects: KubeObject[] = [];
  resourceVersion = '1';
  readonly listRequests: ListRequest[] = [];
  readonly watches: OpenWatch[] = [];
  /** Errors the next list calls throw, in order. */
  readonly listErrors: unknown[] = [];

  async list(request: ListRequest): Promise<ListPage<KubeObject>> {
    this.listRequests.push(request);
    const error = this.listErrors.shift();
    if (error !== undefined) throw error;
    const start = request.continue ? Number(request.continue) : 0;
    const limit = request.limit ?? this.objects.length;
    const items = this.objects.slice(start, start + limit);
    const next = start + limit < this.objects.length ? String(start + limit) : undefined;
    return { items, resourceVersion: this.resourceVersion, continue: next };
  }

  async watch(
    request: WatchRequest,
    onEvent: (event: WatchEvent<KubeObject>) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    const open: OpenWatch = { request, onEvent, onDone, stopped: false };
    this.watches.push(open);
    return { stop: () => (open.stopped = true) };
  }

  /** The newest watch that has not been stopped or finished. */
  current(): OpenWatch {
    const open = this.watches.at(-1);
    if (!open || open.stopped) throw new Error('no open watch');
    return open;
  }
}
