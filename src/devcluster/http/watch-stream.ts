import type { ServerResponse } from 'node:http';
import type { WatchSink } from '../api/cluster.ts';
import { ApiError } from '../api/errors.ts';
import type { KubeObject, WatchHandle } from '../api/types.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import type { WatchStreamControl } from './extension-points.ts';
import { renderTable } from './table.ts';

/** Unsent watch output beyond which a watcher counts as stuck and is disconnected. */
const MAX_WATCH_BUFFER_BYTES = 64 * 1024 * 1024;

/** With a Table Accept, each event's object becomes a one-row Table (column definitions only in the first). */
export function tableEvents(
  info: ResourceInfo,
  version: 'v1' | 'v1beta1' | undefined,
  includeObject: string | undefined,
): (line: string) => string {
  if (!version) return (line) => line;
  let rows = 0;
  return (line) => {
    const event = JSON.parse(line) as { type: string; object: KubeObject };
    if (event.type === 'BOOKMARK' || event.type === 'ERROR') return line;
    const object = renderTable(info, version, [event.object], { includeObject, withColumns: rows++ === 0 });
    return JSON.stringify({ type: event.type, object });
  };
}

/**
 * Serves a watch as a chunked NDJSON response: 200 at once, one line per event, the end of the response when the
 * watch ends. An expired start is a 200 with a single ERROR event. The request filters' watch listeners get a
 * control over the stream.
 */
export function streamWatch(
  res: ServerResponse,
  start: (sink: WatchSink) => WatchHandle,
  render: (line: string) => string,
  listeners: readonly ((watch: WatchStreamControl) => void)[],
): void {
  let eventsSent = 0;
  const eventListeners: ((n: number) => void)[] = [];
  let handle: WatchHandle | undefined;
  const startStream = () => {
    if (res.headersSent) return;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
  };
  const write = (line: string) => {
    startStream();
    if (res.destroyed || res.writableEnded) return;
    res.write(render(line) + '\n');
    eventsSent++;
    // A client that stopped reading: drop it, as kube-apiserver drops a watcher whose buffer is full.
    if (res.writableLength > MAX_WATCH_BUFFER_BYTES) {
      res.destroy();
      handle?.close();
      return;
    }
    for (const l of eventListeners) l(eventsSent);
  };
  const end = () => {
    startStream();
    if (!res.writableEnded) res.end();
  };
  try {
    handle = start({ line: write, end });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 410) throw err;
    write(JSON.stringify({ type: 'ERROR', object: err.toStatus() }));
    end();
    return;
  }
  startStream();
  const opened = handle;
  res.on('close', () => opened.close());
  const control: WatchStreamControl = {
    get eventsSent() {
      return eventsSent;
    },
    close: () => opened.close(),
    destroy: () => {
      res.destroy();
      opened.close();
    },
    onEvent: (listener) => void eventListeners.push(listener),
  };
  for (const l of listeners) l(control);
}
