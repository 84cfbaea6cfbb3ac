/**
 * authorization.k8s.io/v1 reviews, answered by the devcluster's authorizer as kube-apiserver answers them:
 * SelfSubjectAccessReview and SubjectAccessReview (`kubectl auth can-i VERB RESOURCE`, with `--as` through
 * impersonation), LocalSubjectAccessReview, and SelfSubjectRulesReview (`kubectl auth can-i --list`). Reviews are
 * create-only and never stored: the answer is the posted object with its status filled in.
 */
import { errors } from '../api/errors.ts';
import type { StatusCause, UserInfo } from '../api/types.ts';
import type { Authorizer, RequestAttributes } from './extension-points.ts';
import { nonResource } from './request-info.ts';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const KINDS: Record<string, string> = {
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  subjectaccessreviews: 'SubjectAccessReview',
  localsubjectaccessreviews: 'LocalSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview',
};

export function isAccessReview(a: { apiGroup: string; apiVersion: string; resource: string }): boolean {
  return a.apiGroup === AUTHORIZATION_GROUP && a.apiVersion === 'v1' && a.resource in KINDS;
}

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}
interface ReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  groups?: string[];
  namespace?: string;
}

/** The request a review asks about, for the authorizer. */
function attributesOf(spec: ReviewSpec, user: UserInfo): RequestAttributes {
  const r = spec.resourceAttributes;
  if (r)
    return {
      isResourceRequest: true,
      path: '',
      verb: r.verb ?? '',
      apiPrefix: r.group ? 'apis' : 'api',
      apiGroup: r.group ?? '',
      apiVersion: r.version ?? '',
      namespace: r.namespace ?? '',
      resource: r.resource ?? '',
      subresource: r.subresource ?? '',
      name: r.name ?? '',
      user,
    };
  const n = spec.nonResourceAttributes ?? {};
  return { ...nonResource(n.path ?? '', n.verb ?? ''), user };
}

/**
 * Answers one review: `resource` is the URL's resource, `namespace` its namespace (LocalSubjectAccessReview),
 * `requester` the (possibly impersonated) user who posted it.
 */
export async function answerReview(
  authorizer: Authorizer,
  resource: string,
  namespace: string,
  requester: UserInfo,
  body: unknown,
): Promise<Record<string, unknown>> {
  const kind = KINDS[resource]!;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw errors.badRequest(`${kind} must be a JSON object`);
  const review = body as { kind?: string; spec?: ReviewSpec; metadata?: Record<string, unknown> };
  if (review.kind !== undefined && review.kind !== kind)
    throw errors.badRequest(`the body's kind ${review.kind} does not match ${kind}`);
  const spec = review.spec ?? {};
  const answer = (status: object) => ({
    kind,
    apiVersion: `${AUTHORIZATION_GROUP}/v1`,
    metadata: { ...(review.metadata ?? {}), creationTimestamp: null },
    spec,
    status,
  });
  if (kind === 'SelfSubjectRulesReview') {
    const rules = authorizer.rulesFor?.(requester, spec.namespace ?? '') ?? {
      resourceRules: [],
      nonResourceRules: [],
      incomplete: true,
    };
    return answer(rules);
  }
  const invalid = (causes: StatusCause[]) => errors.invalid(kind, '', causes, AUTHORIZATION_GROUP);
  if (!spec.resourceAttributes === !spec.nonResourceAttributes)
    throw invalid([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.resourceAttributes',
        message: `Invalid value: ${JSON.stringify(spec.resourceAttributes ?? spec.nonResourceAttributes ?? null)}: exactly one of nonResourceAttributes or resourceAttributes must be specified`,
      },
    ]);
  let subject = requester;
  if (kind === 'SubjectAccessReview' || kind === 'LocalSubjectAccessReview') {
    if (!spec.user && !spec.groups?.length)
      throw invalid([
        {
          reason: 'FieldValueInvalid',
          field: 'spec.user',
          message: 'Invalid value: "": at least one of user or group must be specified',
        },
      ]);
    subject = { username: spec.user ?? '', groups: spec.groups ?? [] };
  }
  if (kind === 'LocalSubjectAccessReview' && spec.resourceAttributes?.namespace !== namespace)
    throw invalid([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.resourceAttributes.namespace',
        message: `Invalid value: ${JSON.stringify(spec.resourceAttributes?.namespace ?? '')}: must match metadata.namespace`,
      },
    ]);
  const decision = await authorizer(attributesOf(spec, subject));
  return answer({ allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) });
}
