import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus registry every metric of the process lives on: Node's process and runtime defaults
 * (process_*, nodejs_*), the controller machinery's controller-runtime names (registered by the machinery on
 * this registry) and restore-hooks' own restore_hooks_* (HookMetrics).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

// Every label below has a bounded set of values; no pod name is ever a label.
//   restore    the Restore's name: bounded by the Restores inside the hook window (HookMetrics.forgetRestore
//              drops a finished one's series).
//   namespace  the namespace of the pod or workload acted on: bounded by the cluster's namespaces.
//   kind       the kind of the object the hook reaches the pod through, i.e. the top of the pod's controller
//              owner chain that restore-hooks acts on: Deployment (Pod → ReplicaSet → Deployment), ReplicaSet
//              (an adopted or standalone one), StatefulSet, DaemonSet, Job, CronJob, Pod (a bare pod), or Other.
//   source     where the hook was declared: annotation (pod or pod-template annotations) or spec (Restore spec.hooks).

/** The values of the `kind` label; not the workloads restore-hooks patches (controller/workload-kinds.ts). */
export const OWNER_KIND_LABELS = [
  'Pod',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Other',
] as const;
export type OwnerKindLabel = (typeof OWNER_KIND_LABELS)[number];

export const HOOK_SOURCES = ['annotation', 'spec'] as const;
export type HookSource = (typeof HOOK_SOURCES)[number];

export const HOOK_TYPES = ['init', 'exec'] as const;
export type HookType = (typeof HOOK_TYPES)[number];

