/**
 * The pass conditions of the chaos suite, as pure functions of what the cluster shows at the end of a run: the
 * objects (read through the API), the kubelet's container run log and the write audit (both from the devcluster's
 * admin endpoints). Each returns the violations it finds, so a failing run says exactly what went wrong; the unit
 * test (invariants.test.ts) feeds each one a violating state.
 */
import type { ContainerRun } from '../../src/devcluster/kubelet/run-log.ts';
import type { WriteRecord } from '../../src/devcluster/audit/write-log.ts';
import type { ExecHistoryItem } from '../../src/devcluster/audit/admin.ts';
import type { FailOpenRecord } from '../../src/devcluster/admission/fail-open-log.ts';
import type { ExecHookExpectation, ExpectedWorkload, HookExpectation } from './scenario.ts';

export interface ContainerLike {
  name: string;
  image?: string;
  command?: readonly string[];
}

export interface PodLike {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  spec: { initContainers?: ContainerLike[]; containers: ContainerLike[] };
  status?: {
    phase?: string;
    initContainerStatuses?: {
      name: string;
      restartCount: number;
      state?: { terminated?: { exitCode: number } };
    }[];
    containerStatuses?: { name: string; ready?: boolean; state?: { running?: unknown } }[];
  };
}

export interface WorkloadLike {
  kind: string;
  metadata: { name: string; namespace: string; uid: string; generation?: number };
  spec: { template: { spec: { initContainers?: ContainerLike[] } } };
}

export interface RestoreLike {
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string }[];
    hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
  };
}

/** Everything the checks read. */
export interface FinalState {
  /** Pods of the restored namespaces. */
  readonly pods: readonly PodLike[];
  /** Deployments, StatefulSets and DaemonSets of the restored namespaces. */
  readonly workloads: readonly WorkloadLike[];
  readonly restore: RestoreLike;
  readonly runs: readonly ContainerRun[];
  /** Writes by the controller's identity. */
  readonly writes: readonly WriteRecord[];
  /** Commands the simulated exec runner ran. */
  readonly execHistory: readonly ExecHistoryItem[];
}

export interface Expectations {
  readonly hooksFor: (namespace: string) => readonly HookExpectation[];
  readonly execHooksFor: (namespace: string) => readonly ExecHookExpectation[];
  /** SIGKILLs of a leader: each may repeat the exec hooks it had run but not yet recorded (the at-least-once window). */
  readonly leaderKills: number;
  readonly restoredNamespaces: readonly string[];
  readonly workloads: readonly ExpectedWorkload[];
  readonly barePods: readonly { namespace: string; name: string }[];
  /** Decoys: `Kind/namespace/name` with the uid they had before the Restore. */
  readonly decoys: ReadonlyMap<string, string>;
  /** Pod name prefixes of decoy owners (their pods are decoys too). */
  readonly decoyPodPrefixes: readonly string[];
  readonly controllerNamespace: string;
  readonly veleroNamespace: string;
  readonly restoreName: string;
  /** Whether the Restore CRD keeps status.conditions (the optional CRD patch is applied). */
  readonly conditions: boolean;
  /** The controller serves its webhooks: it also writes their configuration and its serving-certificate Secret. */
  readonly webhook?: { readonly configurationName: string; readonly secretName: string };
}

const isDecoyPod = (e: Expectations, namespace: string, name: string): boolean =>
  e.decoys.has(`Pod/${namespace}/${name}`) || e.decoyPodPrefixes.some((p) => name.startsWith(`${p}-`));

function contentKey(c: ContainerLike): string {
  return JSON.stringify([c.image ?? '', c.command ?? []]);
}

/** The owner a pod belongs to for the checks: its workload (through a ReplicaSet for Deployments), or itself. */
export function slotOf(run: { owner: string; pod: string; namespace: string }): string {
  const [kind, name] = run.owner.split('/');
  if (kind === 'ReplicaSet') return `Deployment/${run.namespace}/${name!.replace(/-[^-]+$/, '')}`;
  if (kind) return `${kind}/${run.namespace}/${name}`;
  return `Pod/${run.namespace}/${run.pod}`;
}

/**
 * Every pod of the restore that started its application containers ran each init hook exactly once, with exit
 * code 0, before its first application container started; and no owner (or bare pod) had more pods run the hooks
 * than it has replicas, so no hooked pod was thrown away and re-run.
 */
