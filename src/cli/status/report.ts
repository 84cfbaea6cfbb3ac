/**
 * `restore-hooks status`: the story of one Restore, from what the cluster shows. Pure: it reads the objects the
 * collector fetched (collect.ts) through the hook engine and the records the controller keeps on the objects
 * (the applied-init-hooks record, the exec-hook record), and never talks to the API server itself.
 */
import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../hooks/applied-record.ts';
import { DEFAULT_HOOK_POLICY } from '../../hooks/policy.ts';
import { ExecPlanMemo } from '../../hooks/exec-plan-memo.ts';
import { planHooks } from '../../hooks/plan.ts';
import type { HookTarget } from '../../hooks/plan.ts';
import { unknownRestoreFields } from '../../hooks/unknown-fields.ts';
import { parseRestoreHooks } from '../../hooks/validate.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { parseExecRecord } from '../../controller/exec-hooks/exec-record.ts';
import type { HookEntry } from '../../controller/exec-hooks/exec-record.ts';
import { CLEANED_UP_ANNOTATION, EXEC_HOOKS_ANNOTATION, RESTORE_LABEL } from '../../controller/marks.ts';
import { restoreKey } from '../../controller/restore-key.ts';
import { RESTORE_NAME_LABEL, veleroLabelValue } from '../../kube/velero-labels.ts';

/** What the collector read: the Restore, the objects it brought back, and the controller's Events. */
export interface StatusInputs {
  readonly restore: Record<string, unknown> & {
    metadata: { name?: string; namespace?: string };
    status?: Record<string, unknown>;
  };
  /** Restored Deployments, StatefulSets, DaemonSets and ReplicaSets (label velero.io/restore-name). */
  readonly workloads: readonly Workload[];
  /** ReplicaSets of restored Deployments (carrying restore-hooks.dev/restore, or found by the Deployment's selector). */
  readonly hookedReplicaSets: readonly Workload[];
  /** Pods carrying restore-hooks.dev/restore (hooked, replaced or claimed for exec hooks) or velero.io/restore-name. */
  readonly pods: readonly Pod[];
  /** Events restore-hooks reported (reportingComponent restore-hooks.dev/controller) in the namespaces involved. */
  readonly events: readonly StatusEvent[];
}

export interface StatusEvent {
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly count?: number;
  readonly lastTimestamp?: string;
  readonly involvedObject?: { kind?: string; namespace?: string; name?: string };
}

/**
 * How restore-hooks covered an object:
 *   admission    its template carries the restore label without hooks; pods get them when created;
 *   template     hook init containers were patched into its pod template;
 *   replacement  a bare pod deleted and recreated with its hooks;
 *   velero       a pod Velero restored with the hooks it injects itself (restore-hooks leaves it as it is);
 *   exec-only    a pod claimed for exec hooks only;
 *   none         not (yet) covered: see skipped and pending.
 */
export type Coverage = 'admission' | 'template' | 'replacement' | 'velero' | 'exec-only' | 'none';

export interface WorkloadReport {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly coverage: Coverage;
  /** The hook init containers its template has (or had, when cleaned up). */
  readonly initHooks: readonly string[];
  /** Removed from the template once the restore was over (templateCleanup: RemoveAfterRestore). */
  readonly cleanedUp: boolean;
  readonly pods: number;
}

export interface InitHookResult {
  readonly name: string;
  /** Succeeded, Failed, Running, Waiting or Pending (no status yet). */
  readonly result: string;
  readonly exitCode?: number;
  readonly reason?: string;
}

export interface ExecHookResult {
  readonly id: string;
  readonly container: string;
  readonly command?: readonly string[];
  /** The record's result (Succeeded, Failed, Retrying), or Pending when the record has none yet. */
  readonly result: string;
  readonly attempts: number;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly stdout?: string;
  readonly stderr?: string;
}