/** Why a hook that applies to a pod was not applied. */
export const SKIP_REASONS = [
  /** policy.annotationHooks is false and the hook came from an annotation. */
  'annotation-hooks-disabled',
  /** The init hook's image matches no policy.allowedImages pattern. */
  'image-not-allowed',
  /** A hook container asks for what policy.securityContext refuses (privileged, escalation, added capabilities). */
  'security-context-not-allowed',
  /** The hook exceeds a documented limit (see docs/hooks.md, Limits). */
  'limit-exceeded',
  /** The API server refused the template patch as invalid (422); not retried until the workload changes. */
  'rejected-by-api-server',
  /** The hook failed validation (a HookSkipped Event on the workload, or HooksValid=False for spec.hooks). */
  'invalid-hook',
  /** The exec hook's container does not exist in the pod. */
  'container-not-found',
  /** The pod belongs to a Job, whose pod template is immutable. */
  'job-owned',
  /** The pod had already started its application containers: init hooks were missed. */
  'already-running',
  /** A bare pod with Velero's restore-wait init container (file-system restore) is never replaced. */
  'file-system-restore',
  /** The init hook is only on the pod's own annotations, not on its owner's template: the template is not changed. */
  'not-in-template',
  /** An earlier hook of the pod failed with onError: Fail. */
  'previous-hook-failed',
  /** The pod appeared after the Restore's hook window had closed. */
  'hook-window-closed',
  /** A StatefulSet pod below the rollout partition stays at the old template. */
  'below-partition',
  /** The rollout that would bring the hooks would replace a pod holding file-system-restored emptyDir data. */
  'would-lose-restored-data',
  /** The pod or template has a different container under the hook's name. */
  'hook-conflict',
  /** Velero restored the pod and runs its exec hooks itself (exec.veleroRestoredPods: Skip). */
  'velero-runs-exec-hooks',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** How one exec attempt ended. */
export const EXEC_RESULTS = ['success', 'failure', 'timeout', 'error'] as const;
export type ExecResult = (typeof EXEC_RESULTS)[number];

/** An informer's name, as the code names it (its resource: "pods", "restores"): bounded by the informers the code starts. */
const INFORMER_NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

/** Why an informer listed again: 410 Expired, a watch silent for too long, or recovery after an error. */
export const RELIST_REASONS = ['expired', 'stalled', 'error'] as const;
export type RelistReason = (typeof RELIST_REASONS)[number];

export interface WorkloadLabels {
  readonly restore: string;
  readonly namespace: string;
  /** Any Kubernetes kind; kinds outside OWNER_KIND_LABELS are reported as Other. */
  readonly kind: string;
}
export interface HookLabels extends WorkloadLabels {
  readonly source: HookSource;
}

/** Exec attempts take milliseconds to execTimeout (30 s by default, often raised to minutes). */
export const EXEC_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export const METRIC_NAMES = {
  hooksInjected: 'restore_hooks_hooks_injected_total',
  hooksExecuted: 'restore_hooks_hooks_executed_total',
  hooksFailed: 'restore_hooks_hooks_failed_total',
  hooksSkipped: 'restore_hooks_hooks_skipped_total',
  execDuration: 'restore_hooks_exec_hook_duration_seconds',
  podsReplaced: 'restore_hooks_pods_replaced_total',
  templatesPatched: 'restore_hooks_templates_patched_total',
  templatesCleaned: 'restore_hooks_templates_cleaned_total',
  restoresActive: 'restore_hooks_restores_active',
  informerRestarts: 'restore_hooks_informer_restarts_total',
  informerRelists: 'restore_hooks_informer_relists_total',
  heapReleases: 'restore_hooks_heap_releases_total',
  heapReleasedBytes: 'restore_hooks_heap_released_bytes_total',
  admission: 'restore_hooks_admission_total',
} as const;

/** The admission webhooks, and what each answer did (patched, untouched, bypass: an untrusted user, error). */
export const ADMISSION_WEBHOOKS = ['workloads', 'pods'] as const;
export const ADMISSION_RESULTS = ['patched', 'untouched', 'bypass', 'error'] as const;

type Labelled = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * restore-hooks' own metrics behind methods, so that the controller never spells a metric or label name and
 * cannot pass an unbounded label value. Label values outside their enumeration are a programming error and
 * throw a RangeError.
 */
export class HookMetrics {
  readonly #hooksInjected: Counter<string>;
  readonly #hooksExecuted: Counter<string>;
  readonly #hooksFailed: Counter<string>;
  readonly #hooksSkipped: Counter<string>;
  readonly #execDuration: Histogram<string>;
  readonly #podsReplaced: Counter<string>;
  readonly #templatesPatched: Counter<string>;
  readonly #templatesCleaned: Counter<string>;
  readonly #restoresActive: Gauge<string>;
  readonly #informerRestarts: Counter<string>;
  readonly #informerRelists: Counter<string>;
  readonly #heapReleases: Counter<string>;
  readonly #heapReleasedBytes: Counter<string>;
  readonly #admission: Counter<string>;
  /** The label sets each restore has produced, so that forgetRestore can remove exactly those series. */
  readonly #seriesByRestore = new Map<string, Map<Labelled, Map<string, Record<string, string>>>>();

  constructor(registry: Registry) {
    const registers = [registry];
    const workload = ['restore', 'namespace', 'kind'];
    const counter = (name: string, help: string, labelNames: string[]) =>
      new Counter({ name, help, labelNames, registers });
    this.#hooksInjected = counter(
      METRIC_NAMES.hooksInjected,
      'Init hooks written into a pod template or a replacement pod, once per hook and object written.',
      [...workload, 'source'],
    );
    this.#hooksExecuted = counter(
      METRIC_NAMES.hooksExecuted,
      'Exec hooks that reached a final outcome (succeeded or failed), once per hook and pod, not per attempt.',
      [...workload, 'source'],
    );
    this.#hooksFailed = counter(
      METRIC_NAMES.hooksFailed,
      'Hooks whose final outcome was failure: exec hooks after their last attempt, init hooks whose container failed.',
      [...workload, 'source', 'type'],
    );
    this.#hooksSkipped = counter(
      METRIC_NAMES.hooksSkipped,
      'Hooks that applied to a pod but were not applied, by reason.',
      [...workload, 'reason'],
    );
    this.#execDuration = new Histogram({
      name: METRIC_NAMES.execDuration,
      help: 'Duration of exec hook attempts, from the exec request to the command ending or being abandoned.',
      labelNames: ['result'],
      buckets: EXEC_DURATION_BUCKETS,
      registers,
    });
    this.#podsReplaced = counter(
      METRIC_NAMES.podsReplaced,
      'Pending pods deleted so that they come back with their hooks: recreated by restore-hooks (kind Pod) or by their owner.',
      workload,
    );
    this.#templatesPatched = counter(
      METRIC_NAMES.templatesPatched,
      'Workload pod templates patched with hook init containers.',
      workload,
    );
    this.#templatesCleaned = counter(
      METRIC_NAMES.templatesCleaned,
      'Workload pod templates whose hook init containers were removed after the restore (templateCleanup).',
      workload,
    );
    this.#restoresActive = new Gauge({
      name: METRIC_NAMES.restoresActive,
      help: 'Restores currently served: in progress, or finished less than the hook window ago.',
      registers,
    });
    this.#informerRestarts = counter(
      METRIC_NAMES.informerRestarts,
      'Informers restarted after they stopped on an error.',
      ['resource'],
    );
    this.#informerRelists = counter(
      METRIC_NAMES.informerRelists,
      'Informers that listed their resource again, by reason.',
      ['resource', 'reason'],
    );
    this.#heapReleases = counter(
      METRIC_NAMES.heapReleases,
      'Full garbage collections run once the work queues were idle after the heap had grown (IdleHeapRelease).',
      [],
    );
    this.#heapReleasedBytes = counter(
      METRIC_NAMES.heapReleasedBytes,
      'JavaScript heap in use freed by those collections, in bytes.',
      [],
    );
    this.#admission = counter(
      METRIC_NAMES.admission,
      'Admission requests answered by the webhooks, by webhook and result: patched, untouched (nothing to do), bypass (created by an identity that is not trusted), error (hooks invalid or the webhook failed; admitted unchanged).',
      ['webhook', 'result'],
    );
    for (const webhook of ADMISSION_WEBHOOKS)
      for (const result of ADMISSION_RESULTS) this.#admission.inc({ webhook, result }, 0);
  }

  /** One admission request answered. */
  admitted(webhook: (typeof ADMISSION_WEBHOOKS)[number], result: (typeof ADMISSION_RESULTS)[number]): void {
    this.#admission.inc({
      webhook: member(ADMISSION_WEBHOOKS, webhook, 'webhook'),
      result: member(ADMISSION_RESULTS, result, 'result'),
    });
  }

  hookInjected(labels: HookLabels, count = 1): void {
    this.#inc(this.#hooksInjected, hookLabels(labels), count);
  }

  hookExecuted(labels: HookLabels): void {
    this.#inc(this.#hooksExecuted, hookLabels(labels));
  }

  hookFailed(labels: HookLabels & { readonly type: HookType }): void {
    this.#inc(this.#hooksFailed, { ...hookLabels(labels), type: member(HOOK_TYPES, labels.type, 'type') });
  }

  hookSkipped(labels: WorkloadLabels & { readonly reason: SkipReason }): void {
    this.#inc(this.#hooksSkipped, {
      ...workloadLabels(labels),
      reason: member(SKIP_REASONS, labels.reason, 'reason'),
    });
  }

  /** One exec attempt took `seconds` and ended with `result`. */
  execAttemptFinished(result: ExecResult, seconds: number): void {
    this.#execDuration.observe({ result: member(EXEC_RESULTS, result, 'result') }, seconds);
  }

  podReplaced(labels: WorkloadLabels): void {
    this.#inc(this.#podsReplaced, workloadLabels(labels));
  }

  templatePatched(labels: WorkloadLabels): void {
    this.#inc(this.#templatesPatched, workloadLabels(labels));
  }

  templateCleaned(labels: WorkloadLabels): void {
    this.#inc(this.#templatesCleaned, workloadLabels(labels));
  }

  setRestoresActive(count: number): void {
    this.#restoresActive.set(count);
  }

  /** The informer named `resource` (e.g. "pods") was restarted after it stopped on an error. */
  informerRestarted(resource: string): void {
    this.#informerRestarts.inc({ resource: informerName(resource) });
  }

  /** An idle-time full collection took the heap in use from `beforeBytes` to `afterBytes`. */
  heapReleased(beforeBytes: number, afterBytes: number): void {
    this.#heapReleases.inc();
    this.#heapReleasedBytes.inc(Math.max(0, beforeBytes - afterBytes));
  }

  informerRelisted(resource: string, reason: RelistReason): void {
    this.#informerRelists.inc({
      resource: informerName(resource),
      reason: member(RELIST_REASONS, reason, 'reason'),
    });
  }

  /**
   * Removes every series labelled with this restore. Call it once the restore has left the hook window and
   * its hooks are done (and, to let Prometheus scrape the final values, not sooner than a scrape interval
   * later): this keeps the restore label bounded by the restores in the window instead of growing forever.
   */
  forgetRestore(restore: string): void {
    const series = this.#seriesByRestore.get(restore);
    if (!series) return;
    for (const [metric, labelSets] of series) for (const labels of labelSets.values()) metric.remove(labels);
    this.#seriesByRestore.delete(restore);
  }

  #inc(metric: Counter<string>, labels: Record<string, string> & { restore: string }, count = 1): void {
    metric.inc(labels, count);
    let series = this.#seriesByRestore.get(labels.restore);
    if (!series) this.#seriesByRestore.set(labels.restore, (series = new Map()));
    let labelSets = series.get(metric);
    if (!labelSets) series.set(metric, (labelSets = new Map()));
    labelSets.set(JSON.stringify(labels), labels);
  }
}

function workloadLabels(l: WorkloadLabels): { restore: string; namespace: string; kind: string } {
  return {
    restore: nonEmpty(l.restore, 'restore'),
    namespace: nonEmpty(l.namespace, 'namespace'),
    kind: (OWNER_KIND_LABELS as readonly string[]).includes(l.kind) ? l.kind : 'Other',
  };
}

function hookLabels(l: HookLabels): { restore: string; namespace: string; kind: string; source: string } {
  return { ...workloadLabels(l), source: member(HOOK_SOURCES, l.source, 'source') };
}

function member<T extends string>(allowed: readonly T[], value: T, label: string): T {
  if (!allowed.includes(value)) {
    throw new RangeError(
      `metric label ${label}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
    );
  }
  return value;
}

function informerName(name: string): string {
  if (!INFORMER_NAME.test(name))
    throw new RangeError(`metric label resource: ${JSON.stringify(name)} is not an informer name`);
  return name;
}

function nonEmpty(value: string, label: string): string {
  if (typeof value !== 'string' || value === '')
    throw new RangeError(`metric label ${label} must not be empty`);
  return value;
}
