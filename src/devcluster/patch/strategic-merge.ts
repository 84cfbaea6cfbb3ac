/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds, following
 * k8s.io/apimachinery/pkg/util/strategicpatch: maps merge recursively, `null` deletes, lists whose Go field carries
 * `patchStrategy:"merge"` merge by their `patchMergeKey` (or as a set for primitive lists such as finalizers), all
 * other lists are replaced whole. Directives: `$patch: replace|merge|delete` (on maps and as list elements),
 * `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and `$retainKeys`.
 *
 * The merge keys come from a table of the patch strategies of the Go types (PATCH_SCHEMAS below), placed at every
 * path where the types occur for each kind (pod specs at `spec`, `template.spec`, `spec.template.spec`,
 * `spec.jobTemplate.spec.template.spec`).
 *
 * Divergences: with `$setElementOrder`, elements that are only on the server keep their original relative position
 * after the ordered ones that preceded them (upstream interleaves them by index, which gives the same result in the
 * common cases); `$retainKeys` is applied without checking that the patch only sets retained keys (upstream answers
 * 422); an element of a merging list that lacks its merge key is a 500 InternalError as upstream, with the map
 * rendered as JSON instead of Go's map syntax.
 */
import { errors } from '../api/errors.ts';
import type { ApiError } from '../api/errors.ts';
import { getOwn, isJsonObject, jsonEqual, setOwn } from '../util/json.ts';
import type { JsonObject } from '../util/json.ts';

export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** The patch strategy of a field and of what it contains. */
export interface PatchNode {
  readonly fields?: Readonly<Record<string, PatchNode>>;
  /** A list merged by this key (patchStrategy merge + patchMergeKey). */
  readonly mergeKey?: string;
  /** A list of primitives merged as a set (patchStrategy merge without a key). */
  readonly set?: boolean;
  /** Schema of the list's elements. */
  readonly items?: PatchNode;
}

const byKey = (mergeKey: string, items?: PatchNode): PatchNode => ({ mergeKey, ...(items ? { items } : {}) });
const SET: PatchNode = { set: true };
const CONDITIONS: PatchNode = { fields: { conditions: byKey('type') } };

const OBJECT_META: PatchNode = { fields: { finalizers: SET, ownerReferences: byKey('uid') } };
const CONTAINER: PatchNode = {
  fields: {
    ports: byKey('containerPort'),
    env: byKey('name'),
    volumeMounts: byKey('mountPath'),
    volumeDevices: byKey('devicePath'),
  },
};
const POD_SPEC: PatchNode = {
  fields: {
    containers: byKey('name', CONTAINER),
    initContainers: byKey('name', CONTAINER),
    ephemeralContainers: byKey('name', CONTAINER),
    volumes: byKey('name'),
    imagePullSecrets: byKey('name'),
    schedulingGates: byKey('name'),
    hostAliases: byKey('ip'),
    resourceClaims: byKey('name'),
    topologySpreadConstraints: byKey('topologyKey'),
  },
};
const POD_STATUS: PatchNode = {
  fields: { conditions: byKey('type'), podIPs: byKey('ip'), hostIPs: byKey('ip') },
};
const POD_TEMPLATE: PatchNode = { fields: { metadata: OBJECT_META, spec: POD_SPEC } };
const WORKLOAD = (spec: PatchNode): PatchNode => ({
  fields: { metadata: OBJECT_META, spec, status: CONDITIONS },
});
const TEMPLATED_SPEC: PatchNode = { fields: { template: POD_TEMPLATE } };

const PATCH_SCHEMAS: Readonly<Record<string, PatchNode>> = {
  '/Pod': { fields: { metadata: OBJECT_META, spec: POD_SPEC, status: POD_STATUS } },
  '/PodTemplate': { fields: { metadata: OBJECT_META, template: POD_TEMPLATE } },
  '/ReplicationController': WORKLOAD(TEMPLATED_SPEC),
  '/Service': {
    fields: { metadata: OBJECT_META, spec: { fields: { ports: byKey('port') } }, status: CONDITIONS },
  },
  '/Node': {
    fields: {
      metadata: OBJECT_META,
      spec: { fields: { podCIDRs: SET } },
      status: { fields: { conditions: byKey('type'), addresses: byKey('type') } },
    },
  },
  '/Namespace': { fields: { metadata: OBJECT_META, status: CONDITIONS } },
  '/PersistentVolumeClaim': { fields: { metadata: OBJECT_META, status: CONDITIONS } },
  '/ServiceAccount': { fields: { metadata: OBJECT_META, secrets: byKey('name') } },
  'apps/Deployment': WORKLOAD(TEMPLATED_SPEC),
  'apps/ReplicaSet': WORKLOAD(TEMPLATED_SPEC),
  'apps/StatefulSet': WORKLOAD(TEMPLATED_SPEC),
  'apps/DaemonSet': WORKLOAD(TEMPLATED_SPEC),
  'batch/Job': WORKLOAD(TEMPLATED_SPEC),
  'batch/CronJob': {
    fields: {
      metadata: OBJECT_META,
      spec: { fields: { jobTemplate: { fields: { spec: TEMPLATED_SPEC } } } },
    },
  },
};

/** Kinds without list merge keys of their own (ConfigMap, Secret, Event, Lease, RBAC ...) still have ObjectMeta's. */
const DEFAULT_SCHEMA: PatchNode = { fields: { metadata: OBJECT_META } };

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

const child = (node: PatchNode | undefined, key: string): PatchNode | undefined => node?.fields?.[key];

/** Go's `map[k:v ...]` rendering is approximated with JSON. */
function missingMergeKey(item: unknown, key: string): ApiError {
  return errors.internal(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
}

/** The patch strategies of a built-in kind (also used by server-side apply for its associative lists). */
export function patchSchemaFor(kind: GroupKind): PatchNode {
  return PATCH_SCHEMAS[`${kind.group}/${kind.kind}`] ?? DEFAULT_SCHEMA;
}

export function applyStrategicMergePatch(target: unknown, patch: unknown, kind: GroupKind): unknown {
  if (!isJsonObject(patch)) throw errors.badRequest('invalid JSON document');
  const schema = patchSchemaFor(kind);
  const result = mergeMap(isJsonObject(target) ? target : {}, patch, schema);
  return result === DELETED ? {} : result;
}

const DELETED = Symbol('deleted');

function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  schema: PatchNode | undefined,
): JsonObject | typeof DELETED {
  const directive = getOwn(patch, PATCH);
  if (directive !== undefined) {
    if (directive === 'delete') return DELETED;
    if (directive === 'replace') return stripDirectives(patch, schema) as JsonObject;
    if (directive !== 'merge')
      throw errors.badRequest(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }
  const out: JsonObject = structuredClone(original);
  for (const [key, value] of Object.entries(patch)) {
    if (
      key === PATCH ||
      key === RETAIN_KEYS ||
      key.startsWith(SET_ELEMENT_ORDER) ||
      key.startsWith(DELETE_FROM_PRIMITIVE_LIST)
    ) {
      continue;
    }
    const node = child(schema, key);
    const current = getOwn(out, key);
    if (value === null) {
      delete out[key];
    } else if (isJsonObject(value)) {
      const merged = mergeMap(isJsonObject(current) ? current : {}, value, node);
      if (merged === DELETED) delete out[key];
      else setOwn(out, key, merged);
    } else if (Array.isArray(value)) {
      setOwn(out, key, mergeList(Array.isArray(current) ? current : [], value, node));
    } else {
      setOwn(out, key, value);
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const listKey = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      if (!Array.isArray(value)) throw errors.badRequest('invalid patch format for primitive list');
      const current = getOwn(out, listKey);
      if (Array.isArray(current))
        setOwn(
          out,
          listKey,
          current.filter((x) => !value.some((v) => jsonEqual(v, x))),
        );
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(SET_ELEMENT_ORDER)) {
      const listKey = key.slice(SET_ELEMENT_ORDER.length);
      if (!Array.isArray(value)) throw errors.badRequest('invalid patch format for $setElementOrder list');
      const current = getOwn(out, listKey);
      if (Array.isArray(current)) {
        setOwn(out, listKey, orderList(current, value, child(schema, listKey), getOwn(original, listKey)));
      }
    }
  }
  const retain = getOwn(patch, RETAIN_KEYS);
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw errors.badRequest('invalid patch format for retainKeys');
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  }
  return out;
}

function keyOf(item: unknown, mergeKey: string): unknown {
  return isJsonObject(item) ? getOwn(item, mergeKey) : undefined;
}

function mergeList(original: unknown[], patch: unknown[], node: PatchNode | undefined): unknown[] {
  const replaceAll = patch.some(
    (item) => isJsonObject(item) && getOwn(item, PATCH) === 'replace' && Object.keys(item).length === 1,
  );
  const mergeKey = node?.mergeKey;
  if (replaceAll) {
    return patch
      .filter(
        (item) =>
          !(isJsonObject(item) && getOwn(item, PATCH) === 'replace' && Object.keys(item).length === 1),
      )
      .map((item) => stripDirectives(item, node?.items));
  }
  if (node?.set) {
    const out = structuredClone(original);
    for (const item of patch) if (!out.some((x) => jsonEqual(x, item))) out.push(structuredClone(item));
    return out;
  }
  if (!mergeKey) return patch.map((item) => stripDirectives(item, node?.items));

  const out = structuredClone(original);
  for (const item of patch) {
    if (!isJsonObject(item)) {
      // A list of primitives under a merge key cannot be merged; upstream rejects it too.
      throw errors.badRequest(
        `unable to find api field in struct for the list item: ${JSON.stringify(item)}`,
      );
    }
    const key = getOwn(item, mergeKey);
    if (key === undefined) throw missingMergeKey(item, mergeKey);
    const index = out.findIndex((x) => jsonEqual(keyOf(x, mergeKey), key));
    if (getOwn(item, PATCH) === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(isJsonObject(out[index]) ? (out[index] as JsonObject) : {}, item, node?.items);
      if (merged === DELETED) out.splice(index, 1);
      else out[index] = merged;
    } else {
      const added = mergeMap({}, item, node?.items);
      if (added !== DELETED) out.push(added);
    }
  }
  return out;
}

/** The patch value as it lands where nothing was before: directives applied against an empty original. */
function stripDirectives(value: unknown, node: PatchNode | undefined): unknown {
  if (isJsonObject(value)) {
    const { [PATCH]: _directive, ...rest } = value;
    const merged = mergeMap({}, rest, node);
    return merged === DELETED ? {} : merged;
  }
  if (Array.isArray(value)) return mergeList([], value, node);
  return value;
}

/**
 * Applies `$setElementOrder/<list>`: the listed elements first, in that order; elements known only to the server
 * follow the element they followed in the original list.
 */
function orderList(
  merged: unknown[],
  order: unknown[],
  node: PatchNode | undefined,
  original: unknown,
): unknown[] {
  const mergeKey = node?.mergeKey;
  const identity = (item: unknown) => (mergeKey ? keyOf(item, mergeKey) : item);
  const wanted = order.map(identity);
  const inOrder = (item: unknown) => wanted.some((w) => jsonEqual(w, identity(item)));
  const ordered: unknown[] = [];
  for (const w of wanted) {
    const found = merged.find((item) => jsonEqual(identity(item), w));
    if (found !== undefined) ordered.push(found);
  }
  const originalList = Array.isArray(original) ? original : [];
  for (const item of merged) {
    if (inOrder(item)) continue;
    const position = originalList.findIndex((o) => jsonEqual(identity(o), identity(item)));
    const predecessor =
      position > 0
        ? originalList
            .slice(0, position)
            .reverse()
            .find((o) => ordered.some((x) => jsonEqual(identity(x), identity(o))))
        : undefined;
    const at =
      predecessor === undefined
        ? position === 0
          ? 0
          : ordered.length
        : ordered.findIndex((x) => jsonEqual(identity(x), identity(predecessor))) + 1;
    ordered.splice(at, 0, item);
  }
  return ordered;
}
