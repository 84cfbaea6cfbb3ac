/**
 * What the admission webhooks do with one AdmissionRequest, from the request and the cached Restores alone (no API
 * call): pure, so the same request and caches always give the same answer, and applying the answer's patch to the
 * object and asking again gives no further patch (reinvocationPolicy: IfNeeded is safe).
 *
 *   workloads  mark the pod template of a workload Velero creates for an active Restore whose hooks apply to it
 *              (label RESTORE_LABEL = the object's velero.io/restore-name value; nothing else, so nothing rolls),
 *              and the template of a ControllerRevision Velero restores with a StatefulSet or DaemonSet alike;
 *   pods       add the hook init containers, as the engine plans them, to a marked pod that a workload controller
 *              creates while its Restore is active, with the applied-hooks record the reconcilers read.
 *
 * Membership nobody can forge through admission: only Velero's identities make a workload restored. A workload
 * labelled `velero.io/restore-name` by anyone else (at CREATE, or by an UPDATE that sets the label) loses any mark
 * in its template and gets UNTRUSTED_CREATOR_ANNOTATION, kept on every later UPDATE; and a marked pod gets hooks only
 * when its controller is a cached restored workload of that Restore, marked, member (membership.ts) and not
 * annotated, so a mark copied into anyone's template brings nothing: the pod loses it.
 */
import { APPLIED_INIT_HOOKS_ANNOTATION, formatAppliedInitHooks } from '../../hooks/applied-record.ts';
import { addedHookContainers, planHooks } from '../../hooks/plan.ts';
import type { HookPlan } from '../../hooks/plan.ts';
import type { HookPolicy } from '../../hooks/policy.ts';
import { hasErrors } from '../../hooks/problems.ts';
import type { Problem } from '../../hooks/problems.ts';
import type { PodSpec } from '../../hooks/restore-types.ts';
import type { ObjectMeta } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { ADMISSION_RESULTS, ADMISSION_WEBHOOKS } from '../../telemetry/metrics.ts';
import { initHooksState } from '../init-hooks/template-hooks.ts';
import { RESTORE_LABEL, UNTRUSTED_CREATOR_ANNOTATION } from '../marks.ts';
import { restoreMembership } from '../membership.ts';
import { cachedControllingWorkload } from '../pod-owner.ts';
import type { CachedWorkloadLookup } from '../pod-owner.ts';
import { restoreActivity } from '../restore-activity.ts';
import { restoreKey } from '../restore-key.ts';
import type { RestoreLookup, RestoreObject } from '../restore-directory.ts';
import { WORKLOAD_KINDS } from '../workload-kinds.ts';
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

/** What the decisions read, all from the informer caches. */
export interface AdmissionCaches {
  /** The Restore behind a `velero.io/restore-name` label value. */
  readonly restoreOf: (labelValue: string) => RestoreLookup;
  /** A restored workload (one labelled `velero.io/restore-name`) by kind, namespace and name. */
  readonly workloadOf: CachedWorkloadLookup;
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
    | 'UntrustedCreator'
    | 'LabelUnchanged'
    | 'OwnerNotRestored'
    | 'OwnerNotMember'
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
  /**
   * OwnerNotRestored only: the pod names a controller that no cache holds yet. Its workload may have been created an
   * instant ago: the caller may wait for the caches and decide again (never by asking the API server).
   */
  readonly ownerUncached?: boolean;
}

/**
 * Where each kind the workload webhook sees keeps its pod template. A ControllerRevision restored with its
 * StatefulSet or DaemonSet holds the template as it was at backup time: marked like its owner's, it still equals the
 * marked template, so the owner recognises it as its current revision and keeps the pods Velero restored at it,
 * instead of rolling them out to a new revision that differs only by the mark. A revision's data is immutable: it is
 * marked at CREATE or never, and its UPDATEs (a controller renumbering it) are left alone.
 */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(WORKLOAD_KINDS.map((kind) => [kind, ['spec', 'template']])),
  ControllerRevision: ['data', 'spec', 'template'],
};

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