export function checkInitHooksRanOnce(state: FinalState, e: Expectations): string[] {
  const violations: string[] = [];
  const byUid = new Map<string, ContainerRun[]>();
  for (const run of state.runs) {
    if (!e.restoredNamespaces.includes(run.namespace) || isDecoyPod(e, run.namespace, run.pod)) continue;
    byUid.set(run.uid, [...(byUid.get(run.uid) ?? []), run]);
  }
  const hookedPodsBySlot = new Map<string, Set<string>>();
  for (const [uid, runs] of byUid) {
    const apps = runs.filter((r) => !r.init);
    if (apps.length === 0) continue;
    const first = runs[0]!;
    const where = `pod ${first.namespace}/${first.pod} (uid ${uid})`;
    const firstApp = apps.reduce((a, b) => (a.seq < b.seq ? a : b));
    for (const hook of e.hooksFor(first.namespace)) {
      const hookRuns = runs.filter((r) => r.init && r.container === hook.name);
      if (hookRuns.length === 0) {
        violations.push(`${where} started its application containers without running init hook ${hook.name}`);
        continue;
      }
      if (hookRuns.length > 1)
        violations.push(`${where} ran init hook ${hook.name} ${hookRuns.length} times`);
      const run = hookRuns[0]!;
      if (run.exitCode !== 0) violations.push(`${where}: init hook ${hook.name} exited with ${run.exitCode}`);
      if (run.seq > firstApp.seq || (run.finishedAt ?? '9') > firstApp.startedAt)
        violations.push(
          `${where}: init hook ${hook.name} finished after application container ${firstApp.container} started`,
        );
    }
    if (e.hooksFor(first.namespace).length > 0) {
      const slot = slotOf(first);
      hookedPodsBySlot.set(slot, (hookedPodsBySlot.get(slot) ?? new Set()).add(uid));
    }
  }
  const replicas = new Map<string, number>([
    ...e.workloads.map((w) => [`${w.kind}/${w.namespace}/${w.name}`, w.replicas] as const),
    ...e.barePods.map((p) => [`Pod/${p.namespace}/${p.name}`, 1] as const),
  ]);
  for (const [slot, uids] of hookedPodsBySlot) {
    const limit = replicas.get(slot);
    if (limit === undefined)
      violations.push(`${slot}: pods ran init hooks but it is not part of the restore`);
    else if (uids.size > limit)
      violations.push(`${slot}: ${uids.size} pods ran the init hooks, more than its ${limit} replica(s)`);
  }
  return violations;
}

/** No template and no pod carries a hook twice (by name or by content). */
export function checkNoDuplicateHooks(state: FinalState, e: Expectations): string[] {
  const violations: string[] = [];
  const check = (what: string, namespace: string, containers: ContainerLike[] | undefined) => {
    const list = containers ?? [];
    for (const hook of e.hooksFor(namespace)) {
      const n = list.filter((c) => c.name === hook.name || contentKey(c) === contentKey(hook)).length;
      if (n > 1) violations.push(`${what} carries init hook ${hook.name} ${n} times`);
    }
    const names = list.map((c) => c.name);
    if (new Set(names).size !== names.length) violations.push(`${what} has duplicate init container names`);
  };
  for (const w of state.workloads)
    check(
      `${w.kind} ${w.metadata.namespace}/${w.metadata.name} template`,
      w.metadata.namespace,
      w.spec.template.spec.initContainers,
    );
  for (const p of state.pods)
    check(`pod ${p.metadata.namespace}/${p.metadata.name}`, p.metadata.namespace, p.spec.initContainers);
  return violations;
}

/** The controller wrote only what the restore brought back, its own Lease and journal, Events and the Restore. */
/**
 * The Deployment a ReplicaSet belongs to, by the Deployment controller's naming (`<deployment>-<pod-template-hash>`):
 * restore-hooks gives a restored Deployment's ReplicaSets its hooks too (docs/controller.md).
 */
function deploymentOfReplicaSet(name: string): string {
  return name.replace(/-[a-z0-9]+$/, '');
}

