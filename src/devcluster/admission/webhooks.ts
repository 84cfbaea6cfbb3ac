/**
 * The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins: read the admissionregistration.k8s.io/v1
 * configurations from the store, pick the webhooks a request matches (matching.ts), call them (webhook-call.ts)
 * with an AdmissionReview (review.ts) and apply their answers with kube-apiserver's semantics: configurations in
 * name order and webhooks in their order, JSON patches, one reinvocation round for reinvocationPolicy IfNeeded,
 * failurePolicy, denials, warnings and dry-run side effects.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster } from '../api/cluster.ts';
import { ApiError, errors } from '../api/errors.ts';
import type { KubeObject, UserInfo } from '../api/types.ts';
import { applyJsonPatch } from '../patch/json-patch.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { storageKey } from '../registry/resource.ts';
import { isJsonObject } from '../util/json.ts';
import type { AdmissionAttributes, Operation, WebhookMatch } from './matching.ts';
import { isExempt, rulesMatch, webhookMatches } from './matching.ts';
import type { ReviewResult } from './review.ts';
import {
  BadPatchError,
  InvalidResponseError,
  admissionReview,
  denialStatus,
  verifyResponse,
} from './review.ts';
import type { WebhookTarget } from './webhook-call.ts';
import { WebhookCallLog } from './call-log.ts';
import type { WebhookCallOutcome } from './call-log.ts';
import { CallError, callWebhook } from './webhook-call.ts';
import { FailOpenLog } from './fail-open-log.ts';

/** One admission request, as the webhook plugins see it. */
export interface AdmissionRequest {
  readonly operation: Operation;
  /** The resource written (for a subresource: its parent resource). */
  readonly info: ResourceInfo;
  readonly subresource: string;
  /** The kind of `object` (a Binding for pods/binding). */
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  readonly object: KubeObject | undefined;
  readonly oldObject: KubeObject | undefined;
  readonly user: UserInfo;
  readonly dryRun: boolean;
  readonly options: Record<string, unknown>;
}

export interface MutationResult {
  readonly object: KubeObject | undefined;
  readonly warnings: readonly string[];
}

interface Webhook extends WebhookMatch {
  readonly name: string;
  readonly clientConfig?: {
    readonly url?: string;
    readonly service?: { namespace?: string; name?: string; path?: string; port?: number };
    readonly caBundle?: string;
  };
  readonly failurePolicy?: string;
  readonly sideEffects?: string;
  readonly timeoutSeconds?: number;
  readonly reinvocationPolicy?: string;
}

