/**
 * Server-side apply (`application/apply-patch+yaml`) with a field-ownership model kept in `metadata.managedFields`
 * (fieldsType FieldsV1), after sigs.k8s.io/structured-merge-diff as kube-apiserver uses it.
 *
 * What it does:
 * - the applied configuration's field set is computed at leaf granularity: `f:<field>` for struct and map members,
 *   `k:{"<mergeKey>":<value>}` for elements of associative lists (with `.` for the element itself), `v:<value>` for
 *   set lists (finalizers), whole atomic lists as one leaf;
 * - a field in that set which another manager owns (Apply or Update entry) and whose applied value differs from the
 *   live value is a conflict: 409 Conflict `Apply failed with 1 conflict: conflict with "kubectl" using v1:
 *   .spec.replicas`, with causes `{reason: "FieldManagerConflict", message: 'conflict with "kubectl" using v1',
 *   field: ".spec.replicas"}`; with `force` the applier takes those fields from the other managers instead;
 * - the applied configuration is merged into the live object (maps recursively, associative lists by key, set lists
 *   as a union, atomic lists replaced); fields this manager applied before, no longer applies and nobody else owns
 *   are removed;
 * - the manager's Apply entry is replaced by the new field set; entries left empty are dropped.
 * `recordUpdate` gives non-apply writes (create/update/patch) their `Update` entries, so that conflicts with
 * `kubectl-client-side-apply`, `kubectl-edit` and controllers arise as on a real cluster.
 *
 * Simplifications (docs/devcluster.md must list them):
 * - associative lists use the strategic-merge keys of built-in kinds (single keys: containers by name, ports by
 *   containerPort, service ports by port ...), not the OpenAPI x-kubernetes-list-map-keys (upstream keys ports by
 *   containerPort+protocol); lists of custom resources are atomic;
 * - list order on merge: live elements keep their order, new elements are appended;
 * - `null` in an applied configuration deletes the field;
 * - the identity and system fields (apiVersion, kind, metadata.name/namespace/uid/resourceVersion/generation/
 *   creationTimestamp/deletionTimestamp/managedFields) are never owned; the caller must strip `status` for kinds
 *   whose status is a subresource, as kube-apiserver resets it;
 * - no version conversion: an entry's apiVersion is recorded, never translated; ownership of parents emptied by
 *   a removal is not tracked (the empty parent map stays).
 */
import { ApiError } from '../api/errors.ts';
import { SERVER_SET_METADATA } from '../../kube/object-meta.ts';
import type { KubeObject, StatusCause } from '../api/types.ts';
import { getOwn, isJsonObject, jsonEqual, setOwn } from '../util/json.ts';
import type { JsonObject } from '../util/json.ts';
import { patchSchemaFor } from './strategic-merge.ts';
import type { PatchNode } from './strategic-merge.ts';

