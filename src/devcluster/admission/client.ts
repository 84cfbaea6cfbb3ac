/**
 * An in-process client acting as one user: reads straight from the Cluster, writes through the admission chain
 * (so mutating webhooks see them, with this user as userInfo), each write recorded in the write audit. The
 * simulated controllers and Velero use one each, as their kube-controller-manager ServiceAccounts do.
 */
import { ApiError } from '../api/errors.ts';
import type { ClusterAPI, GroupVersionResource, UserInfo } from '../api/types.ts';
import type { WriteLog } from '../audit/write-log.ts';
import type { AdmissionChain } from './chain.ts';

/** A ClusterAPI write, admitted: the same call, answered asynchronously. */
type Admitted<Write> = Write extends (...args: infer Args) => infer Result
  ? (...args: Args) => Promise<Result>
  : never;

/** The ClusterAPI with asynchronous (admitted) writes. */
export interface AdmittedClient extends Pick<ClusterAPI, 'get' | 'list' | 'watch'> {
  readonly user: UserInfo;
  readonly create: Admitted<ClusterAPI['create']>;
  readonly update: Admitted<ClusterAPI['update']>;
  readonly patch: Admitted<ClusterAPI['patch']>;
  readonly delete: Admitted<ClusterAPI['delete']>;
}

/** What the write audit records of a write. */
interface AuditedWrite {
  readonly verb: 'create' | 'update' | 'patch' | 'delete';
  readonly gvr: GroupVersionResource;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly subresource: string | undefined;
}

export class InProcessClient implements AdmittedClient {
  readonly user: UserInfo;
  readonly get: ClusterAPI['get'];
  readonly list: ClusterAPI['list'];
  readonly watch: ClusterAPI['watch'];
  readonly #chain: AdmissionChain;
  readonly #audit: WriteLog | undefined;

  constructor(chain: AdmissionChain, user: UserInfo, audit?: WriteLog) {
    const reads = chain.cluster;
    this.#chain = chain;
    this.user = user;
    this.#audit = audit;
    this.get = (...args) => reads.get(...args);
    this.list = (...args) => reads.list(...args);
    this.watch = (...args) => reads.watch(...args);
  }

  readonly create: AdmittedClient['create'] = (gvr, namespace, object, options = {}) => {
    // A binding names the pod it binds; any other create names an object yet to exist.
    const name = options.subresource === 'binding' ? (object.metadata?.name ?? '') : '';
    return this.#audited(
      { verb: 'create', gvr, namespace, name, subresource: options.subresource },
      async () => {
        return (await this.#chain.create(gvr, namespace, object, { ...options, user: this.user })).result;
      },
    );
  };

  readonly update: AdmittedClient['update'] = (gvr, namespace, name, object, options = {}) =>
    this.#audited({ verb: 'update', gvr, namespace, name, subresource: options.subresource }, async () => {
      return (await this.#chain.update(gvr, namespace, name, object, { ...options, user: this.user })).result;
    });

  readonly patch: AdmittedClient['patch'] = (gvr, namespace, name, patchType, body, options = {}) =>
    this.#audited({ verb: 'patch', gvr, namespace, name, subresource: options.subresource }, async () => {
      const admitted = { ...options, user: this.user };
      return (await this.#chain.patch(gvr, namespace, name, patchType, body, admitted)).result.object;
    });

  readonly delete: AdmittedClient['delete'] = (gvr, namespace, name, options = {}) =>
    this.#audited({ verb: 'delete', gvr, namespace, name, subresource: undefined }, async () => {
      return (await this.#chain.delete(gvr, namespace, name, { ...options, user: this.user })).result.result;
    });

  async #audited<T>(write: AuditedWrite, perform: () => Promise<T>): Promise<T> {
    const { verb, gvr, namespace, name, subresource } = write;
    const record = this.#audit?.begin({
      user: this.user.username,
      verb,
      resource: gvr.group ? `${gvr.resource}.${gvr.group}` : gvr.resource,
      subresource: subresource ?? '',
      namespace: namespace ?? '',
      name,
    });
    try {
      const result = await perform();
      if (record) record.code = verb === 'create' ? 201 : 200;
      return result;
    } catch (err) {
      if (record) record.code = err instanceof ApiError ? err.code : 500;
      throw err;
    }
  }
}