const MUTATING = { group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' };
const VALIDATING = { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations' };
const MUTATING_KEY = storageKey(MUTATING);
const VALIDATING_KEY = storageKey(VALIDATING);

/** A failure that failurePolicy Ignore forgives (kube: ErrCallingWebhook). */
class WebhookCallFailure extends Error {
  override name = 'WebhookCallFailure';
}

export class WebhookAdmission {
  readonly #cluster: Cluster;
  /** The calls failurePolicy Ignore forgave (kube-apiserver: "Failed calling webhook, failing open"). */
  readonly failOpen = new FailOpenLog();
  /** Every call made, with its duration (GET /devcluster/admission/webhook-calls). */
  readonly calls = new WebhookCallLog();

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
  }

  /** Whether any mutating configuration exists (false: the mutating step is skipped at no cost). */
  get mutating(): boolean {
    return this.#cluster.store.count(MUTATING_KEY) > 0;
  }

  get validating(): boolean {
    return this.#cluster.store.count(VALIDATING_KEY) > 0;
  }

  /**
   * Whether some configured webhook has a rule for this operation on this resource (selectors aside). When none
   * has, a write skips the admission chain's extra work altogether.
   */
  mayMatch(operation: Operation, info: ResourceInfo, subresource: string): boolean {
    if (isExempt(info)) return false;
    const attributes: AdmissionAttributes = {
      operation,
      group: info.group,
      version: info.version,
      resource: info.resource,
      subresource,
      namespace: info.namespaced ? 'any' : '',
    };
    for (const key of [MUTATING_KEY, VALIDATING_KEY])
      if (
        this.#cluster.store.count(key) > 0 &&
        this.#webhooks(key).some((hook) => rulesMatch(hook, attributes))
      )
        return true;
    return false;
  }

  /**
   * Runs the matching mutating webhooks; returns the object as they left it and their warnings. When one of them
   * changed the object, kube-apiserver runs a reinvocation round: the in-tree mutating admission again (`inTree`, e.g.
   * the ServiceAccount token mounted into a container a webhook added), then each `IfNeeded` webhook already called
   * whose output the object no longer is (a later webhook or the in-tree admission changed it), once.
   */
  async mutate(
    request: AdmissionRequest,
    inTree: (object: KubeObject) => KubeObject = (object) => object,
  ): Promise<MutationResult> {
    const warnings: string[] = [];
    if (!this.mutating || isExempt(request.info)) return { object: request.object, warnings };
    const hooks = this.#webhooks(MUTATING_KEY);
    let object = request.object;
    let changedAny = false;
    /** The object as each webhook called so far left it (JSON). */
    const output = new Map<Webhook, string>();
    /** Calls the webhook if it matches the object as it is now. */
    const callOnce = async (hook: Webhook): Promise<void> => {
      const current = { ...request, object };
      if (!this.#matches(hook, current)) return;
      const result = await this.#call(hook, current, true);
      const before = JSON.stringify(object);
      output.set(hook, before);
      if (result === undefined) return;
      warnings.push(...result.warnings);
      // A DELETE has no object to patch; kube-apiserver has nothing to apply a patch to either.
      if (result.patch === undefined || object === undefined) return;
      const patched = applyPatch(object, result.patch);
      const after = JSON.stringify(patched);
      if (after === before) return;
      object = patched;
      output.set(hook, after);
      changedAny = true;
    };
    for (const hook of hooks) await callOnce(hook);
    if (!changedAny || object === undefined) return { object, warnings };
    object = inTree(object);
    for (const hook of hooks)
      if (
        hook.reinvocationPolicy === 'IfNeeded' &&
        output.has(hook) &&
        output.get(hook) !== JSON.stringify(object)
      )
        await callOnce(hook);
    return { object, warnings };
  }

  /** Runs the matching validating webhooks in parallel; throws the first denial or failure in webhook order. */
  async validate(request: AdmissionRequest): Promise<string[]> {
    if (!this.validating || isExempt(request.info)) return [];
    const hooks = this.#webhooks(VALIDATING_KEY).filter((hook) => this.#matches(hook, request));
    const outcomes = await Promise.allSettled(hooks.map((hook) => this.#call(hook, request, false)));
    const warnings: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') throw outcome.reason;
      if (outcome.value) warnings.push(...outcome.value.warnings);
    }
    return warnings;
  }

  /** The configurations' webhooks, configurations in name order, defaults applied as the store holds them. */
  #webhooks(key: string): Webhook[] {
    const configurations = [...this.#cluster.store.objects(key)].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    return configurations.flatMap((c) =>
      Array.isArray(c.object.webhooks) ? (c.object.webhooks as Webhook[]).filter(isJsonObject) : [],
    );
  }

  #matches(hook: Webhook, request: AdmissionRequest): boolean {
    const attributes: AdmissionAttributes = {
      operation: request.operation,
      group: request.info.group,
      version: request.info.version,
      resource: request.info.resource,
      subresource: request.subresource,
      namespace: request.namespace,
      objectLabels: request.object ? (request.object.metadata.labels ?? {}) : undefined,
      oldObjectLabels: request.oldObject ? (request.oldObject.metadata.labels ?? {}) : undefined,
    };
    const namespaceLabels = () =>
      this.#cluster.store.get('/namespaces', '', request.namespace)?.object.metadata.labels ?? {};
    return webhookMatches(hook, attributes, request.namespace ? namespaceLabels() : undefined);
  }

  /** One call; undefined when a failure was ignored. Throws the denial, or the failure under failurePolicy Fail. */
  async #call(
    hook: Webhook,
    request: AdmissionRequest,
    mutating: boolean,
  ): Promise<ReviewResult | undefined> {
    if (request.dryRun && hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun')
      throw errors.badRequest(`admission webhook ${JSON.stringify(hook.name)} does not support dry run`);
    const uid = randomUUID();
    const started = performance.now();
    // Which call this was, as both the call log and the fail-open record name it.
    const call = {
      webhook: hook.name,
      operation: request.operation,
      resource: request.info.group ? `${request.info.resource}.${request.info.group}` : request.info.resource,
      namespace: request.namespace,
    };
    const record = (outcome: WebhookCallOutcome) =>
      this.calls.add({
        ...call,
        name: request.name || generatedName(request.object),
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        outcome,
      });
    let result: ReviewResult;
    try {
      const target = this.#target(hook);
      const review = admissionReview({
        uid,
        kind: request.kind,
        resource: {
          group: request.info.group,
          version: request.info.version,
          resource: request.info.resource,
        },
        subResource: request.subresource,
        name: request.name,
        namespace: request.namespace,
        operation: request.operation,
        user: request.user,
        object: request.object,
        oldObject: request.oldObject,
        dryRun: request.dryRun,
        options: request.options,
      });
      let answer: unknown;
      try {
        answer = await callWebhook(target, review);
      } catch (err) {
        if (err instanceof CallError) throw new WebhookCallFailure(`failed to call webhook: ${err.message}`);
        throw err;
      }
      try {
        result = verifyResponse(uid, mutating, answer);
      } catch (err) {
        if (err instanceof InvalidResponseError)
          throw new WebhookCallFailure(`received invalid webhook response: ${err.message}`);
        throw err;
      }
    } catch (err) {
      if (!(err instanceof WebhookCallFailure)) {
        record('failed');
        throw asApiError(err);
      }
      record(hook.failurePolicy === 'Ignore' ? 'failed-ignored' : 'failed');
      if (hook.failurePolicy === 'Ignore') {
        this.failOpen.record({
          ...call,
          name: request.name,
          object: request.object,
          user: request.user.username,
          reason: err.message,
        });
        return undefined;
      }
      throw errors.internal(`failed calling webhook ${JSON.stringify(hook.name)}: ${err.message}`);
    }
    record(!result.allowed ? 'denied' : result.patch !== undefined ? 'patched' : 'allowed');
    if (!result.allowed) {
      const status = denialStatus(hook.name, result.status);
      throw new ApiError(status.code, status.reason ?? '', status.message ?? '', status.details);
    }
    return result;
  }

  /**
   * Where to post: the URL, or the Service resolved through its Endpoints (or EndpointSlices) to a ready address
   * and port. kube-apiserver dials the Service's ClusterIP instead; the devcluster has no service network.
   */
  #target(hook: Webhook): WebhookTarget {
    const config = hook.clientConfig ?? {};
    const caBundle = config.caBundle ? Buffer.from(config.caBundle, 'base64').toString('utf8') : '';
    const timeoutSeconds = hook.timeoutSeconds ?? 10;
    if (config.url) return { url: new URL(config.url), caBundle, timeoutSeconds };
    const service = config.service ?? {};
    const namespace = service.namespace ?? '';
    const name = service.name ?? '';
    const address = resolveService(this.#cluster, namespace, name, service.port ?? 443);
    const host = address.ip.includes(':') ? `[${address.ip}]` : address.ip;
    return {
      url: new URL(`https://${host}:${address.port}${service.path ?? ''}`),
      serverName: `${name}.${namespace}.svc`,
      caBundle,
      timeoutSeconds,
    };
  }
}

function generatedName(object: KubeObject | undefined): string {
  const generateName = object?.metadata.generateName;
  return typeof generateName === 'string' && generateName !== '' ? `${generateName}*` : '';
}

function applyPatch(object: KubeObject, patch: unknown): KubeObject {
  let patched: unknown;
  try {
    patched = applyJsonPatch(object, patch);
  } catch (err) {
    throw errors.internal(err instanceof ApiError ? err.message : String((err as Error).message ?? err));
  }
  if (!isJsonObject(patched) || !isJsonObject(patched.metadata))
    throw errors.internal('the patched object is not a Kubernetes object');
  return patched as KubeObject;
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof BadPatchError) return errors.internal(err.message);
  return errors.internal(err instanceof Error ? err.message : String(err));
}

