/**
 * What the admission webhooks do with one AdmissionRequest, from the request and the cached Restores alone (no API
 * call): pure, so the same request and caches always give the same answer, and applying the answer's patch to the
 * object and asking again gives no further patch (reinvocationPolicy: IfNeeded is safe).
 *
 *   workloads  mark the pod template of a workload Velero creates for an active Restore whose hooks apply to it
 *              (label RESTORE_LABEL = the object's velero.io/restore-name value; nothing else, so nothing rolls);
 *   pods       add the hook init containers, as the engine plans them, to a marked pod that a workload controller
 *              creates while its Restore is active, with the applied-hooks record the reconcilers read.
 */
import { APPLIED_INIT_HOOKS_ANNOTATION, formatAppliedInitHooks } from '../../hooks/applied-record.ts';
import { planHooks } from '../../hooks/plan.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { hasErrors } from '../../hooks/problems.ts';
import type { Problem } from '../../hooks/problems.ts';
import type { PodSpec } from '../../hooks/restore-types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { ADMISSION_RESULTS, ADMISSION_WEBHOOKS } from '../../telemetry/metrics.ts';
import { initHooksState } from '../init-hooks/template-hooks.ts';
import { RESTORE_LABEL } from '../marks.ts';
import { restoreActivity } from '../restore-activity.ts';
import type { RestoreLookup, RestoreObject } from '../restore-directory.ts';
import { isWorkloadKind } from '../workload-kinds.ts';
import type { AdmissionRequest, JsonPatchOperation } from './admission-review.ts';
import { pointerToken, setMapEntry } from './admission-review.ts';

export type AdmissionResult = (typeof ADMISSION_RESULTS)[number];
export type WebhookName = (typeof ADMISSION_WEBHOOKS)[number];

export interface AdmissionSettings {
  readonly veleroIdentities: readonly string[];
  readonly workloadControllerIdentities: readonly string[];
  readonly policy: HookPolicy;
  readonly hookWindowMs: number;
}

