import type { KubeObject } from '../api/types.ts';

/**
 * An immutable stored object with its serialization computed once. `json` always starts with
 * `{"apiVersion":...,"kind":...,` so lists and other versions can reuse it without re-serializing.
 */
export interface StoredObject {
  readonly object: KubeObject;
  readonly json: string;
  readonly namespace: string;
  readonly name: string;
  readonly rv: number;
}

/** Copies `object` with apiVersion, kind and metadata first, the rest in their original order. */
export function normalize(object: KubeObject): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = object;
  return { apiVersion, kind, metadata, ...rest };
}

export function storeObject(object: KubeObject): StoredObject {
  const normalized = normalize(object);
  return {
    object: normalized,
    json: JSON.stringify(normalized),
    namespace: normalized.metadata.namespace ?? '',
    name: normalized.metadata.name ?? '',
    rv: Number(normalized.metadata.resourceVersion ?? 0),
  };
}

function typeMetaPrefix(stored: StoredObject): string {
  return `{"apiVersion":${JSON.stringify(stored.object.apiVersion)},"kind":${JSON.stringify(stored.object.kind)},`;
}

/** The object's JSON as served under `apiVersion` (custom resources served at several versions). */
export function jsonAs(stored: StoredObject, apiVersion: string): string {
  if (apiVersion === stored.object.apiVersion) return stored.json;
  return (
    `{"apiVersion":${JSON.stringify(apiVersion)},` +
    stored.json.slice(`{"apiVersion":${JSON.stringify(stored.object.apiVersion)},`.length)
  );
}

/** The object's JSON without apiVersion and kind, as items of built-in lists are served. */
export function jsonWithoutTypeMeta(stored: StoredObject): string {
  return '{' + stored.json.slice(typeMetaPrefix(stored).length);
}

/** A private copy for in-process callers, served under `apiVersion`. */
export function copyAs(stored: StoredObject, apiVersion: string): KubeObject {
  const copy = JSON.parse(stored.json) as KubeObject;
  copy.apiVersion = apiVersion;
  return copy;
}
