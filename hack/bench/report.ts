/** The figures of a bench run: summarised from the raw runs, judged against the targets, printed as a table. */
import type { ExecFigure, ExecRunResult } from './exec.ts';
import type { LatencyRunResult, RateLimiterHold } from './latency.ts';
import type { MemoryRunResult } from './memory.ts';
import type { RestoreRunResult } from './restore-run.ts';
import { MiB, median, percentile, round } from './stats.ts';
import { formatAdmission } from './admission-report.ts';
import type { AdmissionSections } from './admission-report.ts';

export const SCHEMA = 'restore-hooks-bench/1';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly totalMemoryMiB: number;
  /** 1-minute load average when the bench started: other work on the machine. */
  readonly loadAverage1m: number;
}

export interface SizeFigures {
  readonly pods: number;
  readonly workloads: number;
  readonly controllerMs: { readonly median: number; readonly runs: readonly number[] };
  readonly floorMs: { readonly median: number; readonly runs: readonly number[] };
  readonly ratioToFloor: number;
  /** Time from the restore's start to each workload's template carrying the hook (median over runs). */
  readonly templateHookMs: { readonly p50: number; readonly p99: number };
  readonly templateWritesPerWorkload: number;
  readonly writesPerWorkload: number;
  readonly writesByKind: Readonly<Record<string, number>>;
  /** The controller's get and list requests per workload, by kind (absent from results of schema 1 before they were counted). */
  readonly readsPerWorkload?: number;
  readonly readsByKind?: Readonly<Record<string, number>>;
  /**
   * CPU seconds spent in the measured window (medians): the devcluster with the controller, the devcluster with the
   * floor, and the controller (absent from earlier results). They hardly change with the machine's load.
   */
  readonly cpuS?: {
    readonly devcluster: number;
    readonly floorDevcluster: number;
    readonly controller: number;
  };
  readonly statusWritesPerRestore: number;
  readonly statusWritesPerRestorePerSecond: number;
  /** At steady state after the restore: queues empty, medians of 5 scrapes (results before it was so: 2 s after). */
  readonly rssMiB: number;
  readonly heapMiB: number;
  /** The highest RSS scraped during the restore and until steady state (absent from earlier results). */
  readonly rssPeakMiB?: number;
  /** Seconds from every pod hooked (+2 s) to the controller's queues being empty. */
  readonly quietAfterS?: number;
  /** False when a run's queues did not empty within the bench's wait: its memory is not at steady state. */
  readonly steady?: boolean;
}

export interface Target {
  readonly id: string;
  readonly description: string;
  readonly target: string;
  readonly value: number | null;
  readonly unit: string;
  /** null: not measured in this run (e.g. the size was not run). */
  readonly pass: boolean | null;
}

/** The admission path's sections (absent from results saved before they were measured). */
export interface BenchResult extends AdmissionSections {
  readonly schema: typeof SCHEMA;
  readonly date: string;
  readonly machine: Machine;
  readonly settings: Record<string, unknown>;
  readonly sizes: readonly SizeFigures[];
  readonly latency: {
    readonly ratePerSecond: number;
    readonly podsPerRun: number;
    readonly achievedRatePerSecond: number;
    readonly hookWriteMs: { readonly p50: number; readonly p99: number };
    readonly firstWriteMs: { readonly p50: number; readonly p99: number };
    /** The same pods replaced by a bare client making only the necessary writes (absent from earlier results). */
    readonly floorHookWriteMs?: { readonly p50: number; readonly p99: number };
    /**
     * CPU milliseconds per replaced pod: the devcluster's with the controller and with the floor, and the
     * controller's (Linux only; absent from earlier results).
     */
    readonly cpuMsPerPod?: {
      readonly devcluster?: number;
      readonly floorDevcluster?: number;
      readonly controller?: number;
    };
    /** The controller's requests per replaced pod, by kind (absent from results saved before they were counted). */
    readonly requestsPerPod?: Readonly<Record<string, number>>;
    /** How the controller's client-side rate limit held its requests (absent from earlier results). */
    readonly rateLimiter?: RateLimiterHold;
  };
  readonly memory: {
    readonly unrelatedPods: number;
    readonly emptyRssMiB: number;
    readonly emptyHeapMiB: number;
    readonly withUnrelatedRssMiB: number;
    readonly withUnrelatedHeapMiB: number;
    readonly rssGrowthMiB: number;
    readonly heapGrowthMiB: number;
  };
  readonly exec: ExecFigure;
  readonly targets: readonly Target[];
}

