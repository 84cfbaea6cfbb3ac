/**
 * What Velero's restore does to a backup's objects, as a pure function: filter by namespaces and resources, map
 * namespaces, reset metadata and status, apply the pod restore action, add the restore labels, and sort into
 * Velero's restore order.
 */
import type { KubeObject } from '../api/types.ts';
import { includedBy } from './glob.ts';
import { BACKUP_NAME_LABEL, RESTORE_NAME_LABEL, veleroLabelValue } from './labels.ts';
import { NON_RESTORABLE, resourceTypeOf, restoreRank } from './resources.ts';
import type { ResourceType } from './resources.ts';

export interface RestoreSpecLike {
  backupName?: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  namespaceMapping?: Record<string, string>;
  includeClusterResources?: boolean | null;
}

export interface PlannedObject {
  readonly type: ResourceType;
  readonly object: KubeObject;
}

export interface SkippedObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly reason: string;
}

export interface RestorePlan {
  readonly objects: PlannedObject[];
  readonly skipped: SkippedObject[];
}

function resourceIncluded(type: ResourceType, spec: RestoreSpecLike): boolean {
  const names = [type.resource, type.qualified];
  const matches = (list: string[]) => list.some((r) => r === '*' || names.includes(r));
  if (spec.excludedResources && matches(spec.excludedResources)) return false;
  return !spec.includedResources?.length || matches(spec.includedResources);
}

/** Velero keeps only name, namespace, labels and annotations of the backed-up metadata, and drops status. */
function resetObject(object: KubeObject): KubeObject {
  const { metadata, status: _status, ...rest } = object;
  return {
    ...rest,
    metadata: {
      name: metadata.name,
      ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}),
      ...(metadata.labels ? { labels: { ...metadata.labels } } : {}),
      ...(metadata.annotations ? { annotations: { ...metadata.annotations } } : {}),
    },
  } as KubeObject;
}

interface PodSpecLike {
  nodeName?: string;
  volumes?: { name: string }[];
  containers?: { volumeMounts?: { name: string }[] }[];
  initContainers?: { volumeMounts?: { name: string }[] }[];
}

/** Velero's pod restore action: unschedule the pod and drop the projected service-account token volume. */
function podRestoreAction(pod: KubeObject): void {
  const spec = pod.spec as PodSpecLike | undefined;
  if (!spec) return;
  delete spec.nodeName;
  const token = (name: string) => name.startsWith('kube-api-access-');
  if (spec.volumes) spec.volumes = spec.volumes.filter((v) => !token(v.name));
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (c.volumeMounts) c.volumeMounts = c.volumeMounts.filter((m) => !token(m.name));
  }
}

export function planRestore(
  backup: readonly KubeObject[],
  restoreName: string,
  spec: RestoreSpecLike,
): RestorePlan {
  const objects: PlannedObject[] = [];
  const skipped: SkippedObject[] = [];
  const mapping = spec.namespaceMapping ?? {};
  const allNamespaces = !spec.includedNamespaces?.length || spec.includedNamespaces.includes('*');
  const clusterResources = spec.includeClusterResources ?? allNamespaces;
  for (const original of backup) {
    const type = resourceTypeOf(original.apiVersion, original.kind);
    const name = original.metadata.name ?? '';
    const namespace = original.metadata.namespace;
    const skip = (reason: string) =>
      skipped.push({ kind: original.kind, name, ...(namespace !== undefined ? { namespace } : {}), reason });
    if (NON_RESTORABLE.has(type.qualified)) {
      skip(`${type.qualified} are never restored`);
      continue;
    }
    if (!resourceIncluded(type, spec)) {
      skip('excluded by the restore resource filters');
      continue;
    }
    const filterNamespace = type.qualified === 'namespaces' ? name : type.namespaced ? namespace : undefined;
    if (filterNamespace !== undefined) {
      if (!includedBy(filterNamespace, spec.includedNamespaces, spec.excludedNamespaces)) {
        skip('excluded by the restore namespace filters');
        continue;
      }
    } else if (!clusterResources) {
      skip('cluster-scoped resources are not included');
      continue;
    }
    const object = structuredClone(resetObject(original));
    if (type.qualified === 'namespaces') object.metadata.name = mapping[name] ?? name;
    else if (type.namespaced && namespace !== undefined)
      object.metadata.namespace = mapping[namespace] ?? namespace;
    if (type.qualified === 'pods') podRestoreAction(object);
    object.metadata.labels = {
      ...object.metadata.labels,
      [BACKUP_NAME_LABEL]: veleroLabelValue(spec.backupName ?? ''),
      [RESTORE_NAME_LABEL]: veleroLabelValue(restoreName),
    };
    objects.push({ type, object });
  }
  objects.sort((a, b) => {
    const [ba, ka] = restoreRank(a.type.qualified);
    const [bb, kb] = restoreRank(b.type.qualified);
    if (ba !== bb) return ba - bb;
    if (ka !== kb) return ka < kb ? -1 : 1;
    const na = `${a.object.metadata.namespace ?? ''}/${a.object.metadata.name ?? ''}`;
    const nb = `${b.object.metadata.namespace ?? ''}/${b.object.metadata.name ?? ''}`;
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
  return { objects, skipped };
}
