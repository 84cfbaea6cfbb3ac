import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { UserInfo } from '../api/types.ts';
import type { RequestInfo } from './request-info.ts';

/**
 * Extension points of the devcluster's HTTP layer. A request goes through:
 *   authentication (bearer token -> user; 401 for an unknown token)
 *   -> authorization (the `authorizer`; 403 when it denies)
 *   -> request filters, in order (the `requestFilters`; each may delay, reject, or watch the watch streams)
 *   -> the handler (resource CRUD, discovery, openapi, or a registered upgrade handler such as pods/exec).
 */

export interface RequestAttributes extends RequestInfo {
  readonly user: UserInfo;
}

export interface AuthorizationDecision {
  readonly allowed: boolean;
  /** Appended to the 403 message when denied, as RBAC's reasons are. */
  readonly reason?: string;
}

/** The rules a user holds in a namespace: the status of a SelfSubjectRulesReview. */
export interface SubjectRules {
  readonly resourceRules: readonly {
    verbs: string[];
    apiGroups?: string[];
    resources?: string[];
    resourceNames?: string[];
  }[];
  readonly nonResourceRules: readonly { verbs: string[]; nonResourceURLs?: string[] }[];
  readonly incomplete: boolean;
  readonly evaluationError?: string;
}

/**
 * Decides whether a user may do what a request asks. The RBAC authorizer plugs in here. `rulesFor` lists what a
 * user may do in a namespace (SelfSubjectRulesReview, `kubectl auth can-i --list`); without it the list is empty
 * and marked incomplete, as kube-apiserver answers for authorizers that cannot enumerate their rules.
 */
export interface Authorizer {
  (attributes: RequestAttributes): AuthorizationDecision | Promise<AuthorizationDecision>;
  rulesFor?(user: UserInfo, namespace: string): SubjectRules;
}

/** A watch stream a request opened, as a filter sees it. */
export interface WatchStreamControl {
  /** Events written to the client so far (bookmarks included). */
  readonly eventsSent: number;
  /** Ends the stream cleanly, as a server-side timeout does (informers re-watch from their last version). */
  close(): void;
  /** Drops the connection without ending the chunked response (a network failure, as clients see it). */
  destroy(): void;
  /** Called after every event written, with the running count. */
  onEvent(listener: (eventsSent: number) => void): void;
}

export interface RequestContext {
  readonly info: RequestInfo;
  readonly user: UserInfo;
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Registers a listener for the watch stream this request opens, if it is a watch that starts streaming. */
  onWatch(listener: (watch: WatchStreamControl) => void): void;
}

/**
 * A request filter runs after authorization and before the handler. It may:
 *   - delay the request (return a promise that resolves later);
 *   - reject it by throwing an ApiError (its Status is the response, e.g. errors.tooManyRequests(1));
 *   - observe or cut the request's watch stream through `context.onWatch`.
 * The fault injector plugs in here.
 */
export type RequestFilter = (context: RequestContext) => void | Promise<void>;

/**
 * Serves an HTTP upgrade (WebSocket) on a resource subresource such as `pods/exec`, after authentication,
 * authorization and filters. It owns the socket from then on. If it throws an ApiError before upgrading, the
 * devcluster answers with that Status.
 */
export type UpgradeHandler = (
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  attributes: RequestAttributes,
) => void | Promise<void>;

/** The default: authenticated users may do everything; anonymous users only read the public health and version paths. */
const PUBLIC_PATHS = ['/version', '/healthz', '/readyz', '/livez'];
export const allowAuthenticated: Authorizer = Object.assign(
  (a: RequestAttributes): AuthorizationDecision => {
    if (!a.user.groups.includes('system:unauthenticated')) return { allowed: true };
    return { allowed: !a.isResourceRequest && a.verb === 'get' && PUBLIC_PATHS.includes(a.path) };
  },
  {
    rulesFor: (user: UserInfo): SubjectRules =>
      user.groups.includes('system:unauthenticated')
        ? {
            resourceRules: [],
            nonResourceRules: [{ verbs: ['get'], nonResourceURLs: PUBLIC_PATHS }],
            incomplete: false,
          }
        : {
            resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
            nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
            incomplete: false,
          },
  },
);
