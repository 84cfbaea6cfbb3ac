import type { ServerResponse } from 'node:http';
import { ApiError, errors } from '../api/errors.ts';
import { parseAccept } from './accept.ts';
import { PROTOBUF_MEDIA_TYPE, encodeProtobuf } from './protobuf.ts';

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': headers['Content-Type'] ?? 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** True when the client's first acceptable media type is Kubernetes protobuf (client-go's typed clients). */
export function prefersProtobuf(accept: string | undefined): boolean {
  const first = parseAccept(accept).find(
    (r) => r.type === PROTOBUF_MEDIA_TYPE || r.type === 'application/json' || r.type === '*/*',
  );
  return first?.type === PROTOBUF_MEDIA_TYPE && first.params.as === undefined;
}

/**
 * Sends one object as the client prefers: protobuf for a built-in kind when it asks for that first, as
 * kube-apiserver does, else JSON. Lists, Tables, watches and Status bodies stay JSON.
 */
export function sendObject(
  res: ServerResponse,
  code: number,
  object: object,
  accept: string | undefined,
): void {
  const wire = prefersProtobuf(accept) ? encodeProtobuf(object) : undefined;
  if (!wire) return sendJson(res, code, object);
  res.writeHead(code, {
    'Content-Type': PROTOBUF_MEDIA_TYPE,
    'Cache-Control': 'no-cache, private',
    'Content-Length': wire.length,
  });
  res.end(wire);
}

/** Any failure as a Status body; unexpected errors become 500 InternalError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return errors.internal(err instanceof Error ? err.message : String(err));
}

export function sendError(res: ServerResponse, err: unknown): void {
  const apiError = toApiError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, apiError.code, apiError.toStatus(), { ...apiError.headers });
}

/** An admin endpoint over a measurement: GET answers what `read` returns, DELETE resets it (204), anything else 405. */
export function serveReadReset(
  method: string | undefined,
  res: ServerResponse,
  path: string,
  measurement: { read: () => unknown; reset: () => void },
): void {
  if (method === 'GET') return sendJson(res, 200, measurement.read());
  if (method === 'DELETE') {
    measurement.reset();
    res.writeHead(204).end();
    return;
  }
  sendError(res, new ApiError(405, 'MethodNotAllowed', `${method ?? ''} is not supported on ${path}`));
}
