/** Small helpers the simulated controllers share: GVRs, owner references, label selectors, hashes. */
import type { GroupVersionResource, KubeObject, OwnerReference } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import { applyDefaults } from '../builtin/defaults.ts';

const gvr = (group: string, version: string, resource: string): GroupVersionResource => ({
  group,
  version,
  resource,
});
export const GVR = {
  pods: gvr('', 'v1', 'pods'),
  nodes: gvr('', 'v1', 'nodes'),
  namespaces: gvr('', 'v1', 'namespaces'),
  events: gvr('', 'v1', 'events'),
  replicasets: gvr('apps', 'v1', 'replicasets'),
  deployments: gvr('apps', 'v1', 'deployments'),
  statefulsets: gvr('apps', 'v1', 'statefulsets'),
  daemonsets: gvr('apps', 'v1', 'daemonsets'),
  controllerrevisions: gvr('apps', 'v1', 'controllerrevisions'),
  jobs: gvr('batch', 'v1', 'jobs'),
  cronjobs: gvr('batch', 'v1', 'cronjobs'),
  restores: gvr('velero.io', 'v1', 'restores'),
} as const;

export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Index function: the uid of the object's controller. */
export const byControllerUID = (object: KubeObject): string[] => {
  const ref = controllerOf(object);
  return ref ? [ref.uid] : [];
};
export const byNamespace = (object: KubeObject): string[] => [object.metadata.namespace ?? ''];

interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** metav1.LabelSelector as a predicate. An empty selector matches everything; undefined matches nothing. */
export function labelSelectorMatcher(
  selector: unknown,
): (labels: Record<string, string> | undefined) => boolean {
  if (!selector || typeof selector !== 'object') return () => false;
  const s = selector as LabelSelectorSpec;
  return (labels = {}) =>
    Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    (s.matchExpressions ?? []).every((e) => {
      const has = Object.hasOwn(labels, e.key);
      switch (e.operator) {
        case 'In':
          return has && (e.values ?? []).includes(labels[e.key]!);
        case 'NotIn':
          return !has || !(e.values ?? []).includes(labels[e.key]!);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    });
}

/** JSON with sorted keys, so equal objects hash equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a (32-bit) of the value's stable JSON, encoded with Kubernetes' SafeEncodeString alphabet. */
export function templateHash(value: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = stableJson(value) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((d) => SAFE_ALPHABET[d.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

export function isPodActive(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

export function isPodReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function isNotFound(e: unknown): boolean {
  return (e as { code?: number }).code === 404;
}
export function isConflictOrExists(e: unknown): boolean {
  return (e as { code?: number }).code === 409;
}

/**
 * A pod template (a ControllerRevision's, without `$patch`) as the API server would store it in a `kind` of the
 * apps group, as stable JSON: revisions written elsewhere (a restored backup) compare equal to the live template.
 */
export function normalizedTemplate(kind: 'StatefulSet' | 'DaemonSet', template: unknown): string {
  const { $patch: _patch, ...rest } = (template ?? {}) as Record<string, unknown>;
  const object = { apiVersion: 'apps/v1', kind, metadata: {}, spec: { template: rest } };
  return stableJson((applyDefaults({ group: 'apps', kind }, object).spec as { template: unknown }).template);
}

/** A JSON merge patch of `object`, by its namespace and name: the patched object, or undefined when it is gone. */
export async function mergePatch(
  api: AdmittedClient,
  gvr: GroupVersionResource,
  object: KubeObject,
  patch: Record<string, unknown>,
): Promise<KubeObject | undefined> {
  try {
    return await api.patch(
      gvr,
      object.metadata.namespace,
      object.metadata.name!,
      'application/merge-patch+json',
      patch,
    );
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Writes `status` through the status subresource onto the latest stored object (the cached one may be behind);
 * an object deleted meanwhile is no error. Callers decide first whether the status changed.
 */
export async function writeStatus(
  api: AdmittedClient,
  gvr: GroupVersionResource,
  object: KubeObject,
  status: unknown,
): Promise<void> {
  try {
    const latest = api.get(gvr, object.metadata.namespace, object.metadata.name!);
    await api.update(
      gvr,
      object.metadata.namespace,
      object.metadata.name!,
      { ...latest, status },
      { subresource: 'status' },
    );
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/**
 * kube-controller-manager's slowStartBatch: runs `count` creates in batches of 1, 2, 4, ... at once, stopping after
 * the first batch with a failure (thrown). Creates that go through slow admission webhooks then overlap, as on a
 * real cluster; without webhooks each create completes synchronously.
 */
export async function slowStartBatch(count: number, create: (i: number) => Promise<unknown>): Promise<void> {
  let done = 0;
  for (let batch = Math.min(count, 1); done < count; batch = Math.min(2 * batch, count - done)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, i) => create(done + i)));
    done += batch;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