type Obj = Record<string, unknown>;
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);

/**
 * The Service's port → its target, then a ready endpoint address: from the Endpoints of the same name, or else
 * from the EndpointSlices labelled kubernetes.io/service-name. Throws a WebhookCallFailure when nothing serves it.
 */
export function resolveService(
  cluster: Cluster,
  namespace: string,
  name: string,
  port: number,
): { ip: string; port: number } {
  const where = `service "${name}" in namespace "${namespace}"`;
  const service = cluster.store.get('/services', namespace, name)?.object;
  if (!service) throw new WebhookCallFailure(`${where} not found`);
  const servicePorts = objects((service.spec as Obj | undefined)?.ports);
  const servicePort = servicePorts.find((p) => p.port === port);
  if (!servicePort) throw new WebhookCallFailure(`${where} has no port ${port}`);
  const portName = typeof servicePort.name === 'string' ? servicePort.name : '';
  const endpoints = cluster.store.get('/endpoints', namespace, name)?.object;
  for (const subset of objects(endpoints?.subsets)) {
    const ports = objects(subset.ports);
    const match =
      ports.find((p) => (p.name ?? '') === portName) ?? (ports.length === 1 ? ports[0] : undefined);
    const address = objects(subset.addresses)[0];
    if (match && typeof match.port === 'number' && address && typeof address.ip === 'string')
      return { ip: address.ip, port: match.port };
  }
  for (const stored of cluster.store.objects('discovery.k8s.io/endpointslices', namespace)) {
    const slice = stored.object;
    if (slice.metadata.labels?.['kubernetes.io/service-name'] !== name) continue;
    const ports = objects(slice.ports);
    const match =
      ports.find((p) => (p.name ?? '') === portName) ?? (ports.length === 1 ? ports[0] : undefined);
    const endpoint = objects(slice.endpoints).find(
      (e) => (e.conditions as Obj | undefined)?.ready !== false && Array.isArray(e.addresses),
    );
    const ip = endpoint ? (endpoint.addresses as unknown[])[0] : undefined;
    if (match && typeof match.port === 'number' && typeof ip === 'string') return { ip, port: match.port };
  }
  throw new WebhookCallFailure(`${where} has no ready endpoint for port ${port}`);
}