export function checkWritesStayInRestore(state: FinalState, e: Expectations): string[] {
  const violations: string[] = [];
  const restored = new Set([
    ...e.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`),
    ...e.barePods.map((p) => `Pod/${p.namespace}/${p.name}`),
  ]);
  const kindOf: Record<string, string> = {
    'deployments.apps': 'Deployment',
    'statefulsets.apps': 'StatefulSet',
    'daemonsets.apps': 'DaemonSet',
    'replicasets.apps': 'ReplicaSet',
  };
  for (const w of state.writes) {
    const what = `${w.verb} ${w.resource}${w.subresource ? `/${w.subresource}` : ''} ${w.namespace}/${w.name}`;
    if (w.resource === 'events' || w.resource === 'events.events.k8s.io') {
      if (![...e.restoredNamespaces, e.veleroNamespace].includes(w.namespace))
        violations.push(`${what}: an Event outside the restore`);
      continue;
    }
    if (
      w.namespace === e.controllerNamespace &&
      ['leases.coordination.k8s.io', 'configmaps'].includes(w.resource)
    )
      continue;
    if (e.webhook && w.resource === 'mutatingwebhookconfigurations.admissionregistration.k8s.io') {
      if (w.name !== e.webhook.configurationName || !['update', 'create'].includes(w.verb))
        violations.push(
          `${what}: only its own webhook configuration ${e.webhook.configurationName} is expected`,
        );
      continue;
    }
    // A create names no object in the audit: only the Secret's own name may be updated.
    if (e.webhook && w.resource === 'secrets' && w.namespace === e.controllerNamespace) {
      if (!(w.verb === 'create' || (w.verb === 'update' && w.name === e.webhook.secretName)))
        violations.push(`${what}: only its serving-certificate Secret ${e.webhook.secretName} is expected`);
      continue;
    }
    if (w.resource === 'restores.velero.io') {
      if (w.namespace !== e.veleroNamespace || w.name !== e.restoreName || w.verb !== 'patch')
        violations.push(`${what}: only a patch of Restore ${e.veleroNamespace}/${e.restoreName} is expected`);
      continue;
    }
    if (!e.restoredNamespaces.includes(w.namespace)) {
      violations.push(`${what}: outside the restored namespaces`);
      continue;
    }
    if (w.resource === 'pods') {
      if (w.name && isDecoyPod(e, w.namespace, w.name))
        violations.push(`${what}: a pod that predates the Restore`);
      continue;
    }
    const kind = kindOf[w.resource];
    if (kind === 'ReplicaSet' && restored.has(`Deployment/${w.namespace}/${deploymentOfReplicaSet(w.name)}`))
      continue;
    if (!kind || !restored.has(`${kind}/${w.namespace}/${w.name}`))
      violations.push(`${what}: not an object of the restore`);
  }
  return violations;
}

/** Decoys still have the uid they had before the Restore (nothing deleted and recreated them). */
export function checkDecoysUntouched(
  current: ReadonlyMap<string, string | undefined>,
  e: Expectations,
): string[] {
  const violations: string[] = [];
  for (const [key, uid] of e.decoys) {
    const now = current.get(key);
    if (now !== uid) violations.push(`decoy ${key}: uid ${uid} before the Restore, ${now ?? 'gone'} now`);
  }
  return violations;
}

/** The exec hooks' record on a pod (annotation restore-hooks.dev/exec-hooks), or undefined. */
export interface ExecRecordLike {
  restore?: string;
  hooks?: Record<string, { attempts?: number; result?: string; exitCode?: number; reason?: string }>;
}

export const EXEC_RECORD_ANNOTATION = 'restore-hooks.dev/exec-hooks';

function execRecordOf(pod: PodLike): ExecRecordLike | undefined | 'unparseable' {
  const text = pod.metadata.annotations?.[EXEC_RECORD_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ExecRecordLike;
  } catch {
    return 'unparseable';
  }
}

/**
 * Every running pod of the restore ran each exec hook, recorded it as Succeeded on the pod, and ran it at least
 * once and at most once more per leader SIGKILL (the documented at-least-once window); no exec ran in a pod outside
 * the restore.
 */
export function checkExecHooks(state: FinalState, e: Expectations): string[] {
  const violations: string[] = [];
  const runs = new Map<string, number>();
  for (const h of state.execHistory) {
    const key = `${h.namespace}/${h.pod}/${h.container}/${JSON.stringify(h.command)}`;
    runs.set(key, (runs.get(key) ?? 0) + 1);
    if (!e.restoredNamespaces.includes(h.namespace) || isDecoyPod(e, h.namespace, h.pod))
      violations.push(
        `exec ${JSON.stringify(h.command)} ran in ${h.namespace}/${h.pod}, outside the restore`,
      );
  }
  for (const pod of state.pods) {
    const { namespace, name } = pod.metadata;
    const hooks = e.execHooksFor(namespace);
    if (hooks.length === 0 || isDecoyPod(e, namespace, name) || pod.status?.phase !== 'Running') continue;
    const where = `pod ${namespace}/${name}`;
    const record = execRecordOf(pod);
    if (record === 'unparseable') violations.push(`${where}: ${EXEC_RECORD_ANNOTATION} is not JSON`);
    else {
      const outcomes = Object.entries(record?.hooks ?? {});
      if (outcomes.length !== hooks.length)
        violations.push(
          `${where}: ${outcomes.length} exec hook outcome(s) recorded, expected ${hooks.length}`,
        );
      for (const [id, outcome] of outcomes)
        if (outcome.result !== 'Succeeded')
          violations.push(
            `${where}: exec hook ${id} is ${outcome.result ?? 'unrecorded'} (${outcome.reason ?? ''})`,
          );
    }
    for (const hook of hooks) {
      const n = runs.get(`${namespace}/${name}/${hook.container}/${JSON.stringify(hook.command)}`) ?? 0;
      if (n === 0) violations.push(`${where}: exec hook ${JSON.stringify(hook.command)} never ran`);
      if (n > 1 + e.leaderKills)
        violations.push(
          `${where}: exec hook ran ${n} times, more than once plus one per leader SIGKILL (${e.leaderKills})`,
        );
    }
  }
  return violations;
}

/** How many times exec hooks ran more than once in a pod: the at-least-once repeats, for the summary. */
export function execRepeats(state: FinalState): number {
  const runs = new Map<string, number>();
  for (const h of state.execHistory) {
    const key = `${h.namespace}/${h.pod}/${h.container}/${JSON.stringify(h.command)}`;
    runs.set(key, (runs.get(key) ?? 0) + 1);
  }
  return [...runs.values()].reduce((n, r) => n + r - 1, 0);
}

/**
 * The Restore's status tells what happened: hooks valid and applied, exec hooks completed (conditions need the
 * optional CRD patch), and status.hookStatus counting every init hook container that ran in a pod restore-hooks
 * hooked plus every exec hook with a final outcome, none failed.
 */
export function checkRestoreStatus(state: FinalState, e: Expectations): string[] {
  const violations: string[] = [];
  if (e.conditions) {
    const conditions = state.restore.status?.conditions ?? [];
    const types = [
      'HooksValid',
      'InitHooksApplied',
      ...(state.execHistory.length > 0 ? ['ExecHooksCompleted'] : []),
    ];
    for (const type of types) {
      const c = conditions.find((x) => x.type === type);
      if (c?.status !== 'True')
        violations.push(
          `Restore condition ${type} is ${c ? `${c.status} (${c.reason ?? ''})` : 'missing'}, expected True`,
        );
    }
  }
  if (state.execHistory.length > 0) {
    const initRuns = state.runs.filter(
      (r) =>
        r.init &&
        e.restoredNamespaces.includes(r.namespace) &&
        !isDecoyPod(e, r.namespace, r.pod) &&
        e.hooksFor(r.namespace).some((h) => h.name === r.container),
    ).length;
    const execFinal = state.pods
      .filter((p) => !isDecoyPod(e, p.metadata.namespace, p.metadata.name) && p.status?.phase === 'Running')
      .reduce((n, p) => n + e.execHooksFor(p.metadata.namespace).length, 0);
    const status = state.restore.status?.hookStatus;
    const expected = initRuns + execFinal;
    if (status?.hooksAttempted !== expected)
      violations.push(
        `Restore status.hookStatus.hooksAttempted is ${status?.hooksAttempted ?? 'unset'}, expected ${expected} (${initRuns} init hook runs + ${execFinal} exec hooks)`,
      );
    if ((status?.hooksFailed ?? 0) !== 0)
      violations.push(`Restore status.hookStatus.hooksFailed is ${status?.hooksFailed}, expected 0`);
  }
  return violations;
}

/**
 * What "converged" means: every restored owner has exactly its replicas, all running with their init hooks and a final
 * outcome for each exec hook, and so does every bare pod; nothing is pending or terminating. Returns what is missing.
 */
export function unconverged(state: FinalState, e: Expectations): string[] {
  const missing: string[] = [];
  const live = state.pods.filter((p) => !isDecoyPod(e, p.metadata.namespace, p.metadata.name));
  const bySlot = new Map<string, PodLike[]>();
  for (const p of live) {
    const owner = (p.metadata.ownerReferences ?? []).find((o) => o.controller);
    const slot = slotOf({
      owner: owner ? `${owner.kind}/${owner.name}` : '',
      pod: p.metadata.name,
      namespace: p.metadata.namespace,
    });
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), p]);
  }
  const expected = [
    ...e.workloads.map((w) => [`${w.kind}/${w.namespace}/${w.name}`, w.replicas] as const),
    ...e.barePods.map((p) => [`Pod/${p.namespace}/${p.name}`, 1] as const),
  ];
  for (const [slot, replicas] of expected) {
    const pods = bySlot.get(slot) ?? [];
    const ready = pods.filter((p) => {
      const hooks = e.hooksFor(p.metadata.namespace).map((h) => h.name);
      const inits = new Set((p.spec.initContainers ?? []).map((c) => c.name));
      const record = execRecordOf(p);
      const execDone =
        e.execHooksFor(p.metadata.namespace).length === 0 ||
        (record !== undefined &&
          record !== 'unparseable' &&
          Object.values(record.hooks ?? {}).filter((o) => o.result === 'Succeeded' || o.result === 'Failed')
            .length === e.execHooksFor(p.metadata.namespace).length);
      return (
        !p.metadata.deletionTimestamp &&
        p.status?.phase === 'Running' &&
        hooks.every((h) => inits.has(h)) &&
        (p.status.containerStatuses ?? []).every((c) => c.ready) &&
        execDone
      );
    });
    if (ready.length !== replicas || pods.length !== replicas)
      missing.push(`${slot}: ${ready.length}/${replicas} running with hooks, ${pods.length} pods`);
  }
  return missing;
}

/** The restored owner an object that failed open belongs to: the workload itself, or a pod's workload. */
export function restoredOwnerOf(record: FailOpenRecord): string | undefined {
  const kinds: Record<string, string> = {
    'deployments.apps': 'Deployment',
    'statefulsets.apps': 'StatefulSet',
    'daemonsets.apps': 'DaemonSet',
    'replicasets.apps': 'ReplicaSet',
  };
  const kind = kinds[record.resource];
  if (kind === 'ReplicaSet') return `Deployment/${record.namespace}/${deploymentOfReplicaSet(record.name)}`;
  if (kind) return `${kind}/${record.namespace}/${record.name}`;
  if (record.resource !== 'pods' || !record.owner) return undefined;
  return slotOf({ owner: record.owner, pod: '', namespace: record.namespace });
}

/**
 * Every bypass of admission is reported: each restored workload that a webhook call failed open for (failurePolicy
 * Ignore: the workload created without its mark, or a pod of it created without its hooks) has an AdmissionBypassed
 * report naming it, an Event (`reported`) or, when the Event write was lost, the controller's warning log line
 * (`logged`). Calls for objects outside the restore, decoys and pods without a controller (the bare pods'
 * replacements, which carry their hooks from the controller itself) are left out.
 */
export function checkBypassesReported(
  failOpens: readonly FailOpenRecord[],
  reported: ReadonlySet<string>,
  logged: ReadonlySet<string>,
  e: Expectations,
): string[] {
  const restored = new Set(e.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`));
  const missing = new Map<string, FailOpenRecord[]>();
  for (const record of failOpens) {
    if (!e.restoredNamespaces.includes(record.namespace)) continue;
    const owner = restoredOwnerOf(record);
    if (owner === undefined || !restored.has(owner)) continue;
    if (reported.has(owner) || logged.has(owner)) continue;
    missing.set(owner, [...(missing.get(owner) ?? []), record]);
  }
  return [...missing].map(
    ([owner, records]) =>
      `${owner}: ${records.length} admission call(s) failed open (${[...new Set(records.map((r) => `${r.webhook} on ${r.resource}`))].join(', ')}; e.g. ${records[0]!.reason.slice(0, 160)}) but no AdmissionBypassed report names it`,
  );
}