export interface AdmissionDecision {
  readonly result: AdmissionResult;
  /** Why, in one word: the log message's `reason`. */
  readonly reason:
    | 'Marked'
    | 'HooksInjected'
    | 'NotCreate'
    | 'NotAWorkload'
    | 'NotRestored'
    | 'NotMarked'
    | 'AlreadyMarked'
    | 'UntrustedUser'
    | 'UnknownRestore'
    | 'AmbiguousRestore'
    | 'RestoreInactive'
    | 'NoHooks'
    | 'HooksInPlace'
    | 'InvalidHooks'
    | 'HookConflict';
  readonly patch: readonly JsonPatchOperation[];
  /** The Restore the object belongs to, once found. */
  readonly restore?: RestoreObject;
  /** The engine's problems behind an `error`. */
  readonly problems?: readonly Problem[];
  /** The names of the hook containers a `patched` pod gets. */
  readonly hooks?: readonly string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

const untouched = (reason: AdmissionDecision['reason'], restore?: RestoreObject): AdmissionDecision => ({
  result: 'untouched',
  reason,
  patch: [],
  ...(restore ? { restore } : {}),
});

type RestoreOf = (labelValue: string) => RestoreLookup;

/** The active Restore behind a label value, or the decision that ends the admission. */
function activeRestore(
  labelValue: string,
  restoreOf: RestoreOf,
  settings: AdmissionSettings,
  nowMs: number,
): { found: Extract<RestoreLookup, { found: true }> } | { decision: AdmissionDecision } {
  const lookup = restoreOf(labelValue);
  if (!lookup.found)
    return { decision: untouched(lookup.reason === 'Ambiguous' ? 'AmbiguousRestore' : 'UnknownRestore') };
  if (!restoreActivity(lookup.restore.status, nowMs, settings.hookWindowMs).active)
    return { decision: untouched('RestoreInactive', lookup.restore) };
  return { found: lookup };
}

function invalid(
  plan: HookPlan,
  restoreProblems: readonly Problem[],
): AdmissionDecision['reason'] | undefined {
  const state = initHooksState(plan, hasErrors(restoreProblems));
  if (state === 'invalid') return 'InvalidHooks';
  if (state === 'conflict') return 'HookConflict';
  return undefined;
}

/** CREATE of an apps/v1 workload: mark its pod template when Velero restores it and hooks apply to its pods. */
export function decideWorkloadAdmission(
  request: AdmissionRequest,
  restoreOf: RestoreOf,
  settings: AdmissionSettings,
  nowMs: number,
): AdmissionDecision {
  if (request.operation !== 'CREATE') return untouched('NotCreate');
  if (!isWorkloadKind(request.kind.kind)) return untouched('NotAWorkload');
  const object = request.object;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const labelValue = stringMap(metadata.labels)[RESTORE_NAME_LABEL];
  if (labelValue === undefined) return untouched('NotRestored');
  if (!settings.veleroIdentities.includes(request.userInfo.username))
    return { result: 'bypass', reason: 'UntrustedUser', patch: [] };
  const spec = isRecord(object.spec) ? object.spec : {};
  if (!isRecord(spec.template)) return untouched('NotAWorkload');
  const template = spec.template;
  const templateMeta = isRecord(template.metadata) ? template.metadata : undefined;
  const templateLabels = stringMap(templateMeta?.labels);
  const active = activeRestore(labelValue, restoreOf, settings, nowMs);
  if ('decision' in active) return active.decision;
  const { restore, hooks } = active.found;
  if (templateLabels[RESTORE_LABEL] === labelValue) return untouched('AlreadyMarked', restore);
  const plan = planHooks(
    hooks,
    {
      namespace: request.namespace || (typeof metadata.namespace === 'string' ? metadata.namespace : ''),
      labels: templateLabels,
      annotations: stringMap(templateMeta?.annotations),
      podSpec: (isRecord(template.spec) ? template.spec : {}) as PodSpec,
      specPath: 'spec.template.spec',
      metadataPath: 'spec.template.metadata',
    },
    { policy: settings.policy },
  );
  if (plan.initHooks.length === 0 && plan.execHooks.length === 0) return untouched('NoHooks', restore);
  // The reconciler reports what is wrong with these hooks (Events, metrics, conditions) on the unmarked workload.
  const problem = plan.initHooks.length > 0 ? invalid(plan, hooks.problems) : undefined;
  if (problem)
    return {
      result: 'error',
      reason: problem,
      patch: [],
      restore,
      problems: [...hooks.problems, ...plan.problems],
    };
  const patch: JsonPatchOperation = templateMeta
    ? setMapEntry('/spec/template/metadata/labels', templateMeta.labels, RESTORE_LABEL, labelValue)
    : { op: 'add', path: '/spec/template/metadata', value: { labels: { [RESTORE_LABEL]: labelValue } } };
  return { result: 'patched', reason: 'Marked', patch: [patch], restore };
}

/** CREATE of a v1 pod: inject the hook init containers into a marked pod of an active Restore. */
export function decidePodAdmission(
  request: AdmissionRequest,
  restoreOf: RestoreOf,
  settings: AdmissionSettings,
  nowMs: number,
): AdmissionDecision {
  if (request.operation !== 'CREATE') return untouched('NotCreate');
  const pod = request.object;
  const metadata = isRecord(pod.metadata) ? pod.metadata : {};
  const labels = stringMap(metadata.labels);
  const labelValue = labels[RESTORE_LABEL];
  if (labelValue === undefined) return untouched('NotMarked');
  if (!settings.workloadControllerIdentities.includes(request.userInfo.username))
    return { result: 'bypass', reason: 'UntrustedUser', patch: [] };
  const active = activeRestore(labelValue, restoreOf, settings, nowMs);
  if ('decision' in active) return active.decision;
  const { restore, hooks } = active.found;
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const annotations = stringMap(metadata.annotations);
  const plan = planHooks(
    hooks,
    {
      namespace: request.namespace || (typeof metadata.namespace === 'string' ? metadata.namespace : ''),
      labels,
      annotations,
      podSpec: spec as PodSpec,
    },
    { policy: settings.policy },
  );
  const state = initHooksState(plan, hasErrors(hooks.problems));
  if (state === 'none') return untouched('NoHooks', restore);
  if (state === 'present') return untouched('HooksInPlace', restore);
  if (state === 'invalid' || state === 'conflict')
    return {
      result: 'error',
      reason: state === 'invalid' ? 'InvalidHooks' : 'HookConflict',
      patch: [],
      restore,
      problems: [...hooks.problems, ...plan.problems],
    };
  const inserted = plan.initHooks.filter((h) => h.state === 'insert');
  const record = formatAppliedInitHooks({
    restore: `${restore.metadata.namespace ?? ''}/${restore.metadata.name ?? ''}`,
    restoreUID: restore.metadata.uid ?? '',
    containers: inserted.map((h) => ({ name: h.container.name, hash: h.contentHash })),
  });
  const patch: JsonPatchOperation[] = [
    {
      op: Array.isArray(spec.initContainers) ? 'replace' : 'add',
      path: '/spec/initContainers',
      value: plan.initContainers,
    },
    isRecord(metadata.annotations)
      ? {
          op: 'add',
          path: `/metadata/annotations/${pointerToken(APPLIED_INIT_HOOKS_ANNOTATION)}`,
          value: record,
        }
      : { op: 'add', path: '/metadata/annotations', value: { [APPLIED_INIT_HOOKS_ANNOTATION]: record } },
  ];
  return {
    result: 'patched',
    reason: 'HooksInjected',
    patch,
    restore,
    hooks: inserted.map((h) => h.container.name),
  };
}