const medianOf = <T>(items: readonly T[], f: (t: T) => number) => median(items.map(f));

export function sizeFigures(runs: readonly RestoreRunResult[]): SizeFigures {
  const controller = runs.filter((r) => r.mode === 'controller');
  const floor = runs.filter((r) => r.mode === 'floor');
  const first = controller[0] ?? floor[0];
  if (!first || controller.length === 0 || floor.length === 0)
    throw new Error('a size needs at least one controller run and one floor run');
  const controllerMedian = medianOf(controller, (r) => r.totalMs);
  const floorMedian = medianOf(floor, (r) => r.totalMs);
  const perWorkload = (pick: (r: RestoreRunResult) => Readonly<Record<string, number>>) => {
    const kinds: Record<string, number> = {};
    for (const r of controller)
      for (const [k, n] of Object.entries(pick(r)))
        kinds[k] = (kinds[k] ?? 0) + n / controller.length / r.workloads;
    return Object.fromEntries(Object.entries(kinds).map(([k, n]) => [k, round(n, 3)]));
  };
  return {
    pods: first.pods,
    workloads: first.workloads,
    controllerMs: { median: round(controllerMedian), runs: controller.map((r) => round(r.totalMs)) },
    floorMs: { median: round(floorMedian), runs: floor.map((r) => round(r.totalMs)) },
    ratioToFloor: round(controllerMedian / floorMedian, 2),
    templateHookMs: {
      p50: round(medianOf(controller, (r) => percentile(r.templateHookedMs, 50))),
      p99: round(medianOf(controller, (r) => percentile(r.templateHookedMs, 99))),
    },
    templateWritesPerWorkload: round(
      medianOf(controller, (r) => r.writes.controller.templates / r.workloads),
      3,
    ),
    writesPerWorkload: round(
      medianOf(controller, (r) => r.writes.controller.total / r.workloads),
      2,
    ),
    writesByKind: perWorkload((r) => r.writes.controller.byKind),
    readsPerWorkload: round(
      medianOf(controller, (r) => r.writes.controllerReads.total / r.workloads),
      2,
    ),
    readsByKind: perWorkload((r) => r.writes.controllerReads.byKind),
    cpuS: {
      devcluster: round(
        medianOf(controller, (r) => (r.cpuMs?.devcluster ?? NaN) / 1000),
        2,
      ),
      floorDevcluster: round(
        medianOf(floor, (r) => (r.cpuMs?.devcluster ?? NaN) / 1000),
        2,
      ),
      controller: round(
        medianOf(controller, (r) => (r.cpuMs?.controller ?? NaN) / 1000),
        2,
      ),
    },
    statusWritesPerRestore: medianOf(controller, (r) => r.writes.controller.restoreStatus),
    statusWritesPerRestorePerSecond: round(
      medianOf(controller, (r) => r.writes.controller.restoreStatus / r.windowSeconds),
      2,
    ),
    rssMiB: round(medianOf(controller, (r) => (r.rssBytes ?? NaN) / MiB)),
    heapMiB: round(medianOf(controller, (r) => (r.heapUsedBytes ?? NaN) / MiB)),
    rssPeakMiB: round(medianOf(controller, (r) => (r.rssPeakBytes ?? NaN) / MiB)),
    quietAfterS: round(medianOf(controller, (r) => (r.quietAfterMs ?? NaN) / 1000)),
    steady: controller.every((r) => r.steady === true),
  };
}

