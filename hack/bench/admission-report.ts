/**
 * The figures of the admission path (hooks added as pods are created), of `restore-hooks status` at scale and of a
 * huge Restore refused by the limits: summarised from the raw runs, judged against their targets, printed. Each
 * section records the load average of the machine when it was measured: the machine is often shared.
 */
import type { AdmissionLatencyRunResult } from './admission-latency.ts';
import type { AdmissionRestoreResult, StatusRun } from './admission.ts';
import type { RestoreSizeRunResult } from './restore-size.ts';
import type { Target } from './report.ts';
import { MiB, median, percentile, round } from './stats.ts';

/** 1-minute load average at the start and the end of a section. */
export interface Load {
  readonly start: number;
  readonly end: number;
}

export interface AdmissionSizeFigures {
  readonly pods: number;
  readonly workloads: number;
  /** First Deployment create to every pod existing with its hook (medians; runs in ms). */
  readonly admissionMs: { readonly median: number; readonly runs: readonly number[] };
  /** The same restore with no controller and no webhook: every pod existing, without hooks. */
  readonly floorMs: { readonly median: number; readonly runs: readonly number[] };
  readonly ratioToFloor: number;
  /** The worst run: pods whose app container started with no hook run before it (kubelet run log). */
  readonly startedWithoutHooks: number;
  readonly podsStarted: number;
  /** The worst run: pods the bench's watch ever saw without the hook. */
  readonly podsSeenWithoutHook: number;
  /** The worst run: webhook calls that failed (timeout, refused) and were ignored. */
  readonly failedWebhookCalls: number;
  /** The worst run: writes by the controller's identity to workloads, ReplicaSets and pods, per workload. */
  readonly workloadWritesPerWorkload: number;
  /** Every write of the controller's identity per workload (median run), by kind. */
  readonly controllerWritesByKind: Readonly<Record<string, number>>;
  readonly veleroWritesPerWorkload: number;
  readonly webhookCallsPerWorkload: Readonly<Record<string, number>>;
  readonly rssPeakMiB: number;
  readonly rssMiB: number;
  readonly cpuS: {
    readonly devcluster: number;
    readonly floorDevcluster: number;
    readonly controller: number;
  };
  readonly load: Load;
}

export interface AdmissionLatencyFigures {
  readonly ratePerSecond: number;
  readonly achievedRatePerSecond: number;
  readonly podsPerRun: number;
  /** The target figure: the pod webhook call as the API server (devcluster) times it. */
  readonly apiServerMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** controller_runtime_webhook_latency_seconds over the same creations (interpolated within buckets). */
  readonly controllerMs: { readonly p50: number; readonly p99: number };
  /** The devcluster's event-loop delay over the same creations: a wait for every request and webhook answer. */
  readonly devclusterLoopDelayMs?: { readonly p99: number; readonly max: number };
  /** The controller's event-loop delay over the same creations: a wait before its histogram's timer starts. */
  readonly controllerLoopDelayMs?: { readonly p99: number; readonly max: number };
  /** The create's round trip at the client, with admission and without (floor). */
  readonly createMs: { readonly p50: number; readonly p99: number };
  readonly floorCreateMs: { readonly p50: number; readonly p99: number };
  readonly createdWithoutHook: number;
  readonly failedCalls: number;
  readonly cpuMsPerPod: {
    readonly devcluster: number;
    readonly floorDevcluster: number;
    readonly controller: number;
  };
  /** Pod webhook calls per created pod (2: the patch calls the webhook again in the reinvocation round). */
  readonly callsPerPod?: number;
  /** The control: the same measurement with a webhook that admits every pod untouched, at once, in restore-hooks' place. */
  readonly trivial?: TrivialWebhookFigures;
  /** p99 of restore-hooks' calls over the trivial webhook's: how much of the figure is ours. */
  readonly p99RatioToTrivial?: number;
  readonly load: Load;
}

export interface TrivialWebhookFigures {
  readonly achievedRatePerSecond: number;
  readonly apiServerMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly callsPerPod: number;
  readonly createMs: { readonly p50: number; readonly p99: number };
  readonly failedCalls: number;
  readonly cpuMsPerPod: { readonly devcluster: number; readonly webhook: number };
  readonly devclusterLoopDelayMs?: { readonly p99: number; readonly max: number };
}

