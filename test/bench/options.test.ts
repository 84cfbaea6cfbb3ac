import { expect } from 'chai';
import { UsageError, parseBenchArgs } from '../../hack/bench/options.ts';
import { median, percentile } from '../../hack/bench/stats.ts';

describe('bench: command line', () => {
  it('defaults to the full run: 100, 1,000 and 10,000 pods, 3 repeats, 50,000 unrelated pods', () => {
    expect(parseBenchArgs([])).to.include({
      repeats: 3,
      latencyRate: 100,
      latencySeconds: 10,
      unrelatedPods: 50_000,
      controller: 'dist',
      json: undefined,
    });
    expect(parseBenchArgs([]).sizes).to.deep.equal([100, 1000, 10_000]);
  });

  it('--quick shrinks the run, and explicit flags win over it', () => {
    const quick = parseBenchArgs(['--quick']);
    expect(quick.sizes).to.deep.equal([100, 1000]);
    expect(quick).to.include({ repeats: 1, latencySeconds: 5, unrelatedPods: 5000, execHooks: 200 });
    expect(parseBenchArgs(['--quick', '--repeats', '2', '--sizes', '20']).sizes).to.deep.equal([20]);
    expect(parseBenchArgs(['--quick', '--repeats', '2']).repeats).to.equal(2);
  });

  it('sorts and de-duplicates sizes, and reads every numeric flag', () => {
    const o = parseBenchArgs([
      '--sizes=1000, 100,1000',
      '--latency-rate',
      '50',
      '--unrelated',
      '10',
      '--json',
      'out.json',
      '--controller',
      'src',
    ]);
    expect(o.sizes).to.deep.equal([100, 1000]);
    expect(o).to.include({ latencyRate: 50, unrelatedPods: 10, json: 'out.json', controller: 'src' });
  });

  it('--latency-only measures the latency figure alone', () => {
    expect(parseBenchArgs([]).latencyOnly).to.equal(false);
    expect(parseBenchArgs(['--latency-only', '--repeats', '2'])).to.include({
      latencyOnly: true,
      repeats: 2,
    });
  });

  it('--admission-latency-real measures the admission latency on a real control plane alone', () => {
    expect(parseBenchArgs([]).admissionLatencyReal).to.equal(false);
    expect(
      parseBenchArgs(['--admission-latency-real', '--admission-rate', '50', '--json', 'r.json']),
    ).to.include({ admissionLatencyReal: true, admissionRate: 50, json: 'r.json' });
  });

  const bad: [string[], RegExp][] = [
    [['--admission-latency-real', '--svg', 'x.svg'], /^--admission-latency-real: /],
    [['--admission-latency-real', '--admission-only'], /--admission-latency-real: cannot be combined/],
    [['--latency-only', '--json', 'x.json'], /^--latency-only: .*--json/],
    [['--latency-only', '--svg', 'x.svg'], /^--latency-only: /],
    [['--sizes', '7'], /^--sizes: .*multiple of 5.*"7"/],
    [['--sizes', '100,abc'], /^--sizes: /],
    [['--sizes', ''], /^--sizes: /],
    [['--repeats', '0'], /^--repeats: expected an integer >= 1, got "0"/],
    [['--repeats', '1.5'], /^--repeats: /],
    [['--latency-rate', '-3'], /--latency-rate/],
    [['--unrelated', 'many'], /^--unrelated: /],
    [['--exec-hooks', '0'], /^--exec-hooks: /],
    [['--controller', 'docker'], /^--controller: expected dist or src, got "docker"/],
    [['--json', ''], /^--json: /],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--repeats'], /--repeats/],
    [['positional'], /positional/i],
  ];
  for (const [argv, message] of bad)
    it(`rejects ${argv.join(' ') || '(empty)'} naming the flag`, () => {
      expect(() => parseBenchArgs(argv))
        .to.throw(UsageError)
        .with.property('message')
        .that.matches(message);
    });
});

describe('bench: statistics', () => {
  const cases: [number[], number, number, number][] = [
    // values, median, p50, p99
    [[3], 3, 3, 3],
    [[1, 2], 1.5, 1, 2],
    [[5, 1, 3], 3, 3, 5],
    [Array.from({ length: 100 }, (_, i) => 100 - i), 50.5, 50, 99],
  ];
  for (const [values, med, p50, p99] of cases)
    it(`median ${med}, p50 ${p50}, p99 ${p99} of ${values.length} values`, () => {
      expect(median(values)).to.equal(med);
      expect(percentile(values, 50)).to.equal(p50);
      expect(percentile(values, 99)).to.equal(p99);
    });
  it('is NaN for no values', () => {
    expect(Number.isNaN(median([]))).to.equal(true);
    expect(Number.isNaN(percentile([], 99))).to.equal(true);
  });
});
