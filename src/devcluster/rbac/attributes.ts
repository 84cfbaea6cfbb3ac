import type { UserInfo } from '../api/types.ts';

/** What a request asks to do, as kube-apiserver's RequestInfo/authorizer.Attributes describe it. */
export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

export interface ResourceAttributes {
  readonly user: UserInfo;
  readonly resourceRequest: true;
  /** get, list, watch, create, update, patch, delete, deletecollection (or any custom verb). */
  readonly verb: string;
  /** '' for the core group. */
  readonly apiGroup: string;
  readonly resource: string;
  /** e.g. 'exec' or 'status'; '' when none. */
  readonly subresource?: string;
  /** '' or undefined for cluster-scoped requests and requests across all namespaces. */
  readonly namespace?: string;
  readonly name?: string;
}

export interface NonResourceAttributes {
  readonly user: UserInfo;
  readonly resourceRequest: false;
  /** The lower-case HTTP method mapped as kube-apiserver does: get, post, put, patch, delete. */
  readonly verb: string;
  readonly path: string;
}

/** The groups a service account's token authenticates with. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}