export interface StatusFigures {
  readonly pods: number;
  readonly workloads: number;
  readonly seconds: { readonly median: number; readonly runs: readonly number[] };
  readonly requests: number;
  readonly requestsByKind: Readonly<Record<string, number>>;
  readonly load: Load;
}

export interface RestoreSizeFigures {
  readonly hookResources: number;
  readonly restoreMB: number;
  readonly idleRssMiB: number;
  readonly refusedRssMiB: number;
  readonly peakRssMiB: number;
  readonly afterRssMiB: number;
  readonly refusedAfterS: number;
  readonly refusal: string;
  readonly cpuShareAfterDeletion: number;
  readonly steady: boolean;
  readonly load: Load;
}

export interface AdmissionSections {
  readonly admission?: {
    readonly sizes: readonly AdmissionSizeFigures[];
    readonly latency?: AdmissionLatencyFigures;
  };
  readonly status?: StatusFigures;
  readonly restoreSize?: RestoreSizeFigures;
}

const medianOf = <T>(items: readonly T[], f: (t: T) => number) => median(items.map(f));

export function admissionSizeFigures(
  runs: readonly AdmissionRestoreResult[],
  load: Load,
): AdmissionSizeFigures {
  const admission = runs.filter((r) => r.mode === 'admission');
  const floor = runs.filter((r) => r.mode === 'floor');
  const first = admission[0];
  if (!first || floor.length === 0)
    throw new Error('an admission size needs an admission run and a floor run');
  const perWorkload = (values: readonly Readonly<Record<string, number>>[]) => {
    const kinds: Record<string, number> = {};
    for (const v of values)
      for (const [k, n] of Object.entries(v))
        kinds[k] = (kinds[k] ?? 0) + n / values.length / first.workloads;
    return Object.fromEntries(Object.entries(kinds).map(([k, n]) => [k, round(n, 3)]));
  };
  const a = medianOf(admission, (r) => r.totalMs);
  const f = medianOf(floor, (r) => r.totalMs);
  return {
    pods: first.pods,
    workloads: first.workloads,
    admissionMs: { median: round(a), runs: admission.map((r) => round(r.totalMs)) },
    floorMs: { median: round(f), runs: floor.map((r) => round(r.totalMs)) },
    ratioToFloor: round(a / f, 2),
    startedWithoutHooks: Math.max(...admission.map((r) => r.startedWithoutHooks)),
    podsStarted: Math.min(...admission.map((r) => r.podsStarted)),
    podsSeenWithoutHook: Math.max(...admission.map((r) => r.podsSeenWithoutHook)),
    failedWebhookCalls: Math.max(...admission.map((r) => r.failedWebhookCalls ?? 0)),
    workloadWritesPerWorkload: round(
      Math.max(...admission.map((r) => r.controllerWorkloadWrites / r.workloads)),
      3,
    ),
    controllerWritesByKind: perWorkload(admission.map((r) => r.controllerWrites)),
    veleroWritesPerWorkload: round(
      medianOf(admission, (r) => r.veleroWrites / r.workloads),
      3,
    ),
    webhookCallsPerWorkload: perWorkload(admission.map((r) => r.webhookCalls)),
    rssPeakMiB: round(medianOf(admission, (r) => (r.rssPeakBytes ?? NaN) / MiB)),
    rssMiB: round(medianOf(admission, (r) => (r.rssBytes ?? NaN) / MiB)),
    cpuS: {
      devcluster: round(
        medianOf(admission, (r) => r.cpuMs.devcluster / 1000),
        2,
      ),
      floorDevcluster: round(
        medianOf(floor, (r) => r.cpuMs.devcluster / 1000),
        2,
      ),
      controller: round(
        medianOf(admission, (r) => (r.cpuMs.controller ?? NaN) / 1000),
        2,
      ),
    },
    load,
  };
}