const metadataOf = (object: unknown): Record<string, unknown> =>
  isRecord(object) && isRecord(object.metadata) ? object.metadata : {};

function templateAt(object: unknown, path: readonly string[]): Record<string, unknown> | undefined {
  let at = object;
  for (const key of path) at = isRecord(at) ? at[key] : undefined;
  return isRecord(at) ? at : undefined;
}

const markPointer = (path: readonly string[]) =>
  `/${path.join('/')}/metadata/labels/${pointerToken(RESTORE_LABEL)}`;

/**
 * A workload labelled as restored by someone other than Velero: its template loses any mark and the object keeps
 * (or gets) UNTRUSTED_CREATOR_ANNOTATION, whose first value stays. `bypass` when that took a patch.
 */
function distrust(
  object: Record<string, unknown>,
  templatePath: readonly string[],
  creator: string,
  reason: 'UntrustedUser' | 'UntrustedCreator',
): AdmissionDecision {
  const metadata = metadataOf(object);
  const patch: JsonPatchOperation[] = [];
  if (stringMap(metadata.annotations)[UNTRUSTED_CREATOR_ANNOTATION] === undefined)
    patch.push(
      setMapEntry('/metadata/annotations', metadata.annotations, UNTRUSTED_CREATOR_ANNOTATION, creator),
    );
  const templateLabels = metadataOf(templateAt(object, templatePath)).labels;
  if (isRecord(templateLabels) && templateLabels[RESTORE_LABEL] !== undefined)
    patch.push({ op: 'remove', path: markPointer(templatePath) });
  return { result: patch.length > 0 ? 'bypass' : 'untouched', reason, patch };
}

/**
 * UPDATE of a workload the webhook sees (labelled `velero.io/restore-name` before or after): the untrusted creator's
 * annotation stays whoever updates, and an identity other than Velero's that sets the label is distrusted as at
 * CREATE. Anything else is left as it is: whoever may update a restored workload may change its template.
 */
function decideWorkloadUpdate(
  request: AdmissionRequest,
  templatePath: readonly string[],
  settings: AdmissionSettings,
): AdmissionDecision {
  const metadata = metadataOf(request.object);
  const oldMetadata = metadataOf(request.oldObject);
  const creator =
    stringMap(oldMetadata.annotations)[UNTRUSTED_CREATOR_ANNOTATION] ??
    stringMap(metadata.annotations)[UNTRUSTED_CREATOR_ANNOTATION];
  if (creator !== undefined) return distrust(request.object, templatePath, creator, 'UntrustedCreator');
  const labelValue = stringMap(metadata.labels)[RESTORE_NAME_LABEL];
  const labelSet =
    labelValue !== undefined && labelValue !== stringMap(oldMetadata.labels)[RESTORE_NAME_LABEL];
  if (labelSet && !settings.veleroIdentities.includes(request.userInfo.username))
    return distrust(request.object, templatePath, request.userInfo.username, 'UntrustedUser');
  return untouched('LabelUnchanged');
}

type RestoreOf = AdmissionCaches['restoreOf'];

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

/**
 * CREATE of an apps/v1 workload (or of a ControllerRevision restored with one): mark its pod template when Velero
 * restores it and hooks apply to its pods. UPDATE of a workload: see decideWorkloadUpdate.
 */