export function latencyFigures(all: readonly LatencyRunResult[]): BenchResult['latency'] {
  const runs = all.filter((r) => r.mode === 'controller');
  const floor = all.filter((r) => r.mode === 'floor');
  return {
    ratePerSecond: runs[0]?.ratePerSecond ?? NaN,
    podsPerRun: runs[0]?.pods ?? 0,
    achievedRatePerSecond: round(medianOf(runs, (r) => r.achievedRatePerSecond)),
    hookWriteMs: {
      p50: round(medianOf(runs, (r) => percentile(r.latenciesMs, 50))),
      p99: round(medianOf(runs, (r) => percentile(r.latenciesMs, 99))),
    },
    firstWriteMs: {
      p50: round(medianOf(runs, (r) => percentile(r.firstWriteMs, 50))),
      p99: round(medianOf(runs, (r) => percentile(r.firstWriteMs, 99))),
    },
    ...(floor.length > 0
      ? {
          floorHookWriteMs: {
            p50: round(medianOf(floor, (r) => percentile(r.latenciesMs, 50))),
            p99: round(medianOf(floor, (r) => percentile(r.latenciesMs, 99))),
          },
        }
      : {}),
    cpuMsPerPod: Object.fromEntries(
      (
        [
          ['devcluster', runs, (r) => r.cpuMsPerPod.devcluster],
          ['floorDevcluster', floor, (r) => r.cpuMsPerPod.devcluster],
          ['controller', runs, (r) => r.cpuMsPerPod.controller],
        ] as const satisfies readonly (readonly [
          string,
          readonly LatencyRunResult[],
          (r: LatencyRunResult) => number | undefined,
        ])[]
      ).flatMap(([k, rs, f]) => {
        const values = rs.map(f).filter((v): v is number => v !== undefined);
        return values.length > 0 ? [[k, round(median(values), 2)]] : [];
      }),
    ),
    ...(runs.every((r) => r.rateLimiter)
      ? {
          rateLimiter: {
            heldShare: round(
              medianOf(runs, (r) => r.rateLimiter!.heldShare),
              3,
            ),
            heldMsPerPod: round(
              medianOf(runs, (r) => r.rateLimiter!.heldMsPerPod),
              2,
            ),
          },
        }
      : {}),
    requestsPerPod: Object.fromEntries(
      [...new Set(runs.flatMap((r) => Object.keys(r.requestsPerPod)))].sort().map((k) => [
        k,
        round(
          medianOf(runs, (r) => r.requestsPerPod[k] ?? 0),
          2,
        ),
      ]),
    ),
  };
}

export function execFigures(runs: readonly ExecRunResult[], concurrency: number): ExecFigure {
  if (runs.length === 0) return { available: false, reason: 'not run' };
  return {
    available: true,
    concurrency,
    hooksPerRun: runs[0]!.hooks,
    hooksPerSecond: round(medianOf(runs, (r) => r.hooks / r.seconds)),
  };
}

export function memoryFigures(run: MemoryRunResult): BenchResult['memory'] {
  const emptyRss = medianOf(run.empty, (s) => s.rssBytes) / MiB;
  const emptyHeap = medianOf(run.empty, (s) => s.heapUsedBytes) / MiB;
  const rss = medianOf(run.withUnrelated, (s) => s.rssBytes) / MiB;
  const heap = medianOf(run.withUnrelated, (s) => s.heapUsedBytes) / MiB;
  return {
    unrelatedPods: run.unrelatedPods,
    emptyRssMiB: round(emptyRss),
    emptyHeapMiB: round(emptyHeap),
    withUnrelatedRssMiB: round(rss),
    withUnrelatedHeapMiB: round(heap),
    rssGrowthMiB: round(rss - emptyRss),
    heapGrowthMiB: round(heap - emptyHeap),
  };
}

const MB = 1e6 / MiB; // the targets are in MB (10^6 bytes); figures are in MiB