export interface PodReport {
  readonly namespace: string;
  readonly name: string;
  readonly phase: string;
  /** Kind/name of its controlling owner, or "" for a bare pod. */
  readonly owner: string;
  readonly coverage: Coverage;
  readonly initHooks: readonly InitHookResult[];
  readonly execHooks: readonly ExecHookResult[];
  /** A malformed exec-hook record: its problem. */
  readonly recordProblem?: string;
}

export interface SkippedItem {
  /** Kind/namespace/name, or the Restore. */
  readonly object: string;
  readonly reason: string;
  /** The field the problem is about, when known. */
  readonly field?: string;
  readonly message: string;
}

export interface StatusReport {
  readonly restore: {
    readonly namespace: string;
    readonly name: string;
    readonly phase: string;
    readonly hooksAttempted: number;
    readonly hooksFailed: number;
    readonly conditions: readonly { type: string; status: string; reason?: string; message?: string }[];
  };
  readonly summary: {
    readonly workloads: number;
    readonly pods: number;
    readonly initHooks: Readonly<Record<string, number>>;
    readonly execHooks: Readonly<Record<string, number>>;
  };
  readonly workloads: readonly WorkloadReport[];
  readonly pods: readonly PodReport[];
  readonly skipped: readonly SkippedItem[];
  readonly pending: readonly string[];
  /** Restore-wide Events (hooks applied, counts written), newest last. */
  readonly restoreEvents: readonly { type: string; reason: string; message: string; count: number }[];
}

const SKIP_REASONS = new Set([
  'HookSkipped',
  'InvalidHook',
  'HookConflict',
  'HookFailed',
  'HookCountsIncomplete',
]);
const PENDING_RESULTS = new Set(['Pending', 'Waiting', 'Running', 'Retrying']);

