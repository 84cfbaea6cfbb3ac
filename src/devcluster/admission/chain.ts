/**
 * The admission chain of a write, in kube-apiserver's order: decoding and in-tree mutating admission (defaults,
 * the ServiceAccount token volume), mutating webhooks, object validation, validating webhooks, then storage. Every
 * write that stands for a client goes through it: the HTTP API and the simulated components (see client.ts).
 *
 * Without webhook configurations the writes go straight to the Cluster (one synchronous call). With them, the
 * Cluster does the in-tree half first (prepareCreate, or a dry run of the update), the webhooks run asynchronously,
 * and the result is written with its resourceVersion pinned to what the webhooks saw; when something else wrote
 * the object meanwhile, the whole update is tried again, as kube-apiserver's GuaranteedUpdate does.
 */
import type { AdmittedWriteOptions, Cluster } from '../api/cluster.ts';
import { ApiError } from '../api/errors.ts';
import type {
  DeleteOptions,
  GroupVersionResource,
  KubeObject,
  PatchOptions,
  PatchType,
  Status,
  UserInfo,
  WriteOptions,
} from '../api/types.ts';
import { SYSTEM_USER } from '../api/types.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import type { Operation } from './matching.ts';
import type { AdmissionRequest } from './webhooks.ts';
import { WebhookAdmission } from './webhooks.ts';

/** A write's answer and the warnings of the webhooks it went through. */
export interface Admitted<T> {
  readonly result: T;
  readonly warnings: readonly string[];
}

const UPDATE_ATTEMPTS = 5;

const kindOf = (info: ResourceInfo) => ({ group: info.group, version: info.version, kind: info.kind });

function options(kind: string, fields: Record<string, unknown>): Record<string, unknown> {
  const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== false));
  return { kind, apiVersion: 'meta.k8s.io/v1', ...set };
}

function writeOptionsBody(kind: string, o: WriteOptions & { force?: boolean }): Record<string, unknown> {
  return options(kind, {
    ...(o.dryRun ? { dryRun: ['All'] } : {}),
    fieldManager: o.fieldManager,
    ...(o.fieldValidation && o.fieldValidation !== 'Ignore' ? { fieldValidation: o.fieldValidation } : {}),
    force: o.force,
  });
}

