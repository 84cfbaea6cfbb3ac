/**
 * The devcluster's in-process API: the same operations the HTTP layer serves, with the same semantics
 * (defaulting, validation, resourceVersions, watches, errors). The HTTP server is one client of it; the simulated
 * controllers, scheduler, kubelet and Velero are others. Authentication, authorization and fault injection belong
 * to the HTTP layer only.
 */

import type { ObjectMetaFields } from '../../kube/types.ts';

export type { OwnerReference } from '../../kube/types.ts';
export type ObjectMeta = ObjectMetaFields;

/** Any Kubernetes object as JSON. Stored objects always carry apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface GroupVersionResource {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural, lower case, e.g. 'pods', 'restores'. */
  readonly resource: string;
}

/** One cause of a 422 Invalid (or other) Status, as kube-apiserver reports it. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The wire form of an error or of a successful delete of a custom resource. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Who is asking. In-process system components use SYSTEM_USER. */
export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
}

export const SYSTEM_USER: UserInfo = { username: 'system:devcluster', groups: ['system:masters'] };

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** Unset: the latest. '0': any version. */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Unset or '0': synthetic ADDED events for the current state first. Otherwise only changes after it. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  /** A Status for ERROR events. */
  object: KubeObject | Status;
}

export interface WatchHandle {
  /** Stops the watch; no more events are delivered. Idempotent. */
  close(): void;
}

export interface WriteOptions {
  user?: UserInfo;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  /**
   * Write the status subresource instead of the main resource; or, on create for pods, 'binding': assign the pod
   * to a node (the object is a Binding: metadata.name = the pod, target.name = the node).
   */
  subresource?: 'status' | 'binding';
}

export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  user?: UserInfo;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/**
 * Every method throws ApiError (see errors.ts) with the Status the real server would send. `namespace` is
 * undefined for cluster-scoped resources and for list/watch across all namespaces.
 */
export interface ClusterAPI {
  get(gvr: GroupVersionResource, namespace: string | undefined, name: string): KubeObject;
  list(gvr: GroupVersionResource, namespace: string | undefined, options?: ListOptions): ListResult;
  /**
   * Events are delivered asynchronously, in resourceVersion order. An expired resourceVersion yields one ERROR event
   * (410) and closes. `onClose` runs when the server ends the watch (timeoutSeconds, expiry, shutdown), not after
   * the caller's own `close()`.
   */
  watch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    onClose?: () => void,
  ): WatchHandle;
  create(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    object: KubeObject,
    options?: WriteOptions,
  ): KubeObject;
  update(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    object: KubeObject,
    options?: WriteOptions,
  ): KubeObject;
  patch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    options?: PatchOptions,
  ): KubeObject;
  /** Returns the object (still present with deletionTimestamp, or as it was when removed), or a Success Status for custom resources. */
  delete(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): KubeObject | Status;
}