export function judge(
  sizes: readonly SizeFigures[],
  latency: BenchResult['latency'],
  memory: BenchResult['memory'],
): Target[] {
  const at10k = sizes.find((s) => s.pods === 10_000);
  const check = (value: number | null | undefined, ok: (v: number) => boolean) =>
    value === null || value === undefined || Number.isNaN(value) ? null : ok(value);
  const worst = (f: (s: SizeFigures) => number, pick: (a: number, b: number) => number) =>
    sizes.length ? sizes.map(f).reduce((a, b) => pick(a, b)) : null;
  // The size whose template writes per workload are farthest from the ideal 1.0.
  const templateWorst = sizes.length
    ? sizes
        .map((s) => s.templateWritesPerWorkload)
        .reduce((a, b) => (Math.abs(b - 1) > Math.abs(a - 1) ? b : a))
    : null;
  const statusRate = worst((s) => s.statusWritesPerRestorePerSecond, Math.max);
  return [
    {
      id: 'total-time-ratio',
      description: 'time until every pod has its hooks, at 10,000 pods / 2,000 workloads, over the floor',
      target: '<= 1.25 x floor',
      value: at10k?.ratioToFloor ?? null,
      unit: 'x floor',
      pass: check(at10k?.ratioToFloor, (v) => v <= 1.25),
    },
    {
      id: 'template-writes',
      description: 'template writes per hooked workload (every size)',
      target: '= 1.0',
      value: templateWorst,
      unit: 'writes',
      pass: check(templateWorst, (v) => v === 1),
    },
    {
      id: 'status-write-rate',
      description: 'status writes per restore per second (worst size)',
      target: '<= 1',
      value: statusRate,
      unit: 'writes/s',
      pass: check(statusRate, (v) => v <= 1),
    },
    {
      id: 'latency-p99',
      description: `p99 from a pending pod appearing to its hook write, at ${latency.ratePerSecond} pods/s`,
      target: '<= 50 ms',
      value: latency.hookWriteMs.p99,
      unit: 'ms',
      pass: check(latency.hookWriteMs.p99, (v) => v <= 50),
    },
    {
      id: 'rss-10k',
      description: 'controller RSS with 10,000 restored pods',
      target: '<= 150 MB',
      value: at10k ? round(at10k.rssMiB / MB) : null,
      unit: 'MB',
      pass: check(at10k?.rssMiB, (v) => v / MB <= 150),
    },
    {
      id: 'rss-growth-unrelated',
      description: `controller RSS growth with ${memory.unrelatedPods.toLocaleString('en')} unrelated pods`,
      target: '<= 10 MB',
      value: round(memory.rssGrowthMiB / MB),
      unit: 'MB',
      pass: check(memory.rssGrowthMiB, (v) => v / MB <= 10),
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

export function formatLatency(latency: BenchResult['latency']): string {
  return (
    `Latency at ${latency.ratePerSecond} bare restored pods/s (achieved ${n(latency.achievedRatePerSecond)}/s, ${latency.podsPerRun} pods per run):` +
    ` hook write p50 ${n(latency.hookWriteMs.p50)} ms, p99 ${n(latency.hookWriteMs.p99)} ms;` +
    ` first write p50 ${n(latency.firstWriteMs.p50)} ms, p99 ${n(latency.firstWriteMs.p99)} ms` +
    (latency.floorHookWriteMs
      ? `\nfloor (a bare client making the same necessary writes): hook write p50 ${n(latency.floorHookWriteMs.p50)} ms, p99 ${n(latency.floorHookWriteMs.p99)} ms`
      : '') +
    (latency.cpuMsPerPod && Object.keys(latency.cpuMsPerPod).length > 0
      ? `\nCPU ms per replaced pod: ${Object.entries(latency.cpuMsPerPod)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`
      : '') +
    (latency.requestsPerPod
      ? `\ncontroller requests per replaced pod: ${Object.entries(latency.requestsPerPod)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`
      : '') +
    (latency.rateLimiter
      ? `\ncontroller's client rate limit (api.qps): ${n(latency.rateLimiter.heldShare * 100)}% of requests held 1 ms or more, ${n(latency.rateLimiter.heldMsPerPod, 2)} ms held per replaced pod`
      : '')
  );
}

export function formatReport(result: BenchResult): string {
  const m = result.machine;
  const out: string[] = [
    `restore-hooks bench, ${result.date}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.totalMemoryMiB} MiB, ${m.platform}, Node ${m.node}, load average ${m.loadAverage1m} at start`,
    `settings: ${JSON.stringify(result.settings)}`,
    '',
    'Restores (medians; controller and floor alternate, each on a fresh devcluster, after a warm-up restore)',
    table(
      [
        'pods',
        'workloads',
        'controller s',
        'floor s',
        'ratio',
        'template writes/wl',
        'writes/wl',
        'status writes',
        'status/s',
        'template hooked p50/p99 ms',
        'RSS MiB',
        'heap MiB',
        'RSS peak MiB',
      ],
      result.sizes.map((s) => [
        String(s.pods),
        String(s.workloads),
        n(s.controllerMs.median / 1000, 2),
        n(s.floorMs.median / 1000, 2),
        n(s.ratioToFloor, 2),
        n(s.templateWritesPerWorkload, 2),
        n(s.writesPerWorkload, 2),
        String(s.statusWritesPerRestore),
        n(s.statusWritesPerRestorePerSecond, 2),
        `${n(s.templateHookMs.p50, 0)} / ${n(s.templateHookMs.p99, 0)}`,
        n(s.rssMiB),
        n(s.heapMiB),
        n(s.rssPeakMiB ?? NaN),
      ]),
    ),
    'RSS and heap: at steady state after the restore (every work queue empty, medians of 5 scrapes a second apart);' +
      ' RSS peak: the highest RSS scraped every second from the start of the restore.',
    '',
    ...result.sizes.flatMap((s) => [
      `memory at ${s.pods} pods: queues empty ${n(s.quietAfterS ?? NaN)} s after every pod was hooked (+2 s)` +
        (s.steady === false ? ' -- NOT at steady state: a run never emptied its queues' : ''),
      `writes per workload at ${s.pods} pods: ${Object.entries(s.writesByKind)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      `reads per workload at ${s.pods} pods: ${Object.entries(s.readsByKind ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      ...(s.cpuS
        ? [
            `CPU s in the window at ${s.pods} pods: devcluster ${n(s.cpuS.devcluster)} (with the floor ${n(s.cpuS.floorDevcluster)}), controller ${n(s.cpuS.controller)}`,
          ]
        : []),
    ]),
    '',
    formatLatency(result.latency),
    `Memory, idle controller: empty cluster RSS ${n(result.memory.emptyRssMiB)} MiB, heap ${n(result.memory.emptyHeapMiB)} MiB;` +
      ` with ${result.memory.unrelatedPods} unrelated pods RSS ${n(result.memory.withUnrelatedRssMiB)} MiB, heap ${n(result.memory.withUnrelatedHeapMiB)} MiB` +
      ` (growth ${n(result.memory.rssGrowthMiB)} MiB RSS, ${n(result.memory.heapGrowthMiB)} MiB heap)`,
    `Exec hooks per second: ${
      result.exec.available
        ? `${n(result.exec.hooksPerSecond)} at concurrency.execHooks ${result.exec.concurrency} (${result.exec.hooksPerRun} pods with one hook each)`
        : `n/a (${result.exec.reason})`
    }`,
    '',
    formatAdmission(result),
    formatTargets(result.targets),
  ];
  return out.join('\n') + '\n';
}

export function formatTargets(targets: readonly Target[]): string {
  return [
    'Targets',
    table(
      ['target', 'figure', 'result'],
      targets.map((t) => [
        `${t.description}: ${t.target}`,
        t.value === null ? 'n/a' : `${t.value} ${t.unit}`,
        t.pass === null ? 'not measured' : t.pass ? 'pass' : 'MISS',
      ]),
    ),
  ].join('\n');
}
