/**
 * User impersonation (`kubectl --as USER --as-group GROUP`), as kube-apiserver's impersonation filter does it:
 * the requester needs `impersonate` on `users` (or on the `serviceaccounts` object for
 * `system:serviceaccount:NS:NAME`), on each of `groups`, and on `uids` and `userextras/KEY` in
 * authentication.k8s.io; the request then runs as the impersonated user.
 */
import type { IncomingMessage } from 'node:http';
import { errors } from '../api/errors.ts';
import type { UserInfo } from '../api/types.ts';
import { serviceAccountUser } from './authentication.ts';
import type { RequestAttributes } from './extension-points.ts';

export interface Impersonation {
  /** Every permission the requester needs, as attributes for the authorizer. */
  readonly checks: readonly RequestAttributes[];
  readonly user: UserInfo;
}

function check(
  requester: UserInfo,
  apiGroup: string,
  resource: string,
  name: string,
  namespace = '',
  subresource = '',
): RequestAttributes {
  return {
    isResourceRequest: true,
    path: '',
    verb: 'impersonate',
    apiPrefix: apiGroup ? 'apis' : 'api',
    apiGroup,
    apiVersion: '',
    namespace,
    resource,
    subresource,
    name,
    user: requester,
  };
}

/** The impersonation a request asks for, or undefined when it carries no Impersonate-* header. */
export function impersonationOf(req: IncomingMessage, requester: UserInfo): Impersonation | undefined {
  const headers = req.headersDistinct;
  const username = headers['impersonate-user']?.[0];
  const groups = headers['impersonate-group'] ?? [];
  const uid = headers['impersonate-uid']?.[0];
  const extras = Object.keys(headers).filter((h) => h.startsWith('impersonate-extra-'));
  if (username === undefined) {
    if (groups.length || uid !== undefined || extras.length)
      throw errors.internal('requested impersonation without a user: an Impersonate-User header is required');
    return undefined;
  }
  const checks: RequestAttributes[] = [];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  let user: UserInfo;
  if (sa) {
    checks.push(check(requester, '', 'serviceaccounts', sa[2]!, sa[1]!));
    const base = serviceAccountUser(sa[1]!, sa[2]!);
    user = { username, groups: [...new Set([...base.groups, ...groups])] };
  } else {
    checks.push(check(requester, '', 'users', username));
    const implicit = username === 'system:anonymous' ? 'system:unauthenticated' : 'system:authenticated';
    user = { username, groups: groups.includes(implicit) ? groups : [...groups, implicit] };
  }
  for (const g of groups) checks.push(check(requester, '', 'groups', g));
  if (uid !== undefined) checks.push(check(requester, 'authentication.k8s.io', 'uids', uid));
  for (const h of extras)
    for (const value of headers[h] ?? [])
      checks.push(
        check(
          requester,
          'authentication.k8s.io',
          'userextras',
          value,
          '',
          h.slice('impersonate-extra-'.length),
        ),
      );
  return { checks, user };
}
