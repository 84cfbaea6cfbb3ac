/**
 * Where the pod spec lives in the kinds of object hooks concern: pods, and the workloads whose pod templates the
 * controller may patch. Jobs and CronJobs are recognised so they can be reported: their templates are immutable.
 */
import type { HookTarget } from './plan.ts';
import type { PodSpec } from './restore-types.ts';
import { isRecord } from '../kube/json.ts';

export const HOOK_TARGET_KINDS = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
] as const;
export type HookTargetKind = (typeof HOOK_TARGET_KINDS)[number];

export interface ObjectTarget {
  readonly kind: HookTargetKind;
  readonly name: string;
  /** The object's own namespace (before namespace mapping). */
  readonly namespace: string;
  /** True for Jobs and CronJobs: the template cannot be patched, so their pods cannot get init hooks that way. */
  readonly templateImmutable: boolean;
  readonly target: HookTarget;
}

export type ObjectTargetResult =
  { ok: true; value: ObjectTarget } | { ok: false; field: string; message: string };

const TEMPLATE_PATH: Record<Exclude<HookTargetKind, 'Pod'>, readonly string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

const stringMap = (v: unknown): Record<string, string> | undefined =>
  isRecord(v)
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : undefined;

/**
 * The hook target of a pod or workload object. `namespace` is the namespace the object is (or will be) in,
 * after namespace mapping; the caller maps it. Never throws.
 */
export function objectTarget(obj: unknown, namespace: string): ObjectTargetResult {
  if (!isRecord(obj)) return { ok: false, field: '', message: 'not an object' };
  const kind = obj.kind;
  if (typeof kind !== 'string' || !(HOOK_TARGET_KINDS as readonly string[]).includes(kind))
    return {
      ok: false,
      field: 'kind',
      message: `unsupported kind ${JSON.stringify(kind)}: expected one of ${HOOK_TARGET_KINDS.join(', ')}`,
    };
  const k = kind as HookTargetKind;
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const objectNamespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  let holder: unknown = obj;
  const path = k === 'Pod' ? [] : TEMPLATE_PATH[k];
  for (const step of path) holder = isRecord(holder) ? holder[step] : undefined;
  const prefix = path.join('.');
  if (!isRecord(holder)) return { ok: false, field: prefix, message: 'Required value: a pod template' };
  const podMeta = isRecord(holder.metadata) ? holder.metadata : {};
  if (!isRecord(holder.spec))
    return { ok: false, field: prefix ? `${prefix}.spec` : 'spec', message: 'Required value: a pod spec' };
  return {
    ok: true,
    value: {
      kind: k,
      name,
      namespace: objectNamespace,
      templateImmutable: k === 'Job' || k === 'CronJob',
      target: {
        namespace,
        labels: stringMap(podMeta.labels),
        annotations: stringMap(podMeta.annotations),
        podSpec: holder.spec as PodSpec,
        specPath: prefix ? `${prefix}.spec` : 'spec',
        metadataPath: prefix ? `${prefix}.metadata` : 'metadata',
      },
    },
  };
}
