/**
 * `npm run bench`: restore-hooks measured end to end on this machine. The devcluster (simulated nodes, scheduler,
 * kubelet and workload controllers) and the controller run as separate processes, started as a user would start
 * them; the bench only creates objects, watches and counts. See docs/performance.md for what each figure means.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.ts';
import { execRun } from './exec.ts';
import type { ExecRunResult } from './exec.ts';
import { DEFAULT_SETTINGS } from '../../src/config/settings.ts';
import { PODS_PER_WORKLOAD, WORKLOADS_PER_NAMESPACE } from './fixtures.ts';
import { BenchClient, readKubeconfig } from './kube.ts';
import { latencyRun } from './latency.ts';
import type { LatencyRunResult } from './latency.ts';
import { memoryRun } from './memory.ts';
import { USAGE, UsageError, parseBenchArgs } from './options.ts';
import type { BenchOptions } from './options.ts';
import { profileInto, useControllerFrom } from './processes.ts';
import type { ControllerSettings } from './processes.ts';
import {
  SCHEMA,
  execFigures,
  formatLatency,
  formatReport,
  formatTargets,
  judge,
  latencyFigures,
  memoryFigures,
  sizeFigures,
} from './report.ts';
import type { BenchResult, Machine } from './report.ts';
import { FLOOR_AGENT } from './requests.ts';
import { restoreRun } from './restore-run.ts';
import { admissionRestoreRun } from './admission.ts';
import type { AdmissionRestoreResult, StatusRun } from './admission.ts';
import { admissionLatencyRun } from './admission-latency.ts';
import {
  formatRealAdmissionLatency,
  realAdmissionLatencyRun,
  realAdmissionLatencySummary,
} from './admission-latency-real.ts';
import type { RealAdmissionLatencyResult } from './admission-latency-real.ts';
import type { AdmissionLatencyRunResult } from './admission-latency.ts';
import { restoreSizeRun } from './restore-size.ts';
import {
  admissionLatencyFigures,
  admissionSizeFigures,
  formatAdmission,
  judgeAdmission,
  restoreSizeFigures,
  statusFigures,
} from './admission-report.ts';
import type { AdmissionSections, Load } from './admission-report.ts';
import { controllerCliPath } from './processes.ts';
import type { RestoreRunResult } from './restore-run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** Progress goes to stderr, so that stdout carries the report alone. */
const progress = (text: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

async function latencyPart(
  dir: string,
  options: BenchOptions,
  settings: ControllerSettings,
): Promise<BenchResult['latency']> {
  const runs: LatencyRunResult[] = [];
  for (let r = 0; r < options.repeats; r++)
    for (const mode of ['floor', 'controller'] as const) {
      progress(
        `latency at ${options.latencyRate} pods/s for ${options.latencySeconds} s, ${mode}, run ${r + 1}/${options.repeats}`,
      );
      runs.push(await latencyRun(dir, mode, settings, options.latencyRate, options.latencySeconds, 2));
    }
  return latencyFigures(runs);
}

/**
 * What every run does before it measures: the controller from the sources or `dist/` (built now), CPU profiles if
 * asked, the controller's settings, and a fresh work directory.
 */
function prepareRun(options: BenchOptions): {
  settings: { reconciles: number; qps: number; burst: number };
  dir: string;
} {
  useControllerFrom(options.controller);
  profileInto(options.profile);
  if (options.controller === 'dist') build();
  const settings = { reconciles: options.reconciles, qps: options.qps, burst: options.burst };
  return { settings, dir: mkdtempSync(join(tmpdir(), 'restore-hooks-bench-')) };
}

/** --latency-only: the latency figure alone, printed with the machine it ran on. */
async function runLatencyOnly(options: BenchOptions): Promise<string> {
  const started = machine();
  const { settings, dir } = prepareRun(options);
  try {
    const latency = await latencyPart(dir, options, settings);
    return [
      `restore-hooks bench (latency only), ${new Date().toISOString()}`,
      `machine: ${started.cpus} CPUs, Node ${started.node}, load average ${started.loadAverage1m} at start, ${loadavg()[0]!.toFixed(2)} at the end`,
      `settings: ${JSON.stringify({ ...settings, from: options.controller, repeats: options.repeats })}`,
      formatLatency(latency),
      '',
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** --admission-latency-real: the admission latency on a real control plane, as kube-apiserver times the calls. */
async function runAdmissionLatencyReal(options: BenchOptions): Promise<{ text: string; json: unknown }> {
  const started = machine();
  const date = new Date().toISOString();
  const { settings, dir } = prepareRun(options);
  try {
    const runs: (RealAdmissionLatencyResult & { load: Load })[] = [];
    for (let r = 0; r < options.repeats; r++)
      for (const webhook of ['trivial', 'restore-hooks'] as const) {
        progress(
          `real control plane: admission latency at ${options.admissionRate} pod creations/s for ${options.latencySeconds} s, ${webhook}, run ${r + 1}/${options.repeats}`,
        );
        const [run, load] = await withLoad(() =>
          realAdmissionLatencyRun(
            dir,
            webhook,
            settings,
            options.admissionRate,
            options.latencySeconds,
            2,
            progress,
          ),
        );
        runs.push({ ...run, load });
      }
    const text = [
      `restore-hooks bench (admission latency on a real control plane), ${date}`,
      `machine: ${started.cpus} CPUs, Node ${started.node}, load average ${started.loadAverage1m} at start, ${loadavg()[0]!.toFixed(2)} at the end`,
      `settings: ${JSON.stringify({ ...settings, from: options.controller, repeats: options.repeats, admissionRate: options.admissionRate, seconds: options.latencySeconds })}`,
      '',
      formatRealAdmissionLatency(runs),
      '',
    ].join('\n');
    return {
      text,
      json: {
        schema: `${SCHEMA}/admission-latency-real`,
        date,
        machine: started,
        runs: runs.map((r) => ({ ...realAdmissionLatencySummary(r), load: r.load })),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load1m = () => Math.round(loadavg()[0]! * 100) / 100;

/** Runs `f`, noting the load average at its start and end. */
async function withLoad<T>(f: () => Promise<T>): Promise<[T, Load]> {
  const start = load1m();
  const value = await f();
  return [value, { start, end: load1m() }];
}

/**
 * The admission path's sections: restores at `sizes` through the webhooks and without (floor), restore-hooks status
 * on the largest (`statusPods`: a restore of its own), the admission latency, the huge Restore. `parts` picks them.
 */
async function admissionPart(
  dir: string,
  options: BenchOptions,
  settings: ControllerSettings,
  parts: { restores: boolean; latency: boolean; status: boolean; restoreSize: boolean },
): Promise<AdmissionSections> {
  const sections: { -readonly [K in keyof AdmissionSections]: AdmissionSections[K] } = {};
  const cli = controllerCliPath();
  let statusRuns: StatusRun[] = [];
  let statusLoad: Load | undefined;
  if (parts.restores) {
    const sizes = [];
    for (const pods of options.sizes) {
      const workloads = pods / PODS_PER_WORKLOAD;
      const largest = pods === options.sizes.at(-1);
      const [runs, load] = await withLoad(async () => {
        const runs: AdmissionRestoreResult[] = [];
        for (let r = 0; r < options.repeats; r++)
          for (const mode of ['floor', 'admission'] as const) {
            progress(
              `admission: restore of ${pods} pods / ${workloads} workloads, ${mode}, run ${r + 1}/${options.repeats}`,
            );
            const status = parts.status && largest && mode === 'admission' && r === 0;
            const run = await admissionRestoreRun(dir, mode, workloads, settings, {
              ...(status ? { statusRepeats: options.repeats, cli } : {}),
            });
            progress(
              `  ${(run.totalMs / 1000).toFixed(2)} s, ${run.startedWithoutHooks} of ${run.podsStarted} started without hooks`,
            );
            if (run.status) {
              statusRuns = [...run.status];
              statusLoad = { start: load1m(), end: load1m() };
            }
            runs.push(run);
          }
        return runs;
      });
      sizes.push(admissionSizeFigures(runs, load));
    }
    sections.admission = { sizes };
  }
  if (parts.status && !parts.restores) {
    const workloads = options.statusPods / PODS_PER_WORKLOAD;
    progress(
      `status: a restore of ${options.statusPods} pods through the webhooks, then restore-hooks status`,
    );
    const [run, load] = await withLoad(() =>
      admissionRestoreRun(dir, 'admission', workloads, settings, {
        statusRepeats: options.repeats,
        cli,
        noWarmup: true,
      }),
    );
    statusRuns = [...(run.status ?? [])];
    statusLoad = load;
  }
  if (statusRuns.length > 0 && statusLoad) sections.status = statusFigures(statusRuns, statusLoad);
  if (parts.latency) {
    const [runs, load] = await withLoad(async () => {
      const runs: AdmissionLatencyRunResult[] = [];
      for (let r = 0; r < options.repeats; r++)
        for (const mode of ['floor', 'trivial', 'admission'] as const) {
          progress(
            `admission latency at ${options.admissionRate} pod creations/s for ${options.latencySeconds} s, ${mode}, run ${r + 1}/${options.repeats}`,
          );
          runs.push(
            await admissionLatencyRun(dir, mode, settings, options.admissionRate, options.latencySeconds, 2),
          );
        }
      return runs;
    });
    sections.admission = {
      sizes: sections.admission?.sizes ?? [],
      latency: admissionLatencyFigures(runs, load),
    };
  }
  if (parts.restoreSize) {
    progress(`a Restore of ${options.hookResources} hook resources: created, refused, deleted`);
    const [run, load] = await withLoad(() => restoreSizeRun(dir, settings, options.hookResources));
    sections.restoreSize = restoreSizeFigures(run, load);
  }
  return sections;
}

/** --admission-only, --status-only, --restore-size-only: one section, printed with its targets. */
async function runSectionOnly(options: BenchOptions): Promise<{ text: string; json: unknown }> {
  const started = machine();
  const date = new Date().toISOString();
  const { settings, dir } = prepareRun(options);
  try {
    const sections = await admissionPart(dir, options, settings, {
      restores: options.only === 'admission',
      latency: options.only === 'admission',
      status: options.only === 'status',
      restoreSize: options.only === 'restore-size',
    });
    const targets = judgeAdmission(sections).filter((t) => t.pass !== null);
    const text = [
      `restore-hooks bench (${options.only} only), ${date}`,
      `machine: ${started.cpus} CPUs, Node ${started.node}, load average ${started.loadAverage1m} at start, ${loadavg()[0]!.toFixed(2)} at the end`,
      `settings: ${JSON.stringify({ ...settings, from: options.controller, repeats: options.repeats, sizes: options.sizes, admissionRate: options.admissionRate, statusPods: options.statusPods, hookResources: options.hookResources })}`,
      '',
      formatAdmission(sections),
      formatTargets(targets),
      '',
    ].join('\n');
    return {
      text,
      json: { schema: `${SCHEMA}/${options.only ?? ''}`, date, machine: started, ...sections, targets },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function build(): void {
  progress('building the controller (npm run build: tsc -p tsconfig.build.json)');
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const started = machine();
  const date = new Date().toISOString();
  const { settings, dir } = prepareRun(options);
  const floorClient = async (kubeconfig: string) =>
    new BenchClient(await readKubeconfig(kubeconfig), FLOOR_AGENT, settings.reconciles);
  try {
    const sizes = [];
    for (const pods of options.sizes) {
      const workloads = pods / PODS_PER_WORKLOAD;
      const runs: RestoreRunResult[] = [];
      for (let r = 0; r < options.repeats; r++)
        for (const mode of ['floor', 'controller'] as const) {
          progress(
            `restore of ${pods} pods / ${workloads} workloads, ${mode}, run ${r + 1}/${options.repeats}`,
          );
          const run = await restoreRun(dir, mode, workloads, settings, floorClient);
          progress(`  ${(run.totalMs / 1000).toFixed(2)} s`);
          runs.push(run);
        }
      sizes.push(sizeFigures(runs));
    }
    const latency = await latencyPart(dir, options, settings);
    progress(`memory with ${options.unrelatedPods} unrelated pods`);
    const memory = memoryFigures(await memoryRun(dir, settings, options.unrelatedPods, options.repeats));
    const execRuns: ExecRunResult[] = [];
    for (let r = 0; r < options.repeats; r++) {
      progress(`exec hooks: ${options.execHooks} pods with one hook each, run ${r + 1}/${options.repeats}`);
      execRuns.push(await execRun(dir, settings, options.execHooks));
    }
    const exec = execFigures(execRuns, DEFAULT_SETTINGS.concurrency.execHooks);
    const admission = await admissionPart(dir, options, settings, {
      restores: true,
      latency: true,
      status: true,
      restoreSize: true,
    });
    return {
      schema: SCHEMA,
      date,
      machine: started,
      settings: {
        sizes: options.sizes,
        repeats: options.repeats,
        podsPerWorkload: PODS_PER_WORKLOAD,
        workloadsPerNamespace: WORKLOADS_PER_NAMESPACE,
        controller: { ...settings, from: options.controller },
        latency: { ratePerSecond: options.latencyRate, seconds: options.latencySeconds, warmupSeconds: 2 },
        unrelatedPods: options.unrelatedPods,
        execHooks: { hooksPerRun: options.execHooks, concurrency: DEFAULT_SETTINGS.concurrency.execHooks },
      },
      sizes,
      latency,
      memory,
      exec,
      ...admission,
      targets: [...judge(sizes, latency, memory), ...judgeAdmission(admission)],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A result saved with --json, its targets judged again by this version of the bench. */
function rejudge(path: string): BenchResult {
  const saved = JSON.parse(readFileSync(path, 'utf8')) as BenchResult;
  if (saved.schema !== SCHEMA)
    throw new Error(`${path}: not a ${SCHEMA} result (schema ${String(saved.schema)})`);
  return {
    ...saved,
    targets: [...judge(saved.sizes, saved.latency, saved.memory), ...judgeAdmission(saved)],
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.only) {
    const { text, json } = await runSectionOnly(options);
    process.stdout.write(text);
    if (options.json) writeFileSync(options.json, JSON.stringify(json, null, 2) + '\n');
    return 0;
  }
  if (options.admissionLatencyReal) {
    const { text, json } = await runAdmissionLatencyReal(options);
    process.stdout.write(text);
    if (options.json) writeFileSync(options.json, JSON.stringify(json, null, 2) + '\n');
    return 0;
  }
  if (options.latencyOnly) {
    process.stdout.write(await runLatencyOnly(options));
    return 0;
  }
  const result = options.fromJson ? rejudge(options.fromJson) : await runBench(options);
  process.stdout.write(formatReport(result));
  if (options.json) writeFileSync(options.json, JSON.stringify(result, null, 2) + '\n');
  if (options.svg) writeFileSync(options.svg, renderChart(result));
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  });
