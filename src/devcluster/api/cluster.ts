import { randomUUID } from 'node:crypto';
import { crdResources, establishedStatus } from '../crd/crd-resources.ts';
import { ResourceRegistry } from '../registry/registry.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { apiVersionOf, fieldLabels, objectFields, storageKey } from '../registry/resource.ts';
import { decodeContinue, encodeContinue } from '../store/continue-token.ts';
import { ObjectStore } from '../store/object-store.ts';
import type { WatchStart } from '../store/object-store.ts';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.ts';
import type { StoredObject } from '../store/stored-object.ts';
import { copyAs, storeObject } from '../store/stored-object.ts';
import type { WatchFilter, Watcher } from '../store/watch-hub.ts';
import { admitCreate, admitUpdate, mutateCreate, serviceAccountTokenMounts } from './admission.ts';
import { errors } from './errors.ts';
import { recordUpdate } from '../patch/server-side-apply.ts';
import { clone, generateName, isObj, kubeTime, orderMetadata, sameObject, specOf } from './object-meta.ts';
import { applyPatch } from './patching.ts';
import { boundPod, deletedStatus, gracePeriodSeconds, prepareForCreate } from './strategies.ts';
import type { WatchSink } from './watch-sessions.ts';

export { kubeTime } from './object-meta.ts';
export type { WatchSink } from './watch-sessions.ts';
import { WatchSessions, deliverInProcess } from './watch-sessions.ts';
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
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from './types.ts';

export interface ClusterOptions {
  /** Events kept per resource for watch replay (default 10,000). */
  historySize?: number;
  /** How often watches that asked for bookmarks get one (default 10 s). */
  bookmarkIntervalMs?: number;
  /**
   * When true, DELETE with propagationPolicy Foreground or Orphan adds the `foregroundDeletion` / `orphan`
   * finalizer as kube-apiserver does. Only turn it on when a garbage collector runs that removes them; without
   * one the objects would never go away. Default false: every policy deletes like Background.
   */
  garbageCollectorFinalizers?: boolean;
  /** The clock (tests); defaults to the wall clock. */
  now?: () => Date;
}

/** A list as stored objects, for the HTTP layer to serialize without copying. */
export interface StoredList {
  readonly info: ResourceInfo;
  readonly items: StoredObject[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

const CUSTOM_PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];
/** The namespaces kube-apiserver's NamespaceLifecycle admission refuses to delete. */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const NAMESPACES: GroupVersionResource = { group: '', version: 'v1', resource: 'namespaces' };
const CRDS: GroupVersionResource = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
};

/** Write flags of the admission chain (admission/chain.ts), which runs the in-tree admission itself first. */
export type AdmittedWriteOptions = WriteOptions & {
  /** A server-side apply already computed the object's managedFields. */
  serverSideApplied?: boolean;
  /** The object already went through the in-tree mutating admission (prepareCreate): do not add a token volume. */
  inTreeAdmitted?: boolean;
};
type InternalWriteOptions = AdmittedWriteOptions;

/** A new object after decoding and in-tree mutation, before name generation, system fields and validation. */
export interface PreparedCreate {
  readonly info: ResourceInfo;
  /** undefined for cluster-scoped resources. */
  readonly namespace: string | undefined;
  readonly object: KubeObject;
  /** The in-tree mutation kube-apiserver runs again after a webhook changed the object (its reinvocation round). */
  readonly reinvokeInTree: (object: KubeObject) => KubeObject;
}

/**
 * The devcluster's API semantics over the object store: the ClusterAPI every in-process component and the HTTP
 * server use. See docs/devcluster.md for what it implements and where it diverges from kube-apiserver.
 */
export class Cluster implements ClusterAPI {
  readonly store: ObjectStore;
  readonly registry = new ResourceRegistry();
  readonly #watches: WatchSessions;
  readonly #gcFinalizers: boolean;
  readonly #now: () => Date;
  #closed = false;