export function decideWorkloadAdmission(
  request: AdmissionRequest,
  caches: AdmissionCaches,
  settings: AdmissionSettings,
  nowMs: number,
): AdmissionDecision {
  const templatePath = TEMPLATE_PATHS[request.kind.kind];
  if (!templatePath) return untouched('NotAWorkload');
  if (request.operation === 'UPDATE' && request.kind.kind !== 'ControllerRevision')
    return decideWorkloadUpdate(request, templatePath, settings);
  if (request.operation !== 'CREATE') return untouched('NotCreate');
  const object = request.object;
  const metadata = metadataOf(object);
  const labelValue = stringMap(metadata.labels)[RESTORE_NAME_LABEL];
  if (labelValue === undefined) return untouched('NotRestored');
  if (!settings.veleroIdentities.includes(request.userInfo.username))
    return distrust(object, templatePath, request.userInfo.username, 'UntrustedUser');
  const template = templateAt(object, templatePath);
  if (!template) return untouched('NotAWorkload');
  const templatePointer = `/${templatePath.join('/')}`;
  const templateField = templatePath.join('.');
  const templateMeta = isRecord(template.metadata) ? template.metadata : undefined;
  const templateLabels = stringMap(templateMeta?.labels);
  const active = activeRestore(labelValue, caches.restoreOf, settings, nowMs);
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
      specPath: `${templateField}.spec`,
      metadataPath: `${templateField}.metadata`,
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
    ? setMapEntry(`${templatePointer}/metadata/labels`, templateMeta.labels, RESTORE_LABEL, labelValue)
    : { op: 'add', path: `${templatePointer}/metadata`, value: { labels: { [RESTORE_LABEL]: labelValue } } };
  return { result: 'patched', reason: 'Marked', patch: [patch], restore };
}

/**
 * CREATE of a v1 pod: inject the hook init containers into a marked pod of an active Restore, created by a workload
 * controller for a workload of that Restore.
 */
export function decidePodAdmission(
  request: AdmissionRequest,
  caches: AdmissionCaches,
  settings: AdmissionSettings,
  nowMs: number,
): AdmissionDecision {
  if (request.operation !== 'CREATE') return untouched('NotCreate');
  const pod = request.object;
  const metadata = isRecord(pod.metadata) ? pod.metadata : {};
  const labels = stringMap(metadata.labels);
  const labelValue = labels[RESTORE_LABEL];
  if (labelValue === undefined) return untouched('NotMarked');
  // A refused mark is removed, so that no reconciler takes the pod for one of the Restore's (exec hooks, counts). The
  // controller's own replacement of a bare pod that Velero restored keeps it: it carries Velero's label too.
  const unmark: JsonPatchOperation = {
    op: 'remove',
    path: `/metadata/labels/${pointerToken(RESTORE_LABEL)}`,
  };
  if (!settings.workloadControllerIdentities.includes(request.userInfo.username))
    return {
      result: 'bypass',
      reason: 'UntrustedUser',
      patch: labels[RESTORE_NAME_LABEL] === undefined ? [unmark] : [],
    };
  const active = activeRestore(labelValue, caches.restoreOf, settings, nowMs);
  if ('decision' in active) return active.decision;
  const { restore, hooks } = active.found;
  const namespace = request.namespace || (typeof metadata.namespace === 'string' ? metadata.namespace : '');
  const owner = cachedControllingWorkload(metadata, namespace, caches.workloadOf);
  if (!('workload' in owner))
    return {
      result: 'bypass',
      reason: 'OwnerNotRestored',
      patch: [unmark],
      restore,
      ...(owner.uncached ? { ownerUncached: true } : {}),
    };
  const workload = owner.workload;
  if (
    workload.metadata.labels?.[RESTORE_NAME_LABEL] !== labelValue ||
    workload.spec.template.metadata?.labels?.[RESTORE_LABEL] !== labelValue ||
    workload.metadata.annotations?.[UNTRUSTED_CREATOR_ANNOTATION] !== undefined ||
    restoreMembership(workload.metadata as ObjectMeta, restore, hooks) !== 'Member'
  )
    return { result: 'bypass', reason: 'OwnerNotMember', patch: [unmark], restore };
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const annotations = stringMap(metadata.annotations);
  const plan = planHooks(
    hooks,
    {
      namespace,
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
  const inserted = addedHookContainers(plan);
  const record = formatAppliedInitHooks({
    restore: restoreKey(restore),
    restoreUID: restore.metadata.uid ?? '',
    containers: inserted,
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
    hooks: inserted.map((h) => h.name),
  };
}
