import { applyDefaults } from '../builtin/defaults.ts';
import { validateDNS1123Subdomain } from '../builtin/names.ts';
import { validateCrd } from '../crd/crd-resources.ts';
import { pruneAndValidate, validateCreate, validateUpdate } from './pending-pure-modules.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { errors } from './errors.ts';
import type { KubeObject, StatusCause } from './types.ts';

/** Groups whose object names are path segments rather than DNS subdomains (e.g. `system:controller:x`). */
const PATH_SEGMENT_NAME_GROUPS = new Set(['rbac.authorization.k8s.io']);

function nameCauses(info: ResourceInfo, name: string): StatusCause[] {
  if (PATH_SEGMENT_NAME_GROUPS.has(info.group)) {
    const bad =
      name === '.' || name === '..'
        ? `may not be '${name}'`
        : /[/%]/.test(name)
          ? `may not contain '/' or '%'`
          : undefined;
    return bad
      ? [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${JSON.stringify(name)}: ${bad}`,
            field: 'metadata.name',
          },
        ]
      : [];
  }
  return validateDNS1123Subdomain(name).map((m: string) => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(name)}: ${m}`,
    field: 'metadata.name',
  }));
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
function admitCustom(info: ResourceInfo, object: KubeObject): KubeObject {
  if (info.custom?.schema === undefined) return object;
  const { object: pruned, causes } = pruneAndValidate(info.custom.schema, object);
  if (causes.length > 0) fail(info, object, causes);
  const result = pruned as KubeObject;
  return { ...result, apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata };
}

/** Defaulting and validation of a new object, as the real server's decoding, strategy and admission do it. */
export function admitCreate(info: ResourceInfo, object: KubeObject): KubeObject {
  const causes = nameCauses(info, object.metadata.name ?? '');
  if (info.custom) {
    if (causes.length > 0) fail(info, object, causes);
    return admitCustom(info, object);
  }
  const defaulted = applyDefaults(info, object, { operation: 'create' });
  causes.push(...validateCreate(info, defaulted));
  if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions')
    causes.push(...validateCrd(defaulted));
  if (causes.length > 0) fail(info, defaulted, causes);
  return defaulted;
}

/** Defaulting and validation of an update; `next` already carries the server-owned metadata of `old`. */
export function admitUpdate(info: ResourceInfo, old: KubeObject, next: KubeObject): KubeObject {
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
    return admitCustom(info, next);
  }
  const defaulted = applyDefaults(info, next, { operation: 'update' });
  causes.push(...validateUpdate(info, old, defaulted));
  if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions')
    causes.push(...validateCrd(defaulted));
  if (causes.length > 0) fail(info, defaulted, causes);
  return defaulted;
}