export function admissionLatencyFigures(
  runs: readonly AdmissionLatencyRunResult[],
  load: Load,
): AdmissionLatencyFigures {
  const admission = runs.filter((r) => r.mode === 'admission');
  const floor = runs.filter((r) => r.mode === 'floor');
  const trivialRuns = runs.filter((r) => r.mode === 'trivial');
  const p = (
    rs: readonly AdmissionLatencyRunResult[],
    f: (r: AdmissionLatencyRunResult) => readonly number[],
    q: number,
  ) =>
    round(
      medianOf(rs, (r) => percentile(f(r), q)),
      2,
    );
  const calls = (rs: readonly AdmissionLatencyRunResult[]) => ({
    p50: p(rs, (r) => r.apiServerMs, 50),
    p99: p(rs, (r) => r.apiServerMs, 99),
    max: round(Math.max(...rs.flatMap((r) => r.apiServerMs)), 2),
  });
  const loopDelay = (rs: readonly AdmissionLatencyRunResult[]) =>
    rs.some((r) => r.devclusterLoopDelayMs)
      ? {
          devclusterLoopDelayMs: {
            p99: round(
              medianOf(rs, (r) => r.devclusterLoopDelayMs?.p99 ?? NaN),
              2,
            ),
            max: round(
              medianOf(rs, (r) => r.devclusterLoopDelayMs?.max ?? NaN),
              2,
            ),
          },
        }
      : {};
  const apiServerMs = calls(admission);
  const trivial: TrivialWebhookFigures | undefined =
    trivialRuns.length === 0
      ? undefined
      : {
          achievedRatePerSecond: round(medianOf(trivialRuns, (r) => r.achievedRatePerSecond)),
          apiServerMs: calls(trivialRuns),
          callsPerPod: round(
            medianOf(trivialRuns, (r) => r.apiServerMs.length / r.pods),
            2,
          ),
          createMs: {
            p50: p(trivialRuns, (r) => r.createMs, 50),
            p99: p(trivialRuns, (r) => r.createMs, 99),
          },
          failedCalls: Math.max(0, ...trivialRuns.map((r) => r.failedCalls)),
          cpuMsPerPod: {
            devcluster: round(
              medianOf(trivialRuns, (r) => r.cpuMsPerPod.devcluster),
              2,
            ),
            webhook: round(
              medianOf(trivialRuns, (r) => r.cpuMsPerPod.webhook ?? NaN),
              2,
            ),
          },
          ...loopDelay(trivialRuns),
        };
  return {
    ratePerSecond: admission[0]?.ratePerSecond ?? NaN,
    achievedRatePerSecond: round(medianOf(admission, (r) => r.achievedRatePerSecond)),
    podsPerRun: admission[0]?.pods ?? 0,
    apiServerMs,
    controllerMs: {
      p50: round(
        medianOf(admission, (r) => r.controllerMs?.p50 ?? NaN),
        2,
      ),
      p99: round(
        medianOf(admission, (r) => r.controllerMs?.p99 ?? NaN),
        2,
      ),
    },
    ...loopDelay(admission),
    ...(admission.some((r) => r.controllerLoopDelayMs)
      ? {
          controllerLoopDelayMs: {
            p99: round(
              medianOf(admission, (r) => r.controllerLoopDelayMs?.p99 ?? NaN),
              2,
            ),
            max: round(
              medianOf(admission, (r) => r.controllerLoopDelayMs?.max ?? NaN),
              2,
            ),
          },
        }
      : {}),
    createMs: { p50: p(admission, (r) => r.createMs, 50), p99: p(admission, (r) => r.createMs, 99) },
    floorCreateMs: { p50: p(floor, (r) => r.createMs, 50), p99: p(floor, (r) => r.createMs, 99) },
    createdWithoutHook: Math.max(0, ...admission.map((r) => r.createdWithoutHook)),
    failedCalls: Math.max(0, ...admission.map((r) => r.failedCalls)),
    cpuMsPerPod: {
      devcluster: round(
        medianOf(admission, (r) => r.cpuMsPerPod.devcluster),
        2,
      ),
      floorDevcluster: round(
        medianOf(floor, (r) => r.cpuMsPerPod.devcluster),
        2,
      ),
      controller: round(
        medianOf(admission, (r) => r.cpuMsPerPod.controller ?? NaN),
        2,
      ),
    },
    callsPerPod: round(
      medianOf(admission, (r) => r.apiServerMs.length / r.pods),
      2,
    ),
    ...(trivial ? { trivial, p99RatioToTrivial: round(apiServerMs.p99 / trivial.apiServerMs.p99, 2) } : {}),
    load,
  };
}

