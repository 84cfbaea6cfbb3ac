/**
 * AdmissionReview admission.k8s.io/v1 as kube-apiserver sends it, and its checks of a webhook's answer
 * (VerifyAdmissionResponse). Pure: the transport is webhook-call.ts.
 */
import type { KubeObject, Status, UserInfo } from '../api/types.ts';
import type { Operation } from './matching.ts';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface ReviewInput {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  readonly subResource: string;
  readonly name: string;
  readonly namespace: string;
  readonly operation: Operation;
  readonly user: UserInfo;
  readonly object: KubeObject | undefined;
  readonly oldObject: KubeObject | undefined;
  readonly dryRun: boolean;
  /** CreateOptions, UpdateOptions, PatchOptions or DeleteOptions (meta.k8s.io/v1). */
  readonly options: Record<string, unknown>;
}

/** The request body: requestKind/requestResource equal kind/resource (the devcluster serves one version of each). */
export function admissionReview(input: ReviewInput): Record<string, unknown> {
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: input.uid,
      kind: input.kind,
      resource: input.resource,
      ...(input.subResource ? { subResource: input.subResource } : {}),
      requestKind: input.kind,
      requestResource: input.resource,
      ...(input.subResource ? { requestSubResource: input.subResource } : {}),
      ...(input.name ? { name: input.name } : {}),
      ...(input.namespace ? { namespace: input.namespace } : {}),
      operation: input.operation,
      userInfo: {
        username: input.user.username,
        ...(input.user.uid ? { uid: input.user.uid } : {}),
        ...(input.user.groups.length > 0 ? { groups: [...input.user.groups] } : {}),
      },
      object: input.object ?? null,
      oldObject: input.oldObject ?? null,
      dryRun: input.dryRun,
      options: input.options,
    },
  };
}

/** A verified webhook answer. */
export interface ReviewResult {
  readonly allowed: boolean;
  /** The decoded JSON Patch operations of a mutating webhook (undefined: no patch). */
  readonly patch: unknown;
  readonly status: Partial<Status> | undefined;
  readonly warnings: readonly string[];
}

/** The answer does not follow the protocol (kube: "received invalid webhook response: ..."). */
export class InvalidResponseError extends Error {
  override name = 'InvalidResponseError';
}

/** The JSON Patch in an answer cannot be decoded or applied (kube: an internal error, whatever the failurePolicy). */
export class BadPatchError extends Error {
  override name = 'BadPatchError';
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks an answer's envelope, uid and patch fields as kube-apiserver does for admission.k8s.io/v1. */
export function verifyResponse(uid: string, mutating: boolean, body: unknown): ReviewResult {
  if (!isObj(body)) throw new InvalidResponseError('the response is not an AdmissionReview object');
  if (body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview')
    throw new InvalidResponseError(
      `expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${String(body.apiVersion ?? '')}, Kind=${String(body.kind ?? '')}`,
    );
  const response = body.response;
  if (!isObj(response)) throw new InvalidResponseError('webhook response was absent');
  if (response.uid !== uid)
    throw new InvalidResponseError(
      `expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(typeof response.uid === 'string' ? response.uid : '')}`,
    );
  const hasPatch = typeof response.patch === 'string' && response.patch !== '';
  const patchType = typeof response.patchType === 'string' ? response.patchType : '';
  if (hasPatch && !mutating) throw new InvalidResponseError('validating webhooks may not return patches');
  if (hasPatch && patchType === '')
    throw new InvalidResponseError('webhook returned response.patch but not response.patchType');
  if (patchType !== '' && patchType !== 'JSONPatch')
    throw new InvalidResponseError(
      `webhook returned invalid response.patchType of ${JSON.stringify(patchType)}`,
    );
  let patch: unknown;
  if (hasPatch) {
    const text = Buffer.from(response.patch as string, 'base64').toString('utf8');
    try {
      patch = JSON.parse(text);
    } catch (err) {
      throw new BadPatchError(`invalid JSON patch: ${(err as Error).message}`);
    }
    if (!Array.isArray(patch)) throw new BadPatchError('invalid JSON patch: the patch is not a JSON array');
  }
  const warnings = Array.isArray(response.warnings)
    ? response.warnings.filter((w): w is string => typeof w === 'string' && w !== '')
    : [];
  return {
    allowed: response.allowed === true,
    patch,
    status: isObj(response.status) ? (response.status as Partial<Status>) : undefined,
    warnings,
  };
}

/** The Status of a denial, as ToStatusErr builds it. */
export function denialStatus(webhook: string, result: Partial<Status> | undefined): Status {
  const deniedBy = `admission webhook ${JSON.stringify(webhook)} denied the request`;
  const code = typeof result?.code === 'number' && result.code >= 400 ? result.code : 403;
  const message = result?.message
    ? `${deniedBy}: ${result.message}`
    : result?.reason
      ? `${deniedBy}: ${result.reason}`
      : `${deniedBy} without explanation`;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(result?.reason ? { reason: result.reason } : {}),
    ...(result?.details ? { details: result.details } : {}),
    code,
  };
}
