import {
  addServiceAccountTokenVolume,
  applyDefaults,
  applyJobSelectorDefaults,
} from '../builtin/defaults.ts';
import { validateDNS1123Subdomain } from '../../kube/name-rules.ts';
import { validateCrd } from '../crd/crd-resources.ts';
import { validateCreate, validateUpdate } from '../builtin/validation.ts';
import { pruneAndValidate } from '../crd/structural.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { errors } from './errors.ts';
import type { KubeObject, StatusCause } from './types.ts';

/** Custom resource names are DNS subdomains (built-in kinds get their rules from builtin/validation.ts). */
function customNameCauses(name: string): StatusCause[] {
  return validateDNS1123Subdomain(name).map((m: string) => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(name)}: ${m}`,
    field: 'metadata.name',
  }));
}

/**
 * Scope is the registry's to enforce (the request path decides the namespace); builtin/validation.ts treats kinds
 * missing from its table (PersistentVolume, CustomResourceDefinition) as namespaced, so its metadata.namespace
 * causes are dropped for cluster-scoped resources.
 */
function scoped(info: ResourceInfo, causes: StatusCause[]): StatusCause[] {
  return info.namespaced ? causes : causes.filter((c) => c.field !== 'metadata.namespace');
}

function dedupe(causes: StatusCause[]): StatusCause[] {
  const seen = new Set<string>();
  return causes.filter((c) => {
    const key = `${c.field}\u0000${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fail(info: ResourceInfo, object: KubeObject, causes: StatusCause[]): never {
  throw errors.invalid(info.kind, object.metadata.name ?? '', dedupe(causes), info.custom ? info.group : '');
}

/** Prunes a custom resource by its version's structural schema (with defaults) and validates it. */
/** What create-time admission needs from outside the object (the server looks it up or generates it). */
export interface CreateContext {
  /** 5 random characters for the pod's `kube-api-access-<suffix>` token volume. */
  readonly tokenVolumeSuffix?: string;
  /** The pod's ServiceAccount's automountServiceAccountToken, when it exists and sets it. */
  readonly serviceAccountAutomount?: boolean;
}

/** Paths present in `original` but pruned away, as kube-apiserver's strict decoding names them. */
export function unknownFields(original: unknown, pruned: unknown, path = ''): string[] {
  if (Array.isArray(original) && Array.isArray(pruned))
    return original.flatMap((item, i) => unknownFields(item, pruned[i], `${path}[${i}]`));
  if (typeof original !== 'object' || original === null || typeof pruned !== 'object' || pruned === null)
    return [];
  const kept = pruned as Record<string, unknown>;
  return Object.entries(original as Record<string, unknown>).flatMap(([key, value]) => {
    const child = path ? `${path}.${key}` : key;
    return Object.hasOwn(kept, key) ? unknownFields(value, kept[key], child) : [child];
  });
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

function admitCustom(info: ResourceInfo, object: KubeObject, fieldValidation: FieldValidation): KubeObject {
  if (info.custom?.schema === undefined) return object;
  const { object: pruned, causes } = pruneAndValidate(info.custom.schema, object);
  if (causes.length > 0) fail(info, object, causes);
  if (fieldValidation === 'Strict') {
    const { metadata: _m, apiVersion: _a, kind: _k, ...body } = object;
    const unknown = unknownFields(body, pruned);
    if (unknown.length > 0)
      throw errors.badRequest(
        `strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`,
      );
  }
  const result = pruned as KubeObject;
  return { ...result, apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata };
}

/** v1 Secret's write-only stringData merges into data (base64), as the conversion to the internal type does. */
function decodeSecretStringData(info: ResourceInfo, object: KubeObject): KubeObject {
  if (
    info.group !== '' ||
    info.resource !== 'secrets' ||
    typeof object.stringData !== 'object' ||
    object.stringData === null
  )
    return object;
  const { stringData, ...rest } = object;
  const data: Record<string, unknown> = {
    ...(typeof rest.data === 'object' && rest.data !== null ? (rest.data as object) : {}),
  };
  for (const [k, v] of Object.entries(stringData as Record<string, unknown>))
    data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  return { ...rest, data };
}

/**
 * What a new built-in object looks like after decoding and the in-tree mutating admission, i.e. what mutating
 * webhooks are shown: defaults, Secret stringData merged, and a pod's ServiceAccount token volume (when the context
 * carries a suffix). Custom resources are returned as they are. `object` is the caller's own copy (the cluster
 * copies each request body once, as it decodes it): it is defaulted in place.
 */
export function mutateCreate(
  info: ResourceInfo,
  object: KubeObject,
  context: CreateContext = {},
): KubeObject {
  if (info.custom) return object;
  const defaulted = applyDefaults(info, decodeSecretStringData(info, object), {
    operation: 'create',
    inPlace: true,
  });
  return serviceAccountTokenMounts(info, defaulted, context);
}

/**
 * The ServiceAccount plugin's share of the in-tree admission: a pod's token volume, mounted into every container
 * that lacks it. kube-apiserver runs it again in its reinvocation round after a mutating webhook changed a new
 * object, so containers a webhook added get the mount too (1.20, measured on the real control plane); returns the
 * object itself when it does not apply.
 */
export function serviceAccountTokenMounts(
  info: ResourceInfo,
  object: KubeObject,
  context: CreateContext,
): KubeObject {
  if (info.group !== '' || info.resource !== 'pods' || context.tokenVolumeSuffix === undefined) return object;
  return addServiceAccountTokenVolume(object, context.tokenVolumeSuffix, {
    ...(context.serviceAccountAutomount !== undefined ? { automount: context.serviceAccountAutomount } : {}),
  });
}

/**
 * Defaulting and validation of a new object. With fieldValidation Strict, fields a custom resource's schema prunes
 * are a 400 instead (built-in kinds have no schemas here, so their unknown fields are kept).
 */
export function admitCreate(
  info: ResourceInfo,
  object: KubeObject,
  fieldValidation: FieldValidation = 'Ignore',
  context: CreateContext = {},
): KubeObject {
  if (info.custom) {
    const causes = customNameCauses(object.metadata.name ?? '');
    if (causes.length > 0) fail(info, object, causes);
    return admitCustom(info, object, fieldValidation);
  }
  let defaulted = mutateCreate(info, object, context);
  if (info.group === 'batch' && info.resource === 'jobs') defaulted = applyJobSelectorDefaults(defaulted);
  const causes = scoped(info, validateCreate(info, defaulted));
  if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions')
    causes.push(...validateCrd(defaulted));
  if (causes.length > 0) fail(info, defaulted, causes);
  return defaulted;
}

/**
 * Defaulting and validation of an update; `next` already carries the server-owned metadata of `old`, and is the
 * caller's own copy: it is defaulted in place.
 */
export function admitUpdate(
  info: ResourceInfo,
  old: KubeObject,
  next: KubeObject,
  fieldValidation: FieldValidation = 'Ignore',
): KubeObject {
  const causes: StatusCause[] = [];
  const oldFinalizers = new Set(old.metadata.finalizers ?? []);
  const added = (next.metadata.finalizers ?? []).filter((f) => !oldFinalizers.has(f));
  if (old.metadata.deletionTimestamp && added.length > 0)
    causes.push({
      reason: 'FieldValueForbidden',
      message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
      field: 'metadata.finalizers',
    });
  if (info.custom) {
    if (causes.length > 0) fail(info, next, causes);
    return admitCustom(info, next, fieldValidation);
  }
  const defaulted = applyDefaults(info, decodeSecretStringData(info, next), {
    operation: 'update',
    inPlace: true,
  });
  causes.push(...scoped(info, validateUpdate(info, old, defaulted)));
  if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions')
    causes.push(...validateCrd(defaulted));
  if (causes.length > 0) fail(info, defaulted, causes);
  return defaulted;
}
