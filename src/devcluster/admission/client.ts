/**
 * An in-process client acting as one user: reads straight from the Cluster, writes through the admission chain
 * (so mutating webhooks see them, with this user as userInfo), each write recorded in the write audit. The
 * simulated controllers and Velero use one each, as their kube-controller-manager ServiceAccounts do.
 */
import { ApiError } from '../api/errors.ts';
import type {
  ClusterAPI,
  DeleteOptions,
  GroupVersionResource,
  KubeObject,
  ListOptions,
  ListResult,
  PatchOptions,
  PatchType,
  Status,
  UserInfo,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from '../api/types.ts';
import type { WriteLog } from '../audit/write-log.ts';
import type { AdmissionChain } from './chain.ts';

/** The ClusterAPI with asynchronous (admitted) writes. */
export interface AdmittedClient {
  readonly user: UserInfo;
  get(gvr: GroupVersionResource, namespace: string | undefined, name: string): KubeObject;
  list(gvr: GroupVersionResource, namespace: string | undefined, options?: ListOptions): ListResult;
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
  ): Promise<KubeObject>;
  update(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    object: KubeObject,
    options?: WriteOptions,
  ): Promise<KubeObject>;
  patch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    options?: PatchOptions,
  ): Promise<KubeObject>;
  delete(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): Promise<KubeObject | Status>;
}

export class InProcessClient implements AdmittedClient {
  readonly user: UserInfo;
  readonly #chain: AdmissionChain;
  readonly #reads: ClusterAPI;
  readonly #audit: WriteLog | undefined;

  constructor(chain: AdmissionChain, user: UserInfo, audit?: WriteLog) {
    this.#chain = chain;
    this.#reads = chain.cluster;
    this.user = user;
    this.#audit = audit;
  }

  get(gvr: GroupVersionResource, namespace: string | undefined, name: string): KubeObject {
    return this.#reads.get(gvr, namespace, name);
  }

  list(gvr: GroupVersionResource, namespace: string | undefined, options?: ListOptions): ListResult {
    return this.#reads.list(gvr, namespace, options);
  }

  watch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    onClose?: () => void,
  ): WatchHandle {
    return this.#reads.watch(gvr, namespace, options, onEvent, onClose);
  }

  create(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    object: KubeObject,
    options: WriteOptions = {},
  ): Promise<KubeObject> {
    const subresource = options.subresource ?? '';
    return this.#audited(
      'create',
      gvr,
      namespace,
      subresource === 'binding' ? (object.metadata?.name ?? '') : '',
      subresource,
      201,
      async () => (await this.#chain.create(gvr, namespace, object, { ...options, user: this.user })).result,
    );
  }

  update(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    object: KubeObject,
    options: WriteOptions = {},
  ): Promise<KubeObject> {
    return this.#audited(
      'update',
      gvr,
      namespace,
      name,
      options.subresource ?? '',
      200,
      async () =>
        (await this.#chain.update(gvr, namespace, name, object, { ...options, user: this.user })).result,
    );
  }

  patch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    options: PatchOptions = {},
  ): Promise<KubeObject> {
    return this.#audited(
      'patch',
      gvr,
      namespace,
      name,
      options.subresource ?? '',
      200,
      async () =>
        (await this.#chain.patch(gvr, namespace, name, patchType, body, { ...options, user: this.user }))
          .result.object,
    );
  }

  delete(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<KubeObject | Status> {
    return this.#audited(
      'delete',
      gvr,
      namespace,
      name,
      '',
      200,
      async () =>
        (await this.#chain.delete(gvr, namespace, name, { ...options, user: this.user })).result.result,
    );
  }

  async #audited<T>(
    verb: string,
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    subresource: string,
    success: number,
    write: () => Promise<T>,
  ): Promise<T> {
    const record = this.#audit?.begin({
      user: this.user.username,
      verb,
      resource: gvr.group ? `${gvr.resource}.${gvr.group}` : gvr.resource,
      subresource,
      namespace: namespace ?? '',
      name,
    });
    try {
      const result = await write();
      if (record) record.code = success;
      return result;
    } catch (err) {
      if (record) record.code = err instanceof ApiError ? err.code : 500;
      throw err;
    }
  }
}
