/**
 * admission.k8s.io/v1 AdmissionReview, as kube-apiserver sends it to a webhook and reads the answer. Parsing is
 * total: a body that is not a v1 AdmissionReview with a request gives an error naming the field, never an exception.
 */

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface AdmissionUserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
}

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly operation: string;
  readonly namespace: string;
  readonly name: string;
  readonly userInfo: AdmissionUserInfo;
  readonly object: Record<string, unknown>;
  /** The object before an UPDATE. */
  readonly oldObject?: Record<string, unknown>;
  readonly dryRun: boolean;
}

/** One RFC 6902 operation. */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

export type ParsedReview =
  { readonly ok: true; readonly request: AdmissionRequest } | { readonly ok: false; readonly error: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses the JSON text of a request body. */
export function parseAdmissionReview(text: string): ParsedReview {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      error: `body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const fail = (error: string): ParsedReview => ({ ok: false, error });
  if (!isRecord(body)) return fail('body: expected an AdmissionReview object');
  if (body.apiVersion !== 'admission.k8s.io/v1')
    return fail(`apiVersion: expected "admission.k8s.io/v1", got ${JSON.stringify(body.apiVersion)}`);
  if (body.kind !== 'AdmissionReview')
    return fail(`kind: expected "AdmissionReview", got ${JSON.stringify(body.kind)}`);
  const r = body.request;
  if (!isRecord(r)) return fail('request: expected an object');
  if (typeof r.uid !== 'string' || r.uid === '') return fail('request.uid: expected a non-empty string');
  const kind = r.kind;
  if (!isRecord(kind) || typeof kind.kind !== 'string' || typeof kind.version !== 'string')
    return fail('request.kind: expected {group, version, kind}');
  if (typeof r.operation !== 'string' || r.operation === '')
    return fail('request.operation: expected CREATE, UPDATE, DELETE or CONNECT');
  const user = r.userInfo;
  if (!isRecord(user) || typeof user.username !== 'string')
    return fail('request.userInfo.username: expected a string');
  if (r.operation !== 'DELETE' && !isRecord(r.object)) return fail('request.object: expected an object');
  if (r.operation === 'UPDATE' && !isRecord(r.oldObject))
    return fail('request.oldObject: expected an object on UPDATE');
  if (r.namespace !== undefined && typeof r.namespace !== 'string')
    return fail('request.namespace: expected a string');
  if (r.name !== undefined && typeof r.name !== 'string') return fail('request.name: expected a string');
  const groups = Array.isArray(user.groups) ? user.groups.filter((g) => typeof g === 'string') : undefined;
  return {
    ok: true,
    request: {
      uid: r.uid,
      kind: {
        group: typeof kind.group === 'string' ? kind.group : '',
        version: kind.version,
        kind: kind.kind,
      },
      operation: r.operation,
      namespace: r.namespace ?? '',
      name: r.name ?? '',
      userInfo: {
        username: user.username,
        ...(typeof user.uid === 'string' ? { uid: user.uid } : {}),
        ...(groups ? { groups } : {}),
      },
      object: isRecord(r.object) ? r.object : {},
      ...(isRecord(r.oldObject) ? { oldObject: r.oldObject } : {}),
      dryRun: r.dryRun === true,
    },
  };
}

/** The AdmissionReview answer: always allowed (this webhook only mutates), with the patch when there is one. */
export function admissionResponse(
  uid: string,
  patch: readonly JsonPatchOperation[],
  warnings: readonly string[] = [],
): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: true,
      ...(patch.length > 0
        ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
        : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}

/** A JSON Pointer reference token (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * Operations that set `map[key] = value` for the map at `path` inside `parent` (the object at that path's parent),
 * creating the map when it is absent: JSON Patch cannot add into a map that does not exist.
 */
export function setMapEntry(mapPath: string, map: unknown, key: string, value: unknown): JsonPatchOperation {
  return isRecord(map)
    ? { op: 'add', path: `${mapPath}/${pointerToken(key)}`, value }
    : { op: 'add', path: mapPath, value: { [key]: value } };
}
