/** The command line of `npm run bench`, parsed and validated; every problem names its flag. */
import { parseArgs } from 'node:util';
import { PODS_PER_WORKLOAD } from './fixtures.ts';

export interface BenchOptions {
  /** Restore sizes, in pods (workloads = pods / 5). */
  readonly sizes: readonly number[];
  readonly repeats: number;
  readonly json: string | undefined;
  readonly svg: string | undefined;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly unrelatedPods: number;
  readonly execHooks: number;
  readonly controller: 'dist' | 'src';
  readonly profile: string | undefined;
  /** Re-report a result saved with --json instead of measuring. */
  readonly fromJson: string | undefined;
  readonly reconciles: number;
  readonly qps: number;
  readonly burst: number;
  /** Measure only the latency figure (and its floor); no restores, memory or exec runs, no --json/--svg. */
  readonly latencyOnly: boolean;
  /** Measure only the admission latency on a real control plane, as kube-apiserver times the webhook calls. */
  readonly admissionLatencyReal: boolean;
  /** Measure only one of the sections of the admission path (restores and latency, status, huge Restore). */
  readonly only: 'admission' | 'status' | 'restore-size' | undefined;
  /** Pod creations per second for the admission latency figure. */
  readonly admissionRate: number;
  /** Restored pods for the status figure with --status-only (the full run uses the largest size). */
  readonly statusPods: number;
  /** Hook resources of the huge Restore. */
  readonly hookResources: number;

  readonly help: boolean;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- [flags]

Measures restore-hooks on the devcluster (separate processes) and prints a table of figures and targets.