export class AdmissionChain {
  readonly cluster: Cluster;
  readonly webhooks: WebhookAdmission;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
    this.webhooks = new WebhookAdmission(cluster);
  }

  /** Whether a webhook may be called for the write: without one, the write is a single call into the Cluster. */
  #admits(operation: Operation, gvr: GroupVersionResource, subresource: string | undefined): boolean {
    if (!this.webhooks.mutating && !this.webhooks.validating) return false;
    return this.webhooks.mayMatch(operation, this.cluster.resolve(gvr), subresource ?? '');
  }

  async create(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    body: KubeObject,
    o: WriteOptions = {},
  ): Promise<Admitted<KubeObject>> {
    if (!this.#admits('CREATE', gvr, o.subresource))
      return { result: this.cluster.create(gvr, namespace, body, o), warnings: [] };
    const user = o.user ?? SYSTEM_USER;
    const createOptions = writeOptionsBody('CreateOptions', o);
    if (o.subresource === 'binding') {
      const info = this.cluster.resolve(gvr);
      const base = {
        operation: 'CREATE' as const,
        info,
        subresource: 'binding',
        kind: { group: '', version: 'v1', kind: 'Binding' },
        namespace: namespace ?? '',
        name: body.metadata?.name ?? '',
        oldObject: undefined,
        user,
        dryRun: o.dryRun === true,
        options: createOptions,
      };
      const mutated = await this.webhooks.mutate({ ...base, object: body });
      const binding = mutated.object ?? body;
      const warnings = [...mutated.warnings, ...(await this.webhooks.validate({ ...base, object: binding }))];
      return { result: this.cluster.create(gvr, namespace, binding, o), warnings };
    }
    if (o.subresource) return { result: this.cluster.create(gvr, namespace, body, o), warnings: [] };
    const prepared = this.cluster.prepareCreate(gvr, namespace, body);
    const request = this.#request(
      'CREATE',
      prepared.info,
      '',
      prepared.namespace,
      prepared.object,
      undefined,
      {
        user,
        dryRun: o.dryRun === true,
        options: createOptions,
      },
    );
    const mutated = await this.webhooks.mutate(request, prepared.reinvokeInTree);
    let object = mutated.object ?? prepared.object;
    const admitted: AdmittedWriteOptions = { ...o, inTreeAdmitted: true };
    const warnings = [...mutated.warnings];
    if (this.webhooks.validating) {
      const dry = this.cluster.create(gvr, namespace, object, { ...admitted, dryRun: true });
      warnings.push(
        ...(await this.webhooks.validate({ ...request, name: dry.metadata.name ?? '', object: dry })),
      );
      object = { ...object, metadata: { ...object.metadata, name: dry.metadata.name } };
    }
    return { result: this.cluster.create(gvr, namespace, object, admitted), warnings };
  }

  async update(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    o: WriteOptions = {},
  ): Promise<Admitted<KubeObject>> {
    if (!this.#admits('UPDATE', gvr, o.subresource))
      return { result: this.cluster.update(gvr, namespace, name, body, o), warnings: [] };
    return this.#guaranteedUpdate(gvr, namespace, name, o, 'UpdateOptions', {}, () => ({
      object: this.cluster.update(gvr, namespace, name, body, { ...o, dryRun: true }),
      created: false,
    }));
  }

  async patch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    o: PatchOptions = {},
  ): Promise<Admitted<{ object: KubeObject; created: boolean }>> {
    // A server-side apply may create: it is admitted when webhooks may see either operation.
    const operations: Operation[] =
      type === 'application/apply-patch+yaml' ? ['UPDATE', 'CREATE'] : ['UPDATE'];
    if (!operations.some((op) => this.#admits(op, gvr, o.subresource)))
      return { result: this.cluster.patchWithOutcome(gvr, namespace, name, type, body, o), warnings: [] };
    const result = await this.#guaranteedUpdate(
      gvr,
      namespace,
      name,
      o,
      'PatchOptions',
      { serverSideApplied: type === 'application/apply-patch+yaml' },
      () => this.cluster.patchWithOutcome(gvr, namespace, name, type, body, { ...o, dryRun: true }),
    );
    return { result: { object: result.result, created: result.created ?? false }, warnings: result.warnings };
  }

  async delete(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    o: DeleteOptions = {},
  ): Promise<Admitted<{ result: KubeObject | Status; removed: boolean }>> {
    if (!this.#admits('DELETE', gvr, undefined))
      return { result: this.cluster.deleteWithOutcome(gvr, namespace, name, o), warnings: [] };
    const info = this.cluster.resolve(gvr);
    const existing = this.cluster.get(gvr, namespace, name);
    const request = this.#request('DELETE', info, '', namespace, undefined, existing, {
      user: o.user ?? SYSTEM_USER,
      dryRun: o.dryRun === true,
      options: options('DeleteOptions', {
        ...(o.dryRun ? { dryRun: ['All'] } : {}),
        gracePeriodSeconds: o.gracePeriodSeconds,
        propagationPolicy: o.propagationPolicy,
        preconditions: o.preconditions,
      }),
      name,
    });
    const warnings = [...(await this.webhooks.mutate(request)).warnings];
    warnings.push(...(await this.webhooks.validate(request)));
    return { result: this.cluster.deleteWithOutcome(gvr, namespace, name, o), warnings };
  }

  /**
   * An update (PUT or PATCH): `dryRun` computes the new object from the current one, the webhooks see it, and the
   * result is written with the resourceVersion they saw; a conflict with another writer starts over. A patch that
   * creates (server-side apply of a missing object) is admitted as a CREATE.
   */
  async #guaranteedUpdate(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    o: PatchOptions,
    optionsKind: string,
    flags: AdmittedWriteOptions,
    dryRun: () => { object: KubeObject; created: boolean },
  ): Promise<{ result: KubeObject; created?: boolean; warnings: readonly string[] }> {
    const info = this.cluster.resolve(gvr);
    const subresource = o.subresource ?? '';
    for (let attempt = 1; ; attempt++) {
      const existing = info.namespaced && !namespace ? undefined : this.#current(gvr, namespace, name);
      const candidate = dryRun();
      const operation: Operation = candidate.created ? 'CREATE' : 'UPDATE';
      const request = this.#request(
        operation,
        info,
        subresource,
        namespace,
        candidate.object,
        candidate.created ? undefined : existing,
        {
          user: o.user ?? SYSTEM_USER,
          dryRun: o.dryRun === true,
          options: writeOptionsBody(candidate.created ? 'CreateOptions' : optionsKind, o),
          name,
        },
      );
      const mutated = await this.webhooks.mutate(request);
      const object = mutated.object ?? candidate.object;
      const warnings = [...mutated.warnings];
      if (this.webhooks.validating) warnings.push(...(await this.webhooks.validate({ ...request, object })));
      if (candidate.created)
        return {
          result: this.cluster.create(gvr, namespace, object, { ...o, ...flags, inTreeAdmitted: true }),
          created: true,
          warnings,
        };
      const pinned = {
        ...object,
        metadata: { ...object.metadata, resourceVersion: existing?.metadata.resourceVersion ?? '' },
      };
      try {
        return { result: this.cluster.update(gvr, namespace, name, pinned, { ...o, ...flags }), warnings };
      } catch (err) {
        // Someone wrote the object while the webhooks ran: compute the update again from the new state (a request
        // that pinned the old resourceVersion itself then fails its dry run with the same 409).
        if (!(err instanceof ApiError) || err.code !== 409 || attempt >= UPDATE_ATTEMPTS) throw err;
      }
    }
  }

  #current(gvr: GroupVersionResource, namespace: string | undefined, name: string): KubeObject | undefined {
    try {
      return this.cluster.get(gvr, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  #request(
    operation: Operation,
    info: ResourceInfo,
    subresource: string,
    namespace: string | undefined,
    object: KubeObject | undefined,
    oldObject: KubeObject | undefined,
    rest: { user: UserInfo; dryRun: boolean; options: Record<string, unknown>; name?: string },
  ): AdmissionRequest {
    return {
      operation,
      info,
      subresource,
      kind: kindOf(info),
      namespace: info.namespaced ? (namespace ?? '') : '',
      name: rest.name ?? object?.metadata.name ?? '',
      object,
      oldObject,
      user: rest.user,
      dryRun: rest.dryRun,
      options: rest.options,
    };
  }
}
