import type { KubeObject } from '../api/types.ts';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export const ALL_VERBS: readonly Verb[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** A served version of a resource: what discovery, openapi and the router need to know. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  /** Plural, lower case. */
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly Verb[];
  /** The status subresource: writes to the main resource keep status, /status writes keep everything else. */
  readonly statusSubresource: boolean;
  /** Other subresources served by a handler (e.g. pods/exec, pods/binding). */
  readonly extraSubresources: readonly string[];
  /** metadata.generation is set on create and bumped on spec changes. */
  readonly hasGeneration: boolean;
  /** DELETE answers with the object rather than a Success Status. */
  readonly returnDeletedObject: boolean;
  /** Field selector labels beyond metadata.name and metadata.namespace, with how to read them. */
  readonly selectableFields: Readonly<Record<string, (object: KubeObject) => string | undefined>>;
  /** Set for custom resources: the openAPIV3Schema and additionalPrinterColumns of this version, if any. */
  readonly custom?: { readonly schema: unknown; readonly printerColumns?: unknown };
}

/** `group/resource`: the storage identity, shared by every version of a resource. */
export function storageKey(r: { group: string; resource: string }): string {
  return `${r.group}/${r.resource}`;
}

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** The field labels a resource supports and their values for one object. */
export function objectFields(info: ResourceInfo, object: KubeObject): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': object.metadata.name ?? '' };
  if (info.namespaced) fields['metadata.namespace'] = object.metadata.namespace ?? '';
  for (const [label, read] of Object.entries(info.selectableFields)) fields[label] = read(object) ?? '';
  return fields;
}

export function fieldLabels(info: ResourceInfo): Set<string> {
  return new Set(['metadata.name', 'metadata.namespace', ...Object.keys(info.selectableFields)]);
}