export function buildStatusReport(inputs: StatusInputs): StatusReport {
  const restore = inputs.restore;
  const namespace = restore.metadata.namespace ?? '';
  const name = restore.metadata.name ?? '';
  const status = (restore.status ?? {}) as {
    phase?: string;
    hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
  const hooks = parseRestoreHooks(restore, DEFAULT_HOOK_POLICY);
  const restoreRef = restoreKey(restore);

  const ownerOfReplicaSet = new Map<string, string>();
  for (const rs of [
    ...inputs.hookedReplicaSets,
    ...inputs.workloads.filter((w) => w.kind === 'ReplicaSet'),
  ]) {
    const owner = rs.metadata.ownerReferences?.find((o) => o.controller);
    if (owner)
      ownerOfReplicaSet.set(`${rs.metadata.namespace}/${rs.metadata.name}`, `${owner.kind}/${owner.name}`);
  }
  const workloadCoverage = new Map<string, Coverage>();
  const workloads = inputs.workloads.map((w): WorkloadReport => {
    const template = w.spec.template;
    const applied = parseAppliedInitHooks(template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION]);
    const cleanedUp = w.metadata.annotations?.[CLEANED_UP_ANNOTATION] === restoreRef;
    const labelled = template.metadata?.labels?.[RESTORE_LABEL] !== undefined;
    const coverage: Coverage = applied || cleanedUp ? 'template' : labelled ? 'admission' : 'none';
    const kind = w.kind ?? 'Workload';
    workloadCoverage.set(`${w.metadata.namespace}/${kind}/${w.metadata.name}`, coverage);
    return {
      kind,
      namespace: w.metadata.namespace ?? '',
      name: w.metadata.name ?? '',
      coverage,
      initHooks: applied?.containers.map((c) => c.name) ?? [],
      cleanedUp,
      pods: 0,
    };
  });
  const podsPerWorkload = new Map<string, number>();
  const plannable = !hooks.problems.some((p) => p.severity === 'error');
  const execPlans = new ExecPlanMemo(hooks, { policy: DEFAULT_HOOK_POLICY });

  const pods = [...inputs.pods]
    .sort((a, b) => podKey(a).localeCompare(podKey(b)))
    .flatMap((pod): PodReport[] => {
      const ns = pod.metadata.namespace ?? '';
      const controller = pod.metadata.ownerReferences?.find((o) => o.controller);
      let owner = controller ? `${controller.kind}/${controller.name}` : '';
      if (controller?.kind === 'ReplicaSet')
        owner = ownerOfReplicaSet.get(`${ns}/${controller.name}`) ?? owner;
      const [ownerKind, ownerName] = owner.split('/');
      const workloadKey = `${ns}/${ownerKind}/${ownerName}`;
      const applied = parseAppliedInitHooks(pod.metadata.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION]);
      const target: HookTarget = {
        namespace: ns,
        ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
        ...(pod.metadata.annotations ? { annotations: pod.metadata.annotations } : {}),
        podSpec: pod.spec,
      };
      // A pod Velero restored (its own label, no record of ours) that already runs the hooks: Velero injected them.
      // Only such pods need their init hooks planned; exec hooks are planned once per distinct pod template.
      const veleroHooks =
        plannable && !applied && pod.metadata.labels?.[RESTORE_NAME_LABEL] === veleroLabelValue(name)
          ? planHooks(hooks, target, { policy: DEFAULT_HOOK_POLICY })
              .initHooks.filter((h) => h.state === 'present')
              .map((h) => h.existingName ?? h.container.name)
          : [];
      // Of the pods Velero restored, only those it hooked belong to this story.
      if (pod.metadata.labels?.[RESTORE_LABEL] === undefined && veleroHooks.length === 0) return [];
      if (owner) podsPerWorkload.set(workloadKey, (podsPerWorkload.get(workloadKey) ?? 0) + 1);
      const ownerCoverage = owner ? workloadCoverage.get(workloadKey) : undefined;
      const coverage: Coverage =
        veleroHooks.length > 0
          ? 'velero'
          : !controller
            ? applied
              ? 'replacement'
              : 'exec-only'
            : ownerCoverage === 'template'
              ? 'template'
              : applied
                ? 'admission'
                : 'exec-only';
      const statuses = new Map((pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
      const hookNames = applied ? applied.containers.map((c) => c.name) : veleroHooks;
      const initHooks = hookNames.map((hookName): InitHookResult => {
        const s = statuses.get(hookName);
        const terminated = s?.state?.terminated ?? s?.lastState?.terminated;
        if (terminated)
          return {
            name: hookName,
            result: terminated.exitCode === 0 ? 'Succeeded' : 'Failed',
            exitCode: terminated.exitCode,
            ...(terminated.reason ? { reason: terminated.reason } : {}),
          };
        if (s?.state?.running) return { name: hookName, result: 'Running' };
        if (s?.state?.waiting)
          return {
            name: hookName,
            result: 'Waiting',
            ...(s.state.waiting.reason ? { reason: s.state.waiting.reason } : {}),
          };
        return { name: hookName, result: 'Pending' };
      });
      const parsed = parseExecRecord(pod.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
      const entries: Readonly<Record<string, HookEntry>> = parsed.ok ? (parsed.record?.hooks ?? {}) : {};
      const execHooks: ExecHookResult[] = [];
      const planned = new Set<string>();
      for (const hook of plannable ? execPlans.plan(target).execHooks : []) {
        planned.add(hook.id);
        execHooks.push(execResult(hook.id, hook.container, entries[hook.id], hook.command));
      }
      for (const [id, entry] of Object.entries(entries))
        if (!planned.has(id)) execHooks.push(execResult(id, containerOfId(id), entry));
      return [
        {
          namespace: ns,
          name: pod.metadata.name ?? '',
          phase: pod.status?.phase ?? 'Unknown',
          owner,
          coverage,
          initHooks,
          execHooks,
          ...(parsed.ok ? {} : { recordProblem: `${EXEC_HOOKS_ANNOTATION}: ${parsed.error}` }),
        },
      ];
    });

  const workloadReports = workloads.map((w) => ({
    ...w,
    pods: podsPerWorkload.get(`${w.namespace}/${w.kind}/${w.name}`) ?? 0,
  }));

  const skipped: SkippedItem[] = hooks.problems
    .filter((p) => p.severity === 'error')
    .map((p) => ({
      object: `Restore/${restoreRef}`,
      reason: 'InvalidHook',
      field: p.field,
      message: p.message,
    }));
  for (const w of unknownRestoreFields(restore))
    skipped.push({
      object: `Restore/${restoreRef}`,
      reason: 'UnknownField',
      field: w.field,
      message: w.message,
    });
  const seen = new Set<string>();
  const restoreEvents: { type: string; reason: string; message: string; count: number }[] = [];
  for (const e of [...inputs.events].sort((a, b) =>
    (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? ''),
  )) {
    const o = e.involvedObject ?? {};
    const isRestore = o.kind === 'Restore' && o.namespace === namespace && o.name === name;
    if (isRestore && !SKIP_REASONS.has(e.reason ?? '')) {
      restoreEvents.push({
        type: e.type ?? '',
        reason: e.reason ?? '',
        message: e.message ?? '',
        count: e.count ?? 1,
      });
      continue;
    }
    if (!SKIP_REASONS.has(e.reason ?? '')) continue;
    // The engine's walks above say these, with the field.
    if (isRestore && (e.reason === 'UnknownField' || e.reason === 'InvalidHook')) continue;
    const object = `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
    const key = `${object}\u0000${e.reason}\u0000${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // The controller's notes start with the field they are about when there is one: "spec.hooks...: message".
    const field = /^((?:spec|metadata)\.[^\s:]+):\s/.exec(e.message ?? '')?.[1];
    skipped.push({ object, reason: e.reason ?? '', ...(field ? { field } : {}), message: e.message ?? '' });
  }
  for (const c of status.conditions ?? [])
    if (c.status === 'False' && c.type === 'HooksValid')
      skipped.push({ object: `Restore/${restoreRef}`, reason: c.reason ?? c.type, message: c.message ?? '' });

  const pending: string[] = [];
  for (const w of workloadReports)
    if (w.coverage === 'none' && !skipped.some((s) => s.object === `${w.kind}/${w.namespace}/${w.name}`))
      pending.push(`${w.kind}/${w.namespace}/${w.name}: no hooks yet`);
  for (const p of pods) {
    for (const h of p.initHooks)
      if (PENDING_RESULTS.has(h.result))
        pending.push(`Pod/${p.namespace}/${p.name}: init hook ${h.name} ${h.result}`);
    for (const h of p.execHooks)
      if (PENDING_RESULTS.has(h.result))
        pending.push(`Pod/${p.namespace}/${p.name}: exec hook ${h.id} (${h.container}) ${h.result}`);
  }

  return {
    restore: {
      namespace,
      name,
      phase: status.phase ?? '',
      hooksAttempted: status.hookStatus?.hooksAttempted ?? 0,
      hooksFailed: status.hookStatus?.hooksFailed ?? 0,
      conditions: status.conditions ?? [],
    },
    summary: {
      workloads: workloadReports.length,
      pods: pods.length,
      initHooks: countBy(pods.flatMap((p) => p.initHooks.map((h) => h.result))),
      execHooks: countBy(pods.flatMap((p) => p.execHooks.map((h) => h.result))),
    },
    workloads: workloadReports,
    pods,
    skipped,
    pending,
    restoreEvents,
  };
}

function execResult(
  id: string,
  container: string,
  entry: HookEntry | undefined,
  command?: readonly string[],
): ExecHookResult {
  return {
    id,
    container,
    ...(command ? { command } : {}),
    result: entry?.result ?? 'Pending',
    attempts: entry?.attempts ?? 0,
    ...(entry?.exitCode !== undefined ? { exitCode: entry.exitCode } : {}),
    ...(entry?.reason ? { reason: entry.reason } : {}),
    ...(entry?.stdout ? { stdout: entry.stdout } : {}),
    ...(entry?.stderr ? { stderr: entry.stderr } : {}),
  };
}

/** `exec/<container>/<n>-<hash>` → the container. */
function containerOfId(id: string): string {
  return id.split('/')[1] ?? '';
}

function podKey(p: Pod): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