export interface ApplyOptions {
  manager: string;
  force: boolean;
  /** The clock for the entry's `time`; defaults to now. */
  now?: Date;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** A path element as FieldsV1 spells it: `f:name`, `k:{"name":"c"}`, `v:"x"`; `.` marks an element itself. */
type Path = readonly string[];
const SEP = '\u0000';
const encode = (path: Path) => path.join(SEP);
const decode = (key: string): Path => (key === '' ? [] : key.split(SEP));

/** Metadata no manager owns: the object's identity and what the API server sets. */
const SYSTEM_META: readonly string[] = ['name', 'namespace', ...SERVER_SET_METADATA];

function groupKindOf(object: KubeObject): { group: string; kind: string } {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  return {
    group: apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '',
    kind: String(object.kind ?? ''),
  };
}

/** Schema of a built-in kind; custom resources (group with a dot other than the built-in ones) get atomic lists. */
function schemaOf(object: KubeObject): PatchNode {
  return patchSchemaFor(groupKindOf(object));
}

const child = (node: PatchNode | undefined, key: string) => node?.fields?.[key];
const keyElement = (mergeKey: string, value: unknown) => `k:${JSON.stringify({ [mergeKey]: value })}`;

// ---------------------------------------------------------------------------------------------------------------
// Field sets

/** The leaf paths of a configuration. */
export function fieldSetOf(object: unknown, schema: PatchNode | undefined): Set<string> {
  const out = new Set<string>();
  const walk = (value: unknown, path: Path, node: PatchNode | undefined, top: boolean) => {
    if (isJsonObject(value)) {
      const keys = Object.keys(value).filter((k) => !(top && (k === 'apiVersion' || k === 'kind')));
      if (keys.length === 0 && !top) out.add(encode(path));
      for (const key of keys) {
        if (top && key === 'metadata' && isJsonObject(value.metadata)) {
          const meta = value.metadata;
          for (const metaKey of Object.keys(meta).filter((k) => !SYSTEM_META.includes(k))) {
            walk(
              meta[metaKey],
              ['f:metadata', `f:${metaKey}`],
              child(child(node, 'metadata'), metaKey),
              false,
            );
          }
          continue;
        }
        walk(value[key], [...path, `f:${key}`], child(node, key), false);
      }
    } else if (Array.isArray(value) && node?.mergeKey) {
      for (const item of value) {
        const key = isJsonObject(item) ? getOwn(item, node.mergeKey) : undefined;
        if (key === undefined) {
          out.add(encode(path));
          return;
        }
        const element = [...path, keyElement(node.mergeKey, key)];
        out.add(encode([...element, '.']));
        walk(item, element, node.items, false);
      }
    } else if (Array.isArray(value) && node?.set) {
      for (const item of value) out.add(encode([...path, `v:${JSON.stringify(item)}`]));
    } else {
      out.add(encode(path));
    }
  };
  walk(object, [], schema, true);
  return out;
}

/** FieldsV1 from a set of paths. */
export function toFieldsV1(set: Set<string>): JsonObject {
  const rootNode: JsonObject = {};
  for (const encoded of [...set].sort()) {
    let node = rootNode;
    for (const element of decode(encoded)) {
      const next = getOwn(node, element);
      if (!isJsonObject(next)) setOwn(node, element, {});
      node = getOwn(node, element) as JsonObject;
    }
  }
  return rootNode;
}

/** A set of paths from FieldsV1: every leaf, and every `.` marker. */
export function fromFieldsV1(fields: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, path: Path) => {
    if (!isJsonObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) out.add(encode(path));
    for (const key of keys) walk(node[key], [...path, key]);
  };
  walk(fields, []);
  return out;
}

