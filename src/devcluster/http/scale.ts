import type { Cluster } from '../api/cluster.ts';
import { errors } from '../api/errors.ts';
import { applyJsonPatch } from '../patch/json-patch.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import type { GroupVersionResource, KubeObject, PatchType, WriteOptions } from '../api/types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `app=web,tier in (a,b)` from a LabelSelector, as the Scale's status.selector carries it. */
function selectorString(selector: unknown): string {
  if (!isObj(selector)) return '';
  const parts = Object.entries(isObj(selector.matchLabels) ? selector.matchLabels : {}).map(
    ([k, v]) => `${k}=${String(v)}`,
  );
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isObj) : []) {
    const values = Array.isArray(e.values) ? e.values.join(',') : '';
    if (e.operator === 'In') parts.push(`${String(e.key)} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${String(e.key)} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${String(e.key)}`);
  }
  return parts.join(',');
}

/** The autoscaling/v1 Scale of a workload. */
export function scaleOf(object: KubeObject): KubeObject {
  const spec = isObj(object.spec) ? object.spec : {};
  const status = isObj(object.status) ? object.status : {};
  const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: selectorString(spec.selector),
    },
  };
}

function replicasOf(scale: unknown, name: string): number {
  const replicas = isObj(scale) && isObj(scale.spec) ? scale.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    throw errors.invalid(
      'Scale',
      name,
      [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          field: 'spec.replicas',
        },
      ],
      'autoscaling',
    );
  return replicas;
}

/**
 * The scale subresource of deployments, replicasets and statefulsets: reads the Scale, and writes (PUT or a
 * merge/JSON/strategic patch of the Scale) become a change of spec.replicas with the Scale's resourceVersion as
 * precondition.
 */
export function writeScale(
  cluster: Cluster,
  gvr: GroupVersionResource,
  namespace: string | undefined,
  name: string,
  change: { kind: 'update'; scale: unknown } | { kind: 'patch'; type: PatchType; body: unknown },
  options: WriteOptions,
): KubeObject {
  const current = scaleOf(cluster.get(gvr, namespace, name));
  let desired: unknown;
  if (change.kind === 'update') desired = change.scale;
  else if (change.type === 'application/json-patch+json') desired = applyJsonPatch(current, change.body);
  else if (
    change.type === 'application/merge-patch+json' ||
    change.type === 'application/strategic-merge-patch+json'
  )
    desired = applyMergePatch(current, change.body);
  else
    throw errors.unsupportedMediaType([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
  const replicas = replicasOf(desired, name);
  const rv = isObj(desired) && isObj(desired.metadata) ? desired.metadata.resourceVersion : undefined;
  const patch = {
    metadata: { ...(typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}) },
    spec: { replicas },
  };
  return scaleOf(cluster.patch(gvr, namespace, name, 'application/merge-patch+json', patch, options));
}