export function statusFigures(runs: readonly StatusRun[], load: Load): StatusFigures {
  const first = runs[0];
  if (!first) throw new Error('no status run');
  return {
    pods: first.pods,
    workloads: first.workloads,
    seconds: {
      median: round(
        medianOf(runs, (r) => r.seconds),
        2,
      ),
      runs: runs.map((r) => round(r.seconds, 2)),
    },
    requests: first.requestsTotal,
    requestsByKind: first.requests,
    load,
  };
}

export function restoreSizeFigures(run: RestoreSizeRunResult, load: Load): RestoreSizeFigures {
  return {
    hookResources: run.hookResources,
    restoreMB: round(run.restoreBytes / 1e6, 2),
    idleRssMiB: round(run.idleRssBytes / MiB),
    refusedRssMiB: round(run.refusedRssBytes / MiB),
    peakRssMiB: round(run.peakRssBytes / MiB),
    afterRssMiB: round(run.afterRssBytes / MiB),
    refusedAfterS: round(run.refusedAfterMs / 1000, 2),
    refusal: run.refusal,
    cpuShareAfterDeletion: round(run.cpuShareAfterDeletion, 3),
    steady: run.steady,
    load,
  };
}

/** restore-hooks' pod webhook calls and the trivial webhook's side by side, and their ratio (the control). */
function trivialLines(l: AdmissionLatencyFigures): string[] {
  const t = l.trivial!;
  const cell = (x: { p50: number; p99: number; max: number }) =>
    `${n(x.p50, 2)} / ${n(x.p99, 2)} / ${n(x.max, 2)}`;
  return [
    `  the control, a webhook that admits every pod untouched at once in restore-hooks' place (same TLS, configuration and selectors, no controller):`,
    `    | webhook | achieved/s | calls per pod | API server's view p50 / p99 / max ms | create round trip p50 / p99 ms | failed calls | CPU ms per pod: devcluster / webhook server |`,
    `    |---|---|---|---|---|---|---|`,
    `    | restore-hooks | ${n(l.achievedRatePerSecond)} | ${n(l.callsPerPod ?? NaN, 2)} | ${cell(l.apiServerMs)} | ${n(l.createMs.p50, 2)} / ${n(l.createMs.p99, 2)} | ${l.failedCalls} | ${n(l.cpuMsPerPod.devcluster, 2)} / ${n(l.cpuMsPerPod.controller, 2)} |`,
    `    | trivial | ${n(t.achievedRatePerSecond)} | ${n(t.callsPerPod, 2)} | ${cell(t.apiServerMs)} | ${n(t.createMs.p50, 2)} / ${n(t.createMs.p99, 2)} | ${t.failedCalls} | ${n(t.cpuMsPerPod.devcluster, 2)} / ${n(t.cpuMsPerPod.webhook, 2)} |`,
    `    p99 ratio restore-hooks / trivial: ${n(l.p99RatioToTrivial ?? NaN, 2)}`,
    ...(l.devclusterLoopDelayMs && t.devclusterLoopDelayMs
      ? [
          `    the devcluster's event-loop delay: p99 ${n(l.devclusterLoopDelayMs.p99, 2)} ms, max ${n(l.devclusterLoopDelayMs.max, 2)} ms with restore-hooks; p99 ${n(t.devclusterLoopDelayMs.p99, 2)} ms, max ${n(t.devclusterLoopDelayMs.max, 2)} ms with the trivial webhook`,
        ]
      : []),
  ];
}

/** `restore-hooks status` at 10,000 pods: an interactive command, answered in seconds (see docs/performance.md). */
export const STATUS_SECONDS_TARGET = 5;
/** Admission latency p99, as the API server sees the pod webhook call. */
export const ADMISSION_P99_TARGET_MS = 10;
/** The huge Restore: the peak may hold the object while it exists; after its deletion the controller is back near idle. */
export const HUGE_RESTORE_PEAK_MARGIN_MB = 64;
export const HUGE_RESTORE_AFTER_MARGIN_MB = 16;
/** manifests/base/deployment.yaml: the controller's memory limit. */
export const MEMORY_LIMIT_MIB = 512;

