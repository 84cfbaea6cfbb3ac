import type { ServerResponse } from 'node:http';
import { ApiError, errors } from '../api/errors.ts';

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
