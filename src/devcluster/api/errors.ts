import type { GroupVersionResource, Status, StatusCause, StatusDetails } from './types.ts';

/** An API failure carrying the exact Status body kube-apiserver would send. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  /** Extra response headers, e.g. Retry-After for 429. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: StatusDetails,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = headers;
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `pods`, or `restores.velero.io` for resources outside the core and built-in groups' short form. */
export function qualifiedResource(gvr: Pick<GroupVersionResource, 'group' | 'resource'>): string {
  return gvr.group === '' ? gvr.resource : `${gvr.resource}.${gvr.group}`;
}

type Gr = Pick<GroupVersionResource, 'group' | 'resource'>;

function detailsFor(gvr: Gr, name: string | undefined): StatusDetails {
  return {
    ...(name !== undefined ? { name } : {}),
    ...(gvr.group ? { group: gvr.group } : {}),
    kind: gvr.resource,
  };
}

/** An error about one object: the message names it as kube-apiserver does, `pods "web-0"`, and so do the details. */
function aboutObject(
  code: number,
  reason: string,
  gvr: Gr,
  name: string,
  says: (object: string) => string,
): ApiError {
  return new ApiError(code, reason, says(`${qualifiedResource(gvr)} "${name}"`), detailsFor(gvr, name));
}

export const errors = {
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  /** 404 for a path that names no served resource (unknown group, version or resource). */
  noResource(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  requestEntityTooLarge(limitBytes: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`);
  },
  /** 504 for a list or watch at a resourceVersion the server has not reached. */
  resourceVersionTooLarge(requested: string, current: number): ApiError {
    return new ApiError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    });
  },
  notFound(gvr: Gr, name: string): ApiError {
    return aboutObject(404, 'NotFound', gvr, name, (object) => `${object} not found`);
  },
  alreadyExists(gvr: Gr, name: string): ApiError {
    return aboutObject(409, 'AlreadyExists', gvr, name, (object) => `${object} already exists`);
  },
  conflict(
    gvr: Gr,
    name: string,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ): ApiError {
    return aboutObject(
      409,
      'Conflict',
      gvr,
      name,
      (object) => `Operation cannot be fulfilled on ${object}: ${why}`,
    );
  },
  /** 422 with causes; `kind` is the object's Kind, e.g. `Pod`. */
  invalid(kind: string, name: string, causes: StatusCause[], group = ''): ApiError {
    const summary = causes
      .map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')))
      .join(', ');
    const list = causes.length > 1 ? `[${summary}]` : summary;
    return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${list}`, {
      name,
      ...(group ? { group } : {}),
      kind,
      causes,
    });
  },
  forbidden(message: string, gvr?: Gr, name?: string): ApiError {
    return new ApiError(403, 'Forbidden', message, gvr ? detailsFor(gvr, name) : undefined);
  },
  methodNotAllowed(message = 'the server does not allow this method on the requested resource'): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message);
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  /** 415 for a patch type the resource does not accept (strategic merge on a custom resource). */
  unsupportedMediaType(accepted: readonly string[]): ApiError {
    return new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  },
  tooManyRequests(
    retryAfterSeconds: number,
    message = 'Too many requests, please try again later.',
  ): ApiError {
    return new ApiError(
      429,
      'TooManyRequests',
      message,
      { retryAfterSeconds },
      {
        'Retry-After': String(retryAfterSeconds),
      },
    );
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    });
  },
  serviceUnavailable(message = 'the server is currently unable to handle the request'): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  },
};
