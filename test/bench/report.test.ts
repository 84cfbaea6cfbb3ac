import { expect } from 'chai';
import type { LatencyRunResult } from '../../hack/bench/latency.ts';
import { formatLatency, judge, latencyFigures } from '../../hack/bench/report.ts';
import type { BenchResult, SizeFigures } from '../../hack/bench/report.ts';

const size = (pods: number, over: Partial<SizeFigures> = {}): SizeFigures => ({
  pods,
  workloads: pods / 5,
  controllerMs: { median: 1000, runs: [1000] },
  floorMs: { median: 1000, runs: [1000] },
  ratioToFloor: 1,
  templateHookMs: { p50: 10, p99: 20 },
  templateWritesPerWorkload: 1,
  writesPerWorkload: 2,
  writesByKind: {},
  statusWritesPerRestore: 1,
  statusWritesPerRestorePerSecond: 0.5,
  rssMiB: 100,
  heapMiB: 50,
  ...over,
});
const latency = (p99: number): BenchResult['latency'] => ({
  ratePerSecond: 100,
  podsPerRun: 10,
  achievedRatePerSecond: 100,
  hookWriteMs: { p50: p99 / 2, p99 },
  firstWriteMs: { p50: 1, p99: 2 },
});
const memory = (growthMiB: number): BenchResult['memory'] => ({
  unrelatedPods: 50_000,
  emptyRssMiB: 100,
  emptyHeapMiB: 40,
  withUnrelatedRssMiB: 100 + growthMiB,
  withUnrelatedHeapMiB: 40,
  rssGrowthMiB: growthMiB,
  heapGrowthMiB: 0,
});
const byId = (targets: ReturnType<typeof judge>) => Object.fromEntries(targets.map((t) => [t.id, t]));

describe('bench: targets', () => {
  it('judges the worst size for per-size targets, and the 10,000-pod size for the ratio and RSS', () => {
    const t = byId(
      judge(
        [
          size(100, { statusWritesPerRestorePerSecond: 0.4 }),
          size(1000, { statusWritesPerRestorePerSecond: 1.2, templateWritesPerWorkload: 1.5 }),
          size(10_000, { ratioToFloor: 1.2, rssMiB: 140 }),
        ],
        latency(49),
        memory(9),
      ),
    );
    expect(t['status-write-rate']).to.include({ value: 1.2, pass: false });
    expect(t['template-writes']).to.include({ value: 1.5, pass: false });
    expect(t['total-time-ratio']).to.include({ value: 1.2, pass: true });
    expect(t['rss-10k']).to.include({ pass: true }); // 140 MiB = 146.8 MB
    expect(t['latency-p99']).to.include({ value: 49, pass: true });
    expect(t['rss-growth-unrelated']).to.include({ pass: true }); // 9 MiB = 9.4 MB
  });

  it('fails each target just past its bound; MB are 10^6 bytes', () => {
    const t = byId(judge([size(10_000, { ratioToFloor: 1.26, rssMiB: 143.1 })], latency(50.1), memory(9.6)));
    expect(t['total-time-ratio']!.pass).to.equal(false);
    expect(t['rss-10k']!.pass).to.equal(false); // 143.1 MiB = 150.05 MB
    expect(t['latency-p99']!.pass).to.equal(false);
    expect(t['rss-growth-unrelated']!.pass).to.equal(false); // 9.6 MiB = 10.07 MB
  });

  it('does not judge what the run did not measure', () => {
    const t = byId(judge([size(100)], latency(10), memory(0)));
    expect(t['total-time-ratio']).to.include({ value: null, pass: null });
    expect(t['rss-10k']).to.include({ value: null, pass: null });
    expect(byId(judge([], latency(10), memory(0)))['status-write-rate']).to.include({ pass: null });
  });
});

describe('bench: latency figures', () => {
  const run = (mode: 'controller' | 'floor', latenciesMs: number[]): LatencyRunResult => ({
    mode,
    ratePerSecond: 100,
    pods: latenciesMs.length,
    achievedRatePerSecond: 99,
    latenciesMs,
    firstWriteMs: latenciesMs.map((l) => l / 2),
    requestsPerPod: mode === 'controller' ? { 'create pods': 1, 'delete pods': 1.5 } : { 'create pods': 1 },
    cpuMsPerPod: mode === 'controller' ? { devcluster: latenciesMs[0]!, controller: 7 } : { devcluster: 2 },
  });

  it('takes the hook-write figures from the controller runs and the floor from the floor runs', () => {
    const figures = latencyFigures([
      run('floor', [1, 2, 3]),
      run('controller', [10, 20, 30]),
      run('floor', [3, 4, 5]),
      run('controller', [30, 40, 50]),
    ]);
    expect(figures.hookWriteMs).to.deep.equal({ p50: 30, p99: 40 });
    expect(figures.floorHookWriteMs).to.deep.equal({ p50: 3, p99: 4 });
    expect(figures.requestsPerPod).to.deep.equal({ 'create pods': 1, 'delete pods': 1.5 });
    expect(figures.cpuMsPerPod).to.deep.equal({ devcluster: 20, floorDevcluster: 2, controller: 7 });
    expect(formatLatency(figures)).to.match(
      /floor \(a bare client .*\): hook write p50 3\.0 ms, p99 4\.0 ms/,
    );
  });

  it('has no floor figure when no floor run was made (results saved before the floor existed)', () => {
    const figures = latencyFigures([run('controller', [10])]);
    expect(figures).to.not.have.property('floorHookWriteMs');
    expect(formatLatency(figures)).to.not.match(/floor/);
  });
});
