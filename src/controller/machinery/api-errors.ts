/** The fields of a Kubernetes Status that callers branch on. */
export interface ApiStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The HTTP status code of a failed API call: `code` of client-node's ApiException, `statusCode` of a
 * watch failure. Undefined for anything else (network errors, bugs).
 */
export function apiErrorCode(error: unknown): number | undefined {
  if (!isRecord(error)) return undefined;
  for (const field of ['code', 'statusCode'] as const) {
    const value = error[field];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 100 && value < 600) return value;
  }
  return undefined;
}

/**
 * The Status body of a failed API call. client-node gives a parsed object for status codes the OpenAPI
 * spec declares and the raw JSON string for the others (404, 409, 410, 422, ...); both are handled.
 */
export function apiErrorStatus(error: unknown): ApiStatus | undefined {
  if (!isRecord(error)) return undefined;
  let body = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!isRecord(body) || body.kind !== 'Status') return undefined;
  return {
    code: typeof body.code === 'number' ? body.code : undefined,
    reason: typeof body.reason === 'string' ? body.reason : undefined,
    message: typeof body.message === 'string' ? body.message : undefined,
    details: isRecord(body.details) ? body.details : undefined,
  };
}

/** A one-line description of a failed call, for logs and Events. */
export function describeApiError(error: unknown): string {
  const status = apiErrorStatus(error);
  const code = apiErrorCode(error);
  if (status?.message)
    return `${code ?? status.code ?? '?'} ${status.reason ?? ''}: ${status.message}`.trim();
  if (error instanceof Error) return code === undefined ? error.message : `${code} ${error.message}`;
  return String(error);
}

function reasonIs(error: unknown, code: number, reason: string): boolean {
  const status = apiErrorStatus(error);
  return apiErrorCode(error) === code && (status?.reason === undefined || status.reason === reason);
}

/** 409 Conflict from a stale resourceVersion (not AlreadyExists, which is also 409). */
export const isConflict = (error: unknown): boolean => reasonIs(error, 409, 'Conflict');
export const isAlreadyExists = (error: unknown): boolean =>
  apiErrorCode(error) === 409 && apiErrorStatus(error)?.reason === 'AlreadyExists';
export const isNotFound = (error: unknown): boolean => apiErrorCode(error) === 404;
/** 410 Gone / Expired: a watch or list resourceVersion too old. */
export const isGone = (error: unknown): boolean => apiErrorCode(error) === 410;
export const isTooManyRequests = (error: unknown): boolean => apiErrorCode(error) === 429;

/**
 * The delay a Retry-After header asks for, in milliseconds: delta-seconds or an HTTP date.
 * Accepts a header value or a failed call carrying `headers`.
 */
export function retryAfterMs(source: unknown, nowEpochMs: number = Date.now()): number | undefined {
  let value: unknown = source;
  if (isRecord(source) && isRecord(source.headers)) {
    const headers = source.headers;
    value = Object.entries(headers).find(([name]) => name.toLowerCase() === 'retry-after')?.[1];
  }
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowEpochMs);
}
