import type { ResourceInfo } from '../registry/resource.ts';
import { apiVersionOf } from '../registry/resource.ts';
import { ApiError } from './errors.ts';
import type { WatchEvent, WatchHandle } from './types.ts';

/** Receives a watch's NDJSON lines synchronously, in resourceVersion order. */
export interface WatchSink {
  line(text: string): void;
  /** The watch ended (timeout, close, server stop). Called once. */
  end(): void;
}

interface WatchSession {
  readonly info: ResourceInfo;
  readonly bookmarks: boolean;
  readonly sink: WatchSink;
  close(): void;
}

/**
 * The open watches of a cluster: their timeouts, the periodic bookmarks for those that asked, and closing them
 * all at shutdown. One interval timer serves every bookmark watcher.
 */
export class WatchSessions {
  readonly #sessions = new Set<WatchSession>();
  readonly #bookmarkIntervalMs: number;
  readonly #currentResourceVersion: () => number;
  #bookmarkTimer: NodeJS.Timeout | undefined;

  constructor(bookmarkIntervalMs: number, currentResourceVersion: () => number) {
    this.#bookmarkIntervalMs = bookmarkIntervalMs;
    this.#currentResourceVersion = currentResourceVersion;
  }

  /**
   * Tracks a watch already subscribed to the store. `unsubscribe` detaches it; the returned `send` forwards a
   * store line while the session is open.
   */
  open(
    info: ResourceInfo,
    sink: WatchSink,
    options: { bookmarks: boolean; timeoutSeconds: number | undefined },
    unsubscribe: () => void,
  ): WatchHandle {
    let timer: NodeJS.Timeout | undefined;
    let open = true;
    const session: WatchSession = {
      info,
      bookmarks: options.bookmarks,
      sink,
      close: () => {
        if (!open) return;
        open = false;
        if (timer) clearTimeout(timer);
        unsubscribe();
        this.#sessions.delete(session);
        this.#updateBookmarkTimer();
        sink.end();
      },
    };
    this.#sessions.add(session);
    this.#updateBookmarkTimer();
    if (options.timeoutSeconds !== undefined && options.timeoutSeconds > 0)
      timer = setTimeout(() => session.close(), options.timeoutSeconds * 1000);
    return { close: () => session.close() };
  }

  closeAll(): void {
    for (const s of [...this.#sessions]) s.close();
    if (this.#bookmarkTimer) clearInterval(this.#bookmarkTimer);
    this.#bookmarkTimer = undefined;
  }

  #updateBookmarkTimer(): void {
    const wanted = [...this.#sessions].some((s) => s.bookmarks);
    if (wanted && !this.#bookmarkTimer) {
      this.#bookmarkTimer = setInterval(() => this.#sendBookmarks(), this.#bookmarkIntervalMs);
      this.#bookmarkTimer.unref();
    } else if (!wanted && this.#bookmarkTimer) {
      clearInterval(this.#bookmarkTimer);
      this.#bookmarkTimer = undefined;
    }
  }

  #sendBookmarks(): void {
    const rv = String(this.#currentResourceVersion());
    for (const s of this.#sessions) {
      if (!s.bookmarks) continue;
      const object = {
        kind: s.info.kind,
        apiVersion: apiVersionOf(s.info),
        metadata: { resourceVersion: rv },
      };
      s.sink.line(JSON.stringify({ type: 'BOOKMARK', object }));
    }
  }
}

/**
 * Adapts a line-level watch to the in-process ClusterAPI contract: events are parsed (each watcher gets its own
 * copies) and delivered asynchronously in order; an expired start becomes one ERROR event, then onClose.
 */
export function deliverInProcess(
  start: (sink: WatchSink) => WatchHandle,
  onEvent: (event: WatchEvent) => void,
  onClose: (() => void) | undefined,
): WatchHandle {
  let queue: WatchEvent[] = [];
  let closed = false;
  let scheduled = false;
  let ended = false;
  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    for (const e of batch) if (!closed) onEvent(e);
    if (ended && !closed) {
      closed = true;
      onClose?.();
    }
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  const sink: WatchSink = {
    line: (text) => {
      queue.push(JSON.parse(text) as WatchEvent);
      schedule();
    },
    end: () => {
      ended = true;
      schedule();
    },
  };
  try {
    const handle = start(sink);
    return {
      close: () => {
        closed = true;
        handle.close();
      },
    };
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 410) throw err;
    sink.line(JSON.stringify({ type: 'ERROR', object: err.toStatus() }));
    sink.end();
    return { close: () => void (closed = true) };
  }
}