/** The workloads a restore's fail-open calls concern (for the summary). */
export function bypassedOwners(failOpens: readonly FailOpenRecord[], e: Expectations): Set<string> {
  const restored = new Set(e.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`));
  return new Set(
    failOpens
      .filter((r) => e.restoredNamespaces.includes(r.namespace))
      .map(restoredOwnerOf)
      .filter((o): o is string => o !== undefined && restored.has(o)),
  );
}

/**
 * The other side of the same promise, judged from the final objects alone (so on every bed): a restored workload
 * whose pod template carries its hooks took the reconcilers' fallback (with the webhooks served, only a bypass
 * leads there), and has an AdmissionBypassed report naming it, an Event or the controller's log line.
 */
export function checkTemplatePathReported(
  state: FinalState,
  reported: ReadonlySet<string>,
  logged: ReadonlySet<string>,
  e: Expectations,
): string[] {
  const restored = new Set(e.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`));
  const violations: string[] = [];
  for (const w of state.workloads) {
    const key = `${w.kind}/${w.metadata.namespace}/${w.metadata.name}`;
    if (!restored.has(key) || reported.has(key) || logged.has(key)) continue;
    const names = new Set((w.spec.template.spec.initContainers ?? []).map((c) => c.name));
    if (e.hooksFor(w.metadata.namespace).some((h) => names.has(h.name)))
      violations.push(
        `${key}: its pod template carries the hooks (the reconcilers' fallback) but no AdmissionBypassed report names it`,
      );
  }
  return violations;
}