/** `.spec.containers[name="c"].image` as structured-merge-diff prints a path. */
export function pathString(encoded: string): string {
  return decode(encoded)
    .filter((e) => e !== '.')
    .map((element) => {
      if (element.startsWith('f:')) return `.${element.slice(2)}`;
      if (element.startsWith('v:')) return `[=${element.slice(2)}]`;
      if (element.startsWith('k:')) {
        const key = JSON.parse(element.slice(2)) as JsonObject;
        return `[${Object.entries(key)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      return `[${element}]`;
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Values at paths

const ABSENT = Symbol('absent');

function valueAt(object: unknown, encoded: string): unknown {
  let node: unknown = object;
  for (const element of decode(encoded)) {
    if (element === '.') return node;
    if (element.startsWith('f:')) {
      if (!isJsonObject(node) || !Object.hasOwn(node, element.slice(2))) return ABSENT;
      node = node[element.slice(2)];
    } else if (element.startsWith('k:')) {
      const [[k, v]] = Object.entries(JSON.parse(element.slice(2)) as JsonObject) as [[string, unknown]];
      node = Array.isArray(node)
        ? node.find((item) => isJsonObject(item) && jsonEqual(getOwn(item, k), v))
        : undefined;
      if (node === undefined) return ABSENT;
    } else if (element.startsWith('v:')) {
      const v: unknown = JSON.parse(element.slice(2));
      return Array.isArray(node) && node.some((item) => jsonEqual(item, v)) ? v : ABSENT;
    } else {
      return ABSENT;
    }
  }
  return node;
}

function removeAt(object: JsonObject, encoded: string): void {
  const path = decode(encoded).filter((e) => e !== '.');
  const last = path[path.length - 1];
  if (last === undefined) return;
  const parent = valueAt(object, encode(path.slice(0, -1)));
  if (last.startsWith('f:')) {
    if (isJsonObject(parent)) delete parent[last.slice(2)];
  } else if (last.startsWith('k:') && Array.isArray(parent)) {
    const [[k, v]] = Object.entries(JSON.parse(last.slice(2)) as JsonObject) as [[string, unknown]];
    const index = parent.findIndex((item) => isJsonObject(item) && jsonEqual(getOwn(item, k), v));
    if (index >= 0) parent.splice(index, 1);
  } else if (last.startsWith('v:') && Array.isArray(parent)) {
    const v: unknown = JSON.parse(last.slice(2));
    const index = parent.findIndex((item) => jsonEqual(item, v));
    if (index >= 0) parent.splice(index, 1);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Merging an applied configuration

function mergeApplied(live: unknown, applied: unknown, node: PatchNode | undefined): unknown {
  if (isJsonObject(applied)) {
    const out: JsonObject = isJsonObject(live) ? structuredClone(live) : {};
    for (const [key, value] of Object.entries(applied)) {
      if (value === null) delete out[key];
      else setOwn(out, key, mergeApplied(getOwn(out, key), value, child(node, key)));
    }
    return out;
  }
  if (Array.isArray(applied) && node?.mergeKey && Array.isArray(live)) {
    const mergeKey = node.mergeKey;
    if (!applied.every((item) => isJsonObject(item) && getOwn(item, mergeKey) !== undefined))
      return structuredClone(applied);
    const out = structuredClone(live);
    for (const item of applied as JsonObject[]) {
      const index = out.findIndex(
        (x) => isJsonObject(x) && jsonEqual(getOwn(x, mergeKey), getOwn(item, mergeKey)),
      );
      if (index >= 0) out[index] = mergeApplied(out[index], item, node.items);
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (Array.isArray(applied) && node?.set && Array.isArray(live)) {
    const out = structuredClone(live);
    for (const item of applied) if (!out.some((x) => jsonEqual(x, item))) out.push(structuredClone(item));
    return out;
  }
  return structuredClone(applied);
}

// ---------------------------------------------------------------------------------------------------------------

function entriesOf(object: KubeObject | undefined): ManagedFieldsEntry[] {
  const raw = object?.metadata.managedFields;
  return Array.isArray(raw)
    ? raw
        .filter((e): e is ManagedFieldsEntry => isJsonObject(e) && typeof e.manager === 'string')
        // Shallow: every caller replaces an entry's fieldsV1 with a new one and reads the old one only.
        .map((e) => ({ ...e }))
    : [];
}

/** The identity structured-merge-diff gives a manager in conflict messages. */
function describeManager(entry: ManagedFieldsEntry): string {
  const name =
    JSON.stringify(entry.manager) +
    (entry.subresource ? ` with subresource ${JSON.stringify(entry.subresource)}` : '');
  if (entry.operation !== 'Update') return name;
  return entry.time
    ? `${name} using ${entry.apiVersion} at ${entry.time}`
    : `${name} using ${entry.apiVersion}`;
}

const timestamp = (now: Date) => `${now.toISOString().slice(0, 19)}Z`;

function conflictError(conflicts: Array<{ entry: ManagedFieldsEntry; path: string }>): ApiError {
  const causes: StatusCause[] = conflicts.map(({ entry, path }) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(entry)}`,
    field: pathString(path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    const [only] = conflicts as [{ entry: ManagedFieldsEntry; path: string }];
    message = `Apply failed with 1 conflict: conflict with ${describeManager(only.entry)}: ${pathString(only.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const { entry, path } of conflicts) {
      const key = describeManager(entry);
      byManager.set(key, [...(byManager.get(key) ?? []), pathString(path)]);
    }
    const lines = [...byManager.keys()]
      .sort()
      .flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? []).map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

function withManagedFields(object: KubeObject, entries: ManagedFieldsEntry[]): KubeObject {
  const kept = entries.filter((e) => Object.keys(e.fieldsV1).length > 0);
  const metadata = { ...object.metadata };
  if (kept.length > 0) metadata.managedFields = kept;
  else delete metadata.managedFields;
  return { ...object, metadata };
}

export function applyServerSideApply(
  existing: KubeObject | undefined,
  applied: KubeObject,
  opts: ApplyOptions,
): KubeObject {
  const now = timestamp(opts.now ?? new Date());
  const schema = schemaOf(applied);
  const appliedConfig = structuredClone(applied);
  delete appliedConfig.metadata.managedFields;
  const appliedSet = fieldSetOf(appliedConfig, schema);
  const entry = (set: Set<string>): ManagedFieldsEntry => ({
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: applied.apiVersion,
    time: now,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(set),
  });

  if (!existing) return withManagedFields(appliedConfig, [entry(appliedSet)]);

  const entries = entriesOf(existing);
  const mine = (e: ManagedFieldsEntry) =>
    e.manager === opts.manager && e.operation === 'Apply' && !e.subresource;
  const previous = entries.find(mine);
  const previousSet = previous ? fromFieldsV1(previous.fieldsV1) : new Set<string>();
  const others = entries.filter((e) => !mine(e)).map((e) => ({ entry: e, set: fromFieldsV1(e.fieldsV1) }));

  const conflicts: Array<{ entry: ManagedFieldsEntry; path: string }> = [];
  for (const path of appliedSet) {
    if (path.endsWith(`${SEP}.`)) continue;
    const wanted = valueAt(appliedConfig, path);
    const live = valueAt(existing, path);
    if (live !== ABSENT && jsonEqual(wanted, live)) continue;
    for (const other of others) if (other.set.has(path)) conflicts.push({ entry: other.entry, path });
  }
  conflicts.sort((a, b) =>
    pathString(a.path) < pathString(b.path) ? -1 : pathString(a.path) > pathString(b.path) ? 1 : 0,
  );
  if (conflicts.length > 0 && !opts.force) throw conflictError(conflicts);
  for (const { path } of conflicts) for (const other of others) other.set.delete(path);

  const { managedFields: _ignored, ...appliedMeta } = appliedConfig.metadata;
  const merged = mergeApplied(existing, { ...appliedConfig, metadata: appliedMeta }, schema) as KubeObject;
  const stillOwned = (path: string) => {
    const base = path.endsWith(`${SEP}.`) ? path.slice(0, -2) : path;
    const covers = (set: Set<string>) =>
      set.has(path) || [...set].some((p) => p === base || p.startsWith(base + SEP));
    return covers(appliedSet) || others.some((o) => covers(o.set));
  };
  for (const path of previousSet) if (!stillOwned(path)) removeAt(merged as unknown as JsonObject, path);
  const otherEntries = others.map(({ entry: e, set }) => ({ ...e, fieldsV1: toFieldsV1(set) }));
  return withManagedFields(merged, [...otherEntries, entry(appliedSet)]);
}

/**
 * Ownership for a non-apply write: the fields that `manager` added or changed become its (in its `Update` entry for
 * this apiVersion) and leave the other managers; fields that disappeared leave every manager. A create records the
 * whole object. Returns the new object with its managedFields.
 */
export function recordUpdate(
  oldObject: KubeObject | undefined,
  newObject: KubeObject,
  manager: string,
  opts: { now?: Date; subresource?: string } = {},
): KubeObject {
  const schema = schemaOf(newObject);
  // A shallow copy: the result shares newObject's fields (every caller passes an object of its own, and stored
  // objects are never mutated); only metadata, whose managedFields are replaced, is copied.
  const { managedFields: _previous, ...metadata } = newObject.metadata;
  const after: KubeObject = { ...newObject, metadata };
  const newSet = fieldSetOf(after, schema);
  // Read only: field sets never include metadata.managedFields, so the old object needs no stripped copy.
  const oldSet = oldObject ? fieldSetOf(oldObject, schema) : new Set<string>();
  const changed = new Set(
    [...newSet].filter((p) => !oldSet.has(p) || !jsonEqual(valueAt(oldObject, p), valueAt(after, p))),
  );
  const entries = entriesOf(oldObject ?? newObject).map((e) => {
    const set = fromFieldsV1(e.fieldsV1);
    for (const p of set) if (changed.has(p) || !newSet.has(p)) set.delete(p);
    return { ...e, fieldsV1: toFieldsV1(set) };
  });
  const isMine = (e: ManagedFieldsEntry) =>
    e.manager === manager &&
    e.operation === 'Update' &&
    e.apiVersion === newObject.apiVersion &&
    (e.subresource ?? '') === (opts.subresource ?? '');
  const mineIndex = entries.findIndex(isMine);
  const mineSet = mineIndex >= 0 ? fromFieldsV1(entries[mineIndex]?.fieldsV1) : new Set<string>();
  for (const p of changed) mineSet.add(p);
  const mine: ManagedFieldsEntry = {
    manager,
    operation: 'Update',
    apiVersion: newObject.apiVersion,
    time: timestamp(opts.now ?? new Date()),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(mineSet),
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  };
  if (changed.size > 0) {
    if (mineIndex >= 0) entries.splice(mineIndex, 1, mine);
    else entries.push(mine);
  }
  return withManagedFields(after, entries);
}
