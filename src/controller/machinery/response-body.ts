/**
 * Decoding the bodies an API server answers with. A proxy's HTML page, a truncated body or an object of the wrong
 * kind becomes an error that names the request and what was wrong, instead of a bare SyntaxError or a TypeError
 * somewhere downstream.
 */
import type { KubeObject } from './kube-object.ts';

export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError';
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON.parse with an error naming the request (`what`, e.g. `GET /api/v1/pods`). */
export function parseJsonResponse(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const start = text.slice(0, 60).replace(/\s+/g, ' ');
    throw new MalformedResponseError(
      `${what}: invalid JSON in the response (${(e as Error).message}); it starts with ${JSON.stringify(start)}`,
    );
  }
}

/** How far into a list body its metadata may end: kind, apiVersion and metadata come before the items. */
const LIST_HEAD_CHARS = 16_384;

/**
 * A list body's `metadata.continue`, read from its head without parsing the items: Kubernetes serializes `kind`,
 * `apiVersion` and `metadata` before `items`. Undefined when the head holds none (the last page, or a body laid out
 * otherwise: then only the parsed list tells).
 */
export function leadingContinueToken(text: string): string | undefined {
  const head = text.slice(0, LIST_HEAD_CHARS);
  const items = head.indexOf('"items":');
  if (items === -1) return undefined;
  const match = /"continue":("(?:[^"\\]|\\.)*")/.exec(head.slice(0, items));
  if (!match) return undefined;
  try {
    const token = JSON.parse(match[1]!) as string;
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

export interface DecodedList {
  readonly kind: string | undefined;
  readonly apiVersion: string | undefined;
  readonly items: KubeObject[];
  readonly resourceVersion: string;
  readonly continue: string | undefined;
}

/** A list response: `{kind: *List, metadata: {resourceVersion}, items: [{metadata: {name}}...]}`. */
export function decodeList(body: unknown, what: string): DecodedList {
  if (!isObject(body))
    throw new MalformedResponseError(
      `${what}: expected a list object, got ${JSON.stringify(body)?.slice(0, 40)}`,
    );
  const kind = typeof body.kind === 'string' ? body.kind : undefined;
  if (kind !== undefined && !kind.endsWith('List'))
    throw new MalformedResponseError(`${what}: expected a list, got kind ${JSON.stringify(kind)}`);
  const items = body.items ?? [];
  if (!Array.isArray(items)) throw new MalformedResponseError(`${what}: items: must be a list`);
  items.forEach((item: unknown, i) => {
    if (!isObject(item) || !isObject(item.metadata) || typeof item.metadata.name !== 'string')
      throw new MalformedResponseError(`${what}: items[${i}]: must be an object with metadata.name`);
  });
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (typeof metadata.resourceVersion !== 'string' || metadata.resourceVersion === '')
    throw new MalformedResponseError(`${what}: metadata.resourceVersion: missing (a list must carry one)`);
  return {
    kind,
    apiVersion: typeof body.apiVersion === 'string' ? body.apiVersion : undefined,
    items: items as KubeObject[],
    resourceVersion: metadata.resourceVersion,
    continue:
      typeof metadata.continue === 'string' && metadata.continue !== '' ? metadata.continue : undefined,
  };
}

const WATCH_EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** Why a decoded watch event cannot be used, or undefined when it is well-formed. */
export function malformedWatchEvent(type: unknown, object: unknown): string | undefined {
  if (typeof type !== 'string' || !WATCH_EVENT_TYPES.has(type))
    return `unknown event type ${JSON.stringify(type)}`;
  if (!isObject(object)) return `${type} event without an object`;
  if (type !== 'ERROR' && !isObject(object.metadata)) return `${type} event: object without metadata`;
  return undefined;
}

/**
 * How long `forEachLine` hands out lines before it lets the event loop serve I/O. Chunks a stream has buffered are
 * read through promises alone, so a watch that fell behind during a burst would otherwise be worked off in one task
 * of hundreds of milliseconds, while the webhook calls waiting on the same event loop queue behind it.
 */
export const LINE_SLICE_MS = 5;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Calls `onLine` with each newline-terminated line of a byte stream, decoded as UTF-8, as the chunks arrive, and stops
 * reading when it returns false. Blank lines are skipped. Bytes after the last newline are a line the end of the
 * stream cut off: dropped, as client-go's watch decoder ends quietly at an unexpected end of stream. After
 * `LINE_SLICE_MS` of lines it waits for the event loop's next turn, so other I/O is served in between.
 */
export async function forEachLine(
  chunks: AsyncIterable<Uint8Array>,
  onLine: (line: string) => boolean,
): Promise<void> {
  let pending: Buffer[] = [];
  let sliceStart = performance.now();
  for await (const chunk of chunks) {
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
      const line =
        pending.length === 0
          ? bytes.toString('utf8', start, end)
          : Buffer.concat([...pending, bytes.subarray(start, end)]).toString('utf8');
      pending = [];
      start = end + 1;
      if (line.trim() !== '' && !onLine(line)) return;
      if (performance.now() - sliceStart >= LINE_SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
    if (start < bytes.length) pending.push(bytes.subarray(start));
  }
}