  --sizes N,N,...        restore sizes in pods, multiples of ${PODS_PER_WORKLOAD} (default 100,1000,10000; ${PODS_PER_WORKLOAD} pods per workload)
  --repeats N            measured runs per figure; medians are reported (default 3)
  --quick                sizes 100,1000, 1 repeat, 5 s of latency, 5,000 unrelated pods, 200 exec hooks
                         (flags given win)
  --json FILE            also write the figures as JSON (shape: docs/performance.md)
  --svg FILE             also write the chart of latency and memory against restore size
  --latency-rate N       bare restored pods created per second for the latency figure (default 100)
  --latency-seconds N    how long they are created, after a warm-up of 2 s (default 10)
  --latency-only         measure only the latency figure and its floor, print them, and exit (no --json/--svg)
  --admission-only       only the admission path: restores at --sizes through the webhooks (and their floor), and
                         the admission latency at --admission-rate; --json writes the section
  --admission-rate N     pod creations per second for the admission latency figure (default 200)
  --admission-latency-real
                         only the admission latency on a real control plane (hack/real-cluster, kube-apiserver
                         1.20) at --admission-rate for --latency-seconds, --repeats times, as kube-apiserver's
                         apiserver_admission_webhook_admission_duration_seconds times the pod webhook
  --status-only          only restore-hooks status, on one restore of --status-pods through the webhooks
  --status-pods N        restored pods for --status-only, a multiple of ${PODS_PER_WORKLOAD} (default 10000)
  --restore-size-only    only the controller's memory when a Restore of --hook-resources hook resources is
                         created, refused by the limits, and deleted
  --hook-resources N     hook resources of that Restore (default 10000, about 2.4 MB)
  --unrelated N          unrelated running pods for the memory-growth figure (default 50000)
  --exec-hooks N         restored pods with one exec hook each for the exec figure (default 1000)
  --reconciles N         the controller's concurrency.reconciles, also the floor's concurrency (default 4)
  --qps N, --burst N     the controller's API client limit, also the floor's (default 1000, 2000: 100
                         replacements/s take about 630 requests/s)
  --controller dist|src  run the built controller (npm run build; as shipped) or the sources (default dist)
  --profile DIR          write --cpu-prof profiles of the devcluster and controller processes into DIR
  --from-json FILE       measure nothing: print the report of a result saved with --json (targets judged again),
                         and write --json/--svg from it
  --help                 this text`;

function positiveInteger(flag: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min)
    throw new UsageError(`--${flag}: expected an integer >= ${min}, got "${value}"`);
  return Number(value);
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '')
    throw new UsageError(`--${flag}: expected a file name, got ""`);
  return value;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        sizes: { type: 'string' },
        repeats: { type: 'string' },
        quick: { type: 'boolean' },
        json: { type: 'string' },
        svg: { type: 'string' },
        'latency-rate': { type: 'string' },
        'latency-seconds': { type: 'string' },
        'latency-only': { type: 'boolean' },
        'admission-only': { type: 'boolean' },
        'admission-rate': { type: 'string' },
        'admission-latency-real': { type: 'boolean' },
        'status-only': { type: 'boolean' },
        'status-pods': { type: 'string' },
        'restore-size-only': { type: 'boolean' },
        'hook-resources': { type: 'string' },
        unrelated: { type: 'string' },
        'exec-hooks': { type: 'string' },
        reconciles: { type: 'string' },
        qps: { type: 'string' },
        burst: { type: 'string' },
        controller: { type: 'string' },
        profile: { type: 'string' },
        'from-json': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const v = parsed.values;
  const quick = v.quick === true;
  let sizes = quick ? [100, 1000] : [100, 1000, 10_000];
  if (v.sizes !== undefined) {
    const parts = v.sizes.split(',').map((s) => s.trim());
    if (
      parts.length === 0 ||
      parts.some(
        (p) => !/^\d+$/.test(p) || Number(p) < PODS_PER_WORKLOAD || Number(p) % PODS_PER_WORKLOAD !== 0,
      )
    )
      throw new UsageError(
        `--sizes: expected a comma-separated list of pod counts, each a multiple of ${PODS_PER_WORKLOAD} (e.g. 100,1000), got "${v.sizes}"`,
      );
    sizes = [...new Set(parts.map(Number))].sort((a, b) => a - b);
  }
  const controller = v.controller ?? 'dist';
  if (controller !== 'dist' && controller !== 'src')
    throw new UsageError(`--controller: expected dist or src, got "${controller}"`);
  const latencyOnly = v['latency-only'] === true;
  if (latencyOnly && (v.json !== undefined || v.svg !== undefined || v['from-json'] !== undefined))
    throw new UsageError(
      '--latency-only: measures the latency figure alone, which --json, --svg and --from-json do not take',
    );
  if (v['admission-latency-real'] === true && (v.svg !== undefined || v['from-json'] !== undefined))
    throw new UsageError(
      '--admission-latency-real: measures one figure, which --svg and --from-json do not take',
    );
  const onlies = (
    [
      ['latency-only', undefined],
      ['admission-latency-real', undefined],
      ['admission-only', 'admission'],
      ['status-only', 'status'],
      ['restore-size-only', 'restore-size'],
    ] as const
  ).filter(([flag]) => v[flag] === true);
  if (onlies.length > 1)
    throw new UsageError(`--${onlies[0]![0]}: cannot be combined with --${onlies[1]![0]}`);
  const only = onlies[0]?.[1];
  if (only && v['from-json'] !== undefined)
    throw new UsageError(`--${onlies[0]![0]}: measures a section; --from-json re-reports a full result`);
  if (only && v.svg !== undefined)
    throw new UsageError(`--${onlies[0]![0]}: the chart (--svg) needs a full run`);
  const statusPods = positiveInteger('status-pods', v['status-pods'], 10_000, PODS_PER_WORKLOAD);
  if (statusPods % PODS_PER_WORKLOAD !== 0)
    throw new UsageError(`--status-pods: expected a multiple of ${PODS_PER_WORKLOAD}, got "${statusPods}"`);
  return {
    only,
    admissionRate: positiveInteger('admission-rate', v['admission-rate'], 200),
    statusPods,
    hookResources: positiveInteger('hook-resources', v['hook-resources'], 10_000),
    sizes,
    repeats: positiveInteger('repeats', v.repeats, quick ? 1 : 3),
    json: nonEmpty('json', v.json),
    svg: nonEmpty('svg', v.svg),
    latencyRate: positiveInteger('latency-rate', v['latency-rate'], 100),
    latencySeconds: positiveInteger('latency-seconds', v['latency-seconds'], quick ? 5 : 10),
    unrelatedPods: positiveInteger('unrelated', v.unrelated, quick ? 5000 : 50_000),
    execHooks: positiveInteger('exec-hooks', v['exec-hooks'], quick ? 200 : 1000),
    reconciles: positiveInteger('reconciles', v.reconciles, 4),
    qps: positiveInteger('qps', v.qps, 1000),
    burst: positiveInteger('burst', v.burst, 2000),
    controller,
    profile: nonEmpty('profile', v.profile),
    fromJson: nonEmpty('from-json', v['from-json']),
    latencyOnly,
    admissionLatencyReal: v['admission-latency-real'] === true,
    help: v.help === true,
  };
}