const MB = 1e6 / MiB;

export function judgeAdmission(sections: AdmissionSections): Target[] {
  const check = (value: number | null | undefined, ok: (v: number) => boolean) =>
    value === null || value === undefined || Number.isNaN(value) ? null : ok(value);
  const sizes = sections.admission?.sizes ?? [];
  const worst = (f: (s: AdmissionSizeFigures) => number) => (sizes.length ? Math.max(...sizes.map(f)) : null);
  const unhooked = worst((s) => s.startedWithoutHooks);
  const writes = worst((s) => s.workloadWritesPerWorkload);
  const latency = sections.admission?.latency;
  const status = sections.status;
  const big = sections.restoreSize;
  const peakOver = big ? round((big.peakRssMiB - big.idleRssMiB) / MB) : null;
  const afterOver = big ? round((big.afterRssMiB - big.idleRssMiB) / MB) : null;
  return [
    {
      id: 'admission-started-without-hooks',
      description:
        'admission: pods that started an app container without their hooks (kubelet run log, every size)',
      target: '= 0',
      value: unhooked,
      unit: 'pods',
      pass: check(unhooked, (v) => v === 0),
    },
    {
      id: 'admission-workload-writes',
      description:
        "admission: the controller's writes to workloads, ReplicaSets and pods per hooked workload (every size)",
      target: '= 0',
      value: writes,
      unit: 'writes',
      pass: check(writes, (v) => v === 0),
    },
    {
      id: 'admission-latency-p99',
      description: `admission: pod webhook call p99 as the API server sees it, at ${latency?.ratePerSecond ?? 200} pod creations/s`,
      target: `<= ${ADMISSION_P99_TARGET_MS} ms`,
      value: latency?.apiServerMs.p99 ?? null,
      unit: 'ms',
      pass: check(latency?.apiServerMs.p99, (v) => v <= ADMISSION_P99_TARGET_MS),
    },
    {
      id: 'status-10k-seconds',
      description: `restore-hooks status at ${status?.pods.toLocaleString('en') ?? '10,000'} restored pods, seconds to answer`,
      target: `<= ${STATUS_SECONDS_TARGET} s`,
      value: status?.seconds.median ?? null,
      unit: 's',
      pass:
        status && status.pods >= 10_000
          ? check(status.seconds.median, (v) => v <= STATUS_SECONDS_TARGET)
          : null,
    },
    {
      id: 'huge-restore-rss-peak',
      description: `RSS peak over idle while a ${big?.hookResources.toLocaleString('en') ?? '10,000'}-hook-resource Restore is refused, below the ${MEMORY_LIMIT_MIB}Mi limit`,
      target: `<= ${HUGE_RESTORE_PEAK_MARGIN_MB} MB`,
      value: peakOver,
      unit: 'MB',
      pass: big
        ? check(peakOver, (v) => v <= HUGE_RESTORE_PEAK_MARGIN_MB && big.peakRssMiB < MEMORY_LIMIT_MIB)
        : null,
    },
    {
      id: 'huge-restore-rss-after',
      description: 'RSS over idle at steady state after the huge Restore is deleted',
      target: `<= ${HUGE_RESTORE_AFTER_MARGIN_MB} MB`,
      value: afterOver,
      unit: 'MB',
      pass: check(afterOver, (v) => v <= HUGE_RESTORE_AFTER_MARGIN_MB),
    },
  ];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join(
    '\n',
  );
}