  constructor(options: ClusterOptions = {}) {
    this.store = new ObjectStore({
      ...(options.historySize !== undefined ? { historySize: options.historySize } : {}),
    });
    this.#watches = new WatchSessions(options.bookmarkIntervalMs ?? 10_000, () => this.store.resourceVersion);
    this.#gcFinalizers = options.garbageCollectorFinalizers ?? false;
    this.#now = options.now ?? (() => new Date());
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      this.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** The served resource for a path, or a 404 naming no resource. */
  resolve(gvr: GroupVersionResource): ResourceInfo {
    const info = this.registry.lookup(gvr);
    if (!info) throw errors.noResource();
    return info;
  }

  get(gvr: GroupVersionResource, namespace: string | undefined, name: string): KubeObject {
    const info = this.resolve(gvr);
    return copyAs(this.#mustGet(info, namespace, name), apiVersionOf(info));
  }

  list(gvr: GroupVersionResource, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const listed = this.listStored(gvr, namespace, options);
    const apiVersion = apiVersionOf(listed.info);
    return {
      items: listed.items.map((s) => copyAs(s, apiVersion)),
      resourceVersion: listed.resourceVersion,
      ...(listed.continue !== undefined ? { continue: listed.continue } : {}),
      ...(listed.remainingItemCount !== undefined ? { remainingItemCount: listed.remainingItemCount } : {}),
    };
  }

  /** List with selectors, resourceVersion semantics and limit/continue; items in namespace/name order. */
  listStored(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    options: ListOptions = {},
  ): StoredList {
    const info = this.resolve(gvr);
    const filter = this.#filter(info, info.namespaced ? namespace : undefined, options);
    const current = this.store.resourceVersion;
    const requested = requestedResourceVersion(options);
    if (requested !== undefined) {
      if (requested > current) throw errors.resourceVersionTooLarge(options.resourceVersion ?? '', current);
      if (options.resourceVersionMatch === 'Exact' && requested !== current)
        throw errors.expired(`too old resource version: ${requested} (${current})`);
    }
    let listRv = current;
    let after: string | undefined;
    if (options.continue) {
      const state = decodeContinue(options.continue);
      listRv = state.rv;
      after = state.after;
    }
    // Each key is built once: a page of a large list sorts every matching object again.
    const keyed: { key: string; object: StoredObject }[] = [];
    for (const object of this.store.objects(storageKey(info), filter.namespace)) {
      const key = `${object.namespace}/${object.name}`;
      if ((after === undefined || key > after) && filter.matches(object)) keyed.push({ key, object });
    }
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = options.limit ?? 0;
    if (limit > 0 && keyed.length > limit) {
      return {
        info,
        items: keyed.slice(0, limit).map((k) => k.object),
        resourceVersion: String(listRv),
        continue: encodeContinue({ rv: listRv, after: keyed[limit - 1]!.key }),
        remainingItemCount: keyed.length - limit,
      };
    }
    return { info, items: keyed.map((k) => k.object), resourceVersion: String(listRv) };
  }

  watch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    onClose?: () => void,
  ): WatchHandle {
    return deliverInProcess((sink) => this.watchLines(gvr, namespace, options, sink), onEvent, onClose);
  }

  /**
   * A watch delivering serialized NDJSON lines synchronously. Throws ApiError before starting (400 selectors,
   * 404 resource, 410 Expired resourceVersion).
   */
  watchLines(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    options: WatchOptions,
    sink: WatchSink,
  ): WatchHandle {
    if (this.#closed) throw errors.serviceUnavailable('the devcluster is shutting down');
    const info = this.resolve(gvr);
    const filter = this.#filter(info, info.namespaced ? namespace : undefined, options);
    let start: WatchStart = { kind: 'current' };
    const rv = requestedResourceVersion(options);
    if (rv !== undefined) start = { kind: 'after', rv };
    let open = true;
    const watcher: Watcher = { filter, send: (line) => void (open && sink.line(line)) };
    const unsubscribe = this.store.watch(storageKey(info), start, watcher);
    const detach = () => {
      open = false;
      unsubscribe();
    };
    const bookmarks = options.allowWatchBookmarks === true;
    return this.#watches.open(info, sink, { bookmarks, timeoutSeconds: options.timeoutSeconds }, detach);
  }

  /**
   * With `subresource: 'binding'` (pods only) the object is a Binding naming the pod and `target.name` the node;
   * the scheduled pod is returned (over HTTP the answer is a Success Status, as kube-apiserver sends).
   */
  create(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    object: KubeObject,
    options: AdmittedWriteOptions = {},
  ): KubeObject {
    const info = this.resolve(gvr);
    if (options.subresource === 'binding') return this.#bind(info, namespace, object, options);
    if (options.subresource) throw errors.methodNotAllowed();
    return copyAs(this.#create(info, namespace, object, options), apiVersionOf(info));
  }

  /**
   * The first half of a create for the admission chain: the body typed and placed in its namespace (which must
   * exist and not be terminating), then defaulted and through the in-tree mutating admission (the ServiceAccount
   * token volume). Pass the result, after mutating webhooks, to create() with `inTreeAdmitted`.
   */
  prepareCreate(
    gvr: GroupVersionResource,
    requestNamespace: string | undefined,
    input: KubeObject,
  ): PreparedCreate {
    const info = this.resolve(gvr);
    const object = this.#typed(info, input);
    const namespace = this.#namespaceOf(info, requestNamespace, object);
    if (namespace !== undefined) {
      this.#checkNamespaceOpen(info, namespace, object.metadata.name ?? '');
      object.metadata.namespace = namespace;
    }
    const context = this.#createContext(info, object, namespace);
    const mutated = mutateCreate(info, object, context);
    // A pod's status is the strategy's (PrepareForCreate), which runs after admission: webhooks see none.
    if (info.group === '' && info.resource === 'pods') mutated.status = {};
    return {
      info,
      namespace,
      object: mutated,
      reinvokeInTree: (changed) => serviceAccountTokenMounts(info, changed, context),
    };
  }

  update(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    object: KubeObject,
    options: AdmittedWriteOptions = {},
  ): KubeObject {
    const info = this.resolve(gvr);
    return copyAs(this.#update(info, namespace, name, object, options, true), apiVersionOf(info));
  }

  patch(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    options: PatchOptions = {},
  ): KubeObject {
    return this.patchWithOutcome(gvr, namespace, name, patchType, body, options).object;
  }

  /** Like patch(), also telling whether server-side apply created the object (HTTP 201). */
  patchWithOutcome(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    options: PatchOptions = {},
  ): { object: KubeObject; created: boolean } {
    const info = this.resolve(gvr);
    const apiVersion = apiVersionOf(info);
    if (patchType === 'application/strategic-merge-patch+json' && info.custom)
      throw errors.unsupportedMediaType(CUSTOM_PATCH_TYPES);
    if (patchType === 'application/apply-patch+yaml' && !options.fieldManager)
      throw errors.invalid(
        'PatchOptions',
        '',
        [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: is required for apply patch',
            field: 'fieldManager',
          },
        ],
        'meta.k8s.io',
      );
    const existing = this.#lookup(info, namespace, name);
    if (!existing && patchType !== 'application/apply-patch+yaml') throw errors.notFound(info, name);
    const base = existing ? copyAs(existing, apiVersion) : undefined;
    const patched = applyPatch(patchType, base, body, info, {
      manager: options.fieldManager ?? '',
      force: options.force === true,
      toStatus: options.subresource === 'status',
    });
    if (!existing) {
      if (options.subresource) throw errors.notFound(info, name);
      if (patched.metadata?.name !== undefined && patched.metadata.name !== name)
        throw errors.badRequest(
          `the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`,
        );
      const created = this.#create(
        info,
        namespace,
        { ...patched, metadata: { ...patched.metadata, name } },
        { ...options, serverSideApplied: true },
      );
      return { object: copyAs(created, apiVersion), created: true };
    }
    const patchedRv = patched.metadata?.resourceVersion;
    if (patchedRv !== undefined && patchedRv !== String(existing.rv)) throw errors.conflict(info, name);
    patched.metadata = { ...patched.metadata, resourceVersion: String(existing.rv) };
    return {
      object: copyAs(
        this.#update(
          info,
          namespace,
          name,
          patched,
          { ...options, serverSideApplied: patchType === 'application/apply-patch+yaml' },
          false,
        ),
        apiVersion,
      ),
      created: false,
    };
  }

  delete(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject | Status {
    return this.deleteWithOutcome(gvr, namespace, name, options).result;
  }

  /** Like delete(), also telling whether the object is gone (false: it waits for finalizers or a grace period). */
  deleteWithOutcome(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): { result: KubeObject | Status; removed: boolean } {
    const info = this.resolve(gvr);
    const apiVersion = apiVersionOf(info);
    const existing = this.#mustGet(info, namespace, name);
    if (info.group === '' && info.resource === 'namespaces' && IMMORTAL_NAMESPACES.has(name))
      throw errors.forbidden(
        `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        info,
        name,
      );
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== existing.object.metadata.uid)
      throw errors.conflict(
        info,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.object.metadata.uid ?? ''}`,
      );
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== String(existing.rv))
      throw errors.conflict(
        info,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.rv}`,
      );
    const policy = options.propagationPolicy;
    if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy))
      throw errors.invalid(
        'DeleteOptions',
        '',
        [
          {
            reason: 'FieldValueNotSupported',
            message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`,
            field: 'propagationPolicy',
          },
        ],
        'meta.k8s.io',
      );
    if (
      options.gracePeriodSeconds !== undefined &&
      (!Number.isInteger(options.gracePeriodSeconds) || options.gracePeriodSeconds < 0)
    )
      throw errors.badRequest(`invalid gracePeriodSeconds: ${options.gracePeriodSeconds}`);

    const next = clone(existing.object);
    const meta = next.metadata;
    let finalizers = meta.finalizers ?? [];
    if (this.#gcFinalizers && policy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
      finalizers = [...finalizers, 'foregroundDeletion'];
    if (this.#gcFinalizers && policy === 'Orphan' && !finalizers.includes('orphan'))
      finalizers = [...finalizers, 'orphan'];
    if (finalizers.length > 0) meta.finalizers = finalizers;
    const grace = gracePeriodSeconds(info, existing.object, options);
    const removeNow =
      finalizers.length === 0 && grace === 0 && !(info.group === '' && info.resource === 'namespaces');

    if (removeNow) {
      if (options.dryRun)
        return {
          result: info.returnDeletedObject
            ? copyAs(existing, apiVersion)
            : deletedStatus(info, existing.object),
          removed: true,
        };
      const final = this.#removeObject(info, existing);
      return {
        result: info.returnDeletedObject ? copyAs(final, apiVersion) : deletedStatus(info, final.object),
        removed: true,
      };
    }
    const now = this.#now();
    const requestedDeletion = new Date(now.getTime() + grace * 1000);
    const currentDeletion = meta.deletionTimestamp ? new Date(meta.deletionTimestamp) : undefined;
    if (!currentDeletion || requestedDeletion < currentDeletion) {
      meta.deletionTimestamp = kubeTime(requestedDeletion);
      meta.deletionGracePeriodSeconds = grace;
    } else if (grace < (meta.deletionGracePeriodSeconds ?? 0)) meta.deletionGracePeriodSeconds = grace;
    if (info.group === '' && info.resource === 'namespaces')
      next.status = { ...(isObj(next.status) ? next.status : {}), phase: 'Terminating' };
    if (options.dryRun) return { result: next, removed: false };
    const stored = sameObject(next, existing.object) ? existing : this.#commit(info, next, existing);
    if (info.group === '' && info.resource === 'namespaces')
      queueMicrotask(() => this.#finishNamespace(stored.name));
    return { result: copyAs(stored, apiVersion), removed: false };
  }

  /** Forgets all watch history up to now: watches from an older resourceVersion get 410 Expired. */
  compact(): void {
    this.store.compact();
  }

  /** Ends every watch (their streams close cleanly) and refuses new ones. */
  close(): void {
    this.#closed = true;
    this.#watches.closeAll();
  }

  // ---- internals ----

  #lookup(info: ResourceInfo, namespace: string | undefined, name: string): StoredObject | undefined {
    if (info.namespaced && !namespace)
      throw errors.badRequest('a namespace is required for a namespaced resource');
    return this.store.get(storageKey(info), info.namespaced ? namespace! : '', name);
  }

  /** The ServiceAccount admission's inputs for a new pod: a token volume suffix and the account's automount. */
  #createContext(info: ResourceInfo, object: KubeObject, namespace: string | undefined) {
    if (info.group !== '' || info.resource !== 'pods' || namespace === undefined) return {};
    const spec = isObj(object.spec) ? object.spec : {};
    const account =
      typeof spec.serviceAccountName === 'string' && spec.serviceAccountName
        ? spec.serviceAccountName
        : 'default';
    const sa = this.store.get('/serviceaccounts', namespace, account)?.object;
    const automount = sa?.automountServiceAccountToken;
    return {
      tokenVolumeSuffix: generateName('').slice(-5),
      ...(typeof automount === 'boolean' ? { serviceAccountAutomount: automount } : {}),
    };
  }

  /** NamespaceLifecycle: new content needs an existing namespace that is not terminating. */
  #checkNamespaceOpen(info: ResourceInfo, namespace: string, name: string): void {
    const ns = this.store.get(storageKey(NAMESPACES), '', namespace);
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace);
    if (ns.object.metadata.deletionTimestamp)
      throw errors.forbidden(
        `${info.resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        info,
        name,
      );
  }

  #mustGet(info: ResourceInfo, namespace: string | undefined, name: string): StoredObject {
    const found = this.#lookup(info, namespace, name);
    if (!found) throw errors.notFound(info, name);
    return found;
  }

  #filter(
    info: ResourceInfo,
    namespace: string | undefined,
    options: { labelSelector?: string; fieldSelector?: string },
  ): WatchFilter {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector, fieldLabels(info));
    const needsFields = fields.requirements.length > 0;
    return {
      namespace,
      apiVersion: apiVersionOf(info),
      selectorKey: `${options.labelSelector ?? ''}\u0000${options.fieldSelector ?? ''}`,
      matches: (s) =>
        labels.matches(s.object.metadata.labels) &&
        (!needsFields || fields.matches(objectFields(info, s.object))),
    };
  }

  /** apiVersion/kind of a request body must match the endpoint; missing ones are filled in. */
  #typed(info: ResourceInfo, object: unknown): KubeObject {
    if (!isObj(object)) throw errors.badRequest('the request body must be a JSON object');
    const copy = clone(object) as KubeObject;
    const apiVersion = apiVersionOf(info);
    if (copy.kind !== undefined && copy.kind !== '' && copy.kind !== info.kind)
      throw errors.badRequest(
        `the kind in the data (${String(copy.kind)}) does not match the expected kind (${info.kind})`,
      );
    if (copy.apiVersion !== undefined && copy.apiVersion !== '' && copy.apiVersion !== apiVersion)
      throw errors.badRequest(
        `the API version in the data (${String(copy.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    if (copy.metadata !== undefined && !isObj(copy.metadata))
      throw errors.badRequest('metadata must be an object');
    return { ...copy, apiVersion, kind: info.kind, metadata: { ...(copy.metadata ?? {}) } };
  }

  #namespaceOf(
    info: ResourceInfo,
    requestNamespace: string | undefined,
    object: KubeObject,
  ): string | undefined {
    if (!info.namespaced) return undefined;
    const inBody = object.metadata.namespace;
    if (!requestNamespace) {
      if (!inBody) throw errors.badRequest('a namespace is required for a namespaced resource');
      return inBody;
    }
    if (inBody && inBody !== requestNamespace)
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    return requestNamespace;
  }

  #create(
    info: ResourceInfo,
    requestNamespace: string | undefined,
    input: KubeObject,
    options: InternalWriteOptions,
  ): StoredObject {
    const object = this.#typed(info, input);
    const meta = object.metadata;
    const namespace = this.#namespaceOf(info, requestNamespace, object);
    if (meta.resourceVersion)
      throw errors.badRequest('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    if (!meta.name)
      throw errors.invalid(
        info.kind,
        '',
        [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: name or generateName is required',
            field: 'metadata.name',
          },
        ],
        info.custom ? info.group : '',
      );
    if (namespace !== undefined) {
      this.#checkNamespaceOpen(info, namespace, meta.name);
      meta.namespace = namespace;
    } else delete meta.namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = kubeTime(this.#now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (info.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    prepareForCreate(info, object);
    const defaulted = admitCreate(
      info,
      object,
      options.fieldValidation,
      options.inTreeAdmitted ? {} : this.#createContext(info, object, namespace),
    );
    const admitted = options.serverSideApplied
      ? defaulted
      : recordUpdate(undefined, defaulted, options.fieldManager ?? 'unknown', { now: this.#now() });
    if (this.#lookup(info, namespace, meta.name)) throw errors.alreadyExists(info, meta.name);
    if (options.dryRun) return storeObject({ ...admitted, metadata: orderMetadata(admitted.metadata) });
    const stored = this.#commit(info, admitted, undefined);
    if (info.group === CRDS.group && info.resource === CRDS.resource) this.#syncCrd(stored);
    return stored;
  }

  #update(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    input: KubeObject,
    options: InternalWriteOptions,
    isPut: boolean,
  ): StoredObject {
    const existing = this.#mustGet(info, namespace, name);
    const incoming = this.#typed(info, input);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name)
      throw errors.badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    this.#namespaceOf(info, namespace ?? existing.namespace, {
      ...incoming,
      metadata: { ...incoming.metadata },
    });
    const rv = incoming.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== String(existing.rv)) throw errors.conflict(info, name);
    if ((rv === undefined || rv === '') && isPut && info.custom)
      throw errors.invalid(
        info.kind,
        name,
        [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 0x0: must be specified for an update',
            field: 'metadata.resourceVersion',
          },
        ],
        info.group,
      );
    if (options.subresource !== undefined && options.subresource !== 'status')
      throw errors.methodNotAllowed();
    if (options.subresource === 'status' && !info.statusSubresource) throw errors.noResource();

    const old = existing.object;
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = { ...clone(old) };
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else {
      next = incoming;
      if (info.statusSubresource) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      const m = next.metadata;
      next.metadata = {
        ...m,
        name: old.metadata.name,
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        deletionTimestamp: old.metadata.deletionTimestamp,
        deletionGracePeriodSeconds: old.metadata.deletionGracePeriodSeconds,
        generation: old.metadata.generation,
        managedFields: m.managedFields ?? old.metadata.managedFields,
      };
      if (info.namespaced) next.metadata.namespace = old.metadata.namespace;
      else delete next.metadata.namespace;
    }
    next.metadata.resourceVersion = String(existing.rv);
    const validated = admitUpdate(info, old, next, options.fieldValidation);
    if (
      info.hasGeneration &&
      specOf(validated, info.statusSubresource) !== specOf(old, info.statusSubresource)
    )
      validated.metadata.generation = (old.metadata.generation ?? 0) + 1;
    const admitted = options.serverSideApplied
      ? validated
      : recordUpdate(old, validated, options.fieldManager ?? 'unknown', {
          now: this.#now(),
          ...(options.subresource ? { subresource: options.subresource } : {}),
        });
    if (sameObject(admitted, old)) return existing;
    if (options.dryRun) return storeObject({ ...admitted, metadata: orderMetadata(admitted.metadata) });
    const m = admitted.metadata;
    if (
      m.deletionTimestamp &&
      (m.finalizers ?? []).length === 0 &&
      (m.deletionGracePeriodSeconds ?? 0) === 0 &&
      !(info.group === '' && info.resource === 'namespaces')
    ) {
      const committed = this.#commit(info, admitted, existing);
      return this.#removeObject(info, committed);
    }
    const stored = this.#commit(info, admitted, existing);
    if (info.group === CRDS.group && info.resource === CRDS.resource) this.#syncCrd(stored);
    if (info.group === '' && info.resource === 'namespaces' && stored.object.metadata.deletionTimestamp)
      queueMicrotask(() => this.#finishNamespace(stored.name));
    return stored;
  }

  /** POST pods/NAME/binding: sets spec.nodeName and the PodScheduled condition, as the scheduler's Binding does. */
  #bind(
    info: ResourceInfo,
    namespace: string | undefined,
    binding: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    if (info.group !== '' || info.resource !== 'pods') throw errors.noResource();
    const existing = this.#mustGet(info, namespace, binding.metadata?.name ?? '');
    const pod = boundPod(info, existing.object, binding, this.#now());
    if (options.dryRun) return pod;
    return copyAs(this.#commit(info, pod, existing), apiVersionOf(info));
  }

  #commit(info: ResourceInfo, object: KubeObject, previous: StoredObject | undefined): StoredObject {
    const rv = this.store.nextResourceVersion();
    const meta = orderMetadata({ ...object.metadata, resourceVersion: String(rv) });
    const stored = storeObject({
      ...object,
      apiVersion: previous?.object.apiVersion ?? object.apiVersion,
      metadata: meta,
    });
    this.store.put(storageKey(info), stored, previous);
    return stored;
  }

  #removeObject(info: ResourceInfo, existing: StoredObject): StoredObject {
    const rv = this.store.nextResourceVersion();
    const final = storeObject({
      ...existing.object,
      metadata: { ...existing.object.metadata, resourceVersion: String(rv) },
    });
    this.store.remove(storageKey(info), final, existing);
    if (info.group === CRDS.group && info.resource === CRDS.resource) this.#unserveCrd(final);
    if (info.namespaced) queueMicrotask(() => this.#finishNamespace(final.namespace));
    return final;
  }

  /** Serves the CRD's versions and marks it Established (what apiextensions' controllers do). */
  #syncCrd(stored: StoredObject): void {
    const crd = stored.object;
    const infos = crdResources(crd);
    const [first] = infos;
    if (first) {
      const owner = this.registry.customOwnerOf(first.group, first.resource);
      if (owner !== undefined && owner !== stored.name) return;
    }
    // A terminating CRD keeps serving its resources until it is gone, as kube-apiserver does for their cleanup.
    this.registry.setCustom(stored.name, infos);
    const status = isObj(crd.status) ? crd.status : {};
    const conditions = Array.isArray(status.conditions)
      ? (status.conditions as Record<string, unknown>[])
      : [];
    const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
    const desired = establishedStatus(crd, kubeTime(this.#now()));
    if (established && JSON.stringify(status.acceptedNames) === JSON.stringify(desired.acceptedNames)) return;
    const next = { ...clone(crd), status: desired };
    this.#commit(this.resolve(CRDS), next, stored);
  }

  /** A CRD is gone: its custom resources go with it (kube-apiserver does this behind a cleanup finalizer). */
  #unserveCrd(crd: StoredObject): void {
    const infos = crdResources(crd.object);
    const [first] = infos;
    const owner = first ? this.registry.customOwnerOf(first.group, first.resource) : undefined;
    // A terminating CRD is no longer served (owner undefined), but its objects still go with it.
    if (first && (owner === undefined || owner === crd.name))
      for (const s of [...this.store.objects(storageKey(first))]) this.#removeObject(first, s);
    this.registry.setCustom(crd.name, []);
  }

  /** The namespace controller's job: empty a terminating namespace, then remove it once nothing is left. */
  #finishNamespace(name: string): void {
    const nsInfo = this.resolve(NAMESPACES);
    const ns = this.store.get(storageKey(nsInfo), '', name);
    if (!ns?.object.metadata.deletionTimestamp) return;
    const seen = new Set<string>();
    let remaining = 0;
    for (const info of this.registry.all()) {
      const key = storageKey(info);
      if (!info.namespaced || seen.has(key)) continue;
      seen.add(key);
      for (const s of [...this.store.objects(key, name)])
        if (!s.object.metadata.deletionTimestamp) this.deleteWithOutcome(info, name, s.name);
      for (const _ of this.store.objects(key, name)) remaining++;
    }
    if (remaining > 0 || (ns.object.metadata.finalizers ?? []).length > 0) return;
    this.#removeObject(nsInfo, ns);
  }
}

/**
 * The resourceVersion a list or watch asks for, as a number; undefined for "any" (unset, empty or "0"). A value
 * that is not a non-negative integer is a 400, as kube-apiserver answers it.
 */
function requestedResourceVersion(options: { readonly resourceVersion?: string }): number | undefined {
  const value = options.resourceVersion;
  if (value === undefined || value === '' || value === '0') return undefined;
  const rv = Number(value);
  if (!Number.isSafeInteger(rv) || rv < 0)
    throw errors.badRequest(`invalid resource version: ${JSON.stringify(value)}`);
  return rv;
}