const n = (v: number, digits = 1) => (Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
const load = (l: Load) => `load average ${n(l.start, 2)} -> ${n(l.end, 2)}`;
const kinds = (r: Readonly<Record<string, number>>) =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

export function formatAdmission(sections: AdmissionSections): string {
  const out: string[] = [];
  const a = sections.admission;
  if (a && a.sizes.length > 0) {
    out.push(
      'Restores through the admission webhooks (Velero creates the Deployments; pods start at once; medians)',
      table(
        [
          'pods',
          'workloads',
          'admission s',
          'floor s',
          'ratio',
          'started w/o hooks',
          'seen w/o hook',
          'workload writes/wl',
          'RSS peak MiB',
          'RSS MiB',
          'load',
        ],
        a.sizes.map((s) => [
          String(s.pods),
          String(s.workloads),
          n(s.admissionMs.median / 1000, 2),
          n(s.floorMs.median / 1000, 2),
          n(s.ratioToFloor, 2),
          `${s.startedWithoutHooks} of ${s.podsStarted}`,
          String(s.podsSeenWithoutHook),
          n(s.workloadWritesPerWorkload, 3),
          n(s.rssPeakMiB),
          n(s.rssMiB),
          `${n(s.load.start, 1)}-${n(s.load.end, 1)}`,
        ]),
      ),
      ...a.sizes.flatMap((s) => [
        `at ${s.pods} pods: controller writes per workload: ${kinds(s.controllerWritesByKind)}; Velero's ${s.veleroWritesPerWorkload}; webhook calls per workload: ${kinds(s.webhookCallsPerWorkload)}, ${s.failedWebhookCalls} failed and ignored`,
        `at ${s.pods} pods: CPU s in the window: devcluster ${n(s.cpuS.devcluster)} (floor ${n(s.cpuS.floorDevcluster)}), controller ${n(s.cpuS.controller)}`,
      ]),
      '',
    );
  }
  const l = a?.latency;
  if (l)
    out.push(
      `Admission latency at ${l.ratePerSecond} pod creations/s (achieved ${n(l.achievedRatePerSecond)}/s, ${l.podsPerRun} pods per run, ${load(l.load)}):`,
      `  pod webhook call as the API server sees it (target figure): p50 ${n(l.apiServerMs.p50, 2)} ms, p99 ${n(l.apiServerMs.p99, 2)} ms, max ${n(l.apiServerMs.max, 2)} ms`,
      `  controller_runtime_webhook_latency_seconds: p50 ${n(l.controllerMs.p50, 2)} ms, p99 ${n(l.controllerMs.p99, 2)} ms (interpolated within buckets)` +
        (l.controllerLoopDelayMs
          ? `; the controller's event-loop delay: p99 ${n(l.controllerLoopDelayMs.p99, 2)} ms, max ${n(l.controllerLoopDelayMs.max, 2)} ms`
          : ''),
      `  pod create round trip: p50 ${n(l.createMs.p50, 2)} ms, p99 ${n(l.createMs.p99, 2)} ms; without webhooks (floor) p50 ${n(l.floorCreateMs.p50, 2)} ms, p99 ${n(l.floorCreateMs.p99, 2)} ms`,
      `  created without the hook: ${l.createdWithoutHook}; failed webhook calls: ${l.failedCalls}; CPU ms per pod: devcluster ${n(l.cpuMsPerPod.devcluster, 2)} (floor ${n(l.cpuMsPerPod.floorDevcluster, 2)}), controller ${n(l.cpuMsPerPod.controller, 2)}`,
      ...(l.trivial ? trivialLines(l) : []),
      '',
    );
  const s = sections.status;
  if (s)
    out.push(
      `restore-hooks status at ${s.pods} pods / ${s.workloads} workloads: ${n(s.seconds.median, 2)} s (runs ${s.seconds.runs.join(', ')}), ${s.requests} requests (${kinds(s.requestsByKind)}), ${load(s.load)}`,
      '',
    );
  const b = sections.restoreSize;
  if (b)
    out.push(
      `Huge Restore (${b.hookResources} hook resources, ${n(b.restoreMB, 2)} MB), ${load(b.load)}: refused after ${n(b.refusedAfterS, 2)} s ("${b.refusal}")`,
      `  controller RSS: idle ${n(b.idleRssMiB)} MiB, refused ${n(b.refusedRssMiB)} MiB, peak ${n(b.peakRssMiB)} MiB, after deletion ${n(b.afterRssMiB)} MiB` +
        `; CPU in the 10 s after deletion ${n(b.cpuShareAfterDeletion * 100)}% of a core${b.steady ? '' : ' -- NOT at steady state'}`,
      '',
    );
  return out.join('\n');
}
