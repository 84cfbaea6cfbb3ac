import { expect } from 'chai';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import {
  EXEC_DURATION_BUCKETS,
  HookMetrics,
  METRIC_NAMES,
  RELIST_REASONS,
  SKIP_REASONS,
  createMetricsRegistry,
} from '../../src/telemetry/metrics.ts';
import type { SkipReason } from '../../src/telemetry/metrics.ts';
import { parseExposition } from '../helpers/exposition.ts';

async function scrape(registry: Registry) {
  return parseExposition(await registry.metrics());
}

describe('telemetry: metrics', () => {
  it('the registry carries Node process and runtime metrics', async () => {
    const families = await scrape(createMetricsRegistry());
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(families.has(name), name).to.equal(true);
    }
  });

  it('declares every restore_hooks_* metric with its type, labels and help', async () => {
    const registry = new Registry();
    const m = new HookMetrics(registry);
    const hook = { restore: 'r1', namespace: 'app', kind: 'Deployment', source: 'spec' } as const;
    m.hookInjected(hook, 2);
    m.hookExecuted({ ...hook, source: 'annotation' });
    m.hookFailed({ ...hook, type: 'exec' });
    m.hookSkipped({ restore: 'r1', namespace: 'app', kind: 'Job', reason: 'job-owned' });
    m.execAttemptFinished('timeout', 30);
    m.podReplaced({ restore: 'r1', namespace: 'app', kind: 'Pod' });
    m.templatePatched({ restore: 'r1', namespace: 'app', kind: 'StatefulSet' });
    m.templateCleaned({ restore: 'r1', namespace: 'app', kind: 'StatefulSet' });
    m.setRestoresActive(3);
    m.informerRestarted('pods');
    m.informerRelisted('restores', 'expired');
    m.heapReleased(100 * 2 ** 20, 40 * 2 ** 20);
    m.heapReleased(10, 20); // a release that freed nothing counts 0 bytes, never a negative amount
    const f = await scrape(registry);

    const want: Array<[string, string, Record<string, string>, number]> = [
      [
        METRIC_NAMES.hooksInjected,
        'counter',
        { restore: 'r1', namespace: 'app', kind: 'Deployment', source: 'spec' },
        2,
      ],
      [
        METRIC_NAMES.hooksExecuted,
        'counter',
        { restore: 'r1', namespace: 'app', kind: 'Deployment', source: 'annotation' },
        1,
      ],
      [
        METRIC_NAMES.hooksFailed,
        'counter',
        { restore: 'r1', namespace: 'app', kind: 'Deployment', source: 'spec', type: 'exec' },
        1,
      ],
      [
        METRIC_NAMES.hooksSkipped,
        'counter',
        { restore: 'r1', namespace: 'app', kind: 'Job', reason: 'job-owned' },
        1,
      ],
      [METRIC_NAMES.podsReplaced, 'counter', { restore: 'r1', namespace: 'app', kind: 'Pod' }, 1],
      [METRIC_NAMES.templatesPatched, 'counter', { restore: 'r1', namespace: 'app', kind: 'StatefulSet' }, 1],
      [METRIC_NAMES.templatesCleaned, 'counter', { restore: 'r1', namespace: 'app', kind: 'StatefulSet' }, 1],
      [METRIC_NAMES.restoresActive, 'gauge', {}, 3],
      [METRIC_NAMES.informerRestarts, 'counter', { resource: 'pods' }, 1],
      [METRIC_NAMES.informerRelists, 'counter', { resource: 'restores', reason: 'expired' }, 1],
      [METRIC_NAMES.heapReleases, 'counter', {}, 2],
      [METRIC_NAMES.heapReleasedBytes, 'counter', {}, 60 * 2 ** 20],
    ];
    for (const [name, type, labels, value] of want) {
      const family = f.get(name);
      expect(family, name).to.not.equal(undefined);
      expect(family!.type, name).to.equal(type);
      expect(family!.help, name).to.not.equal('');
      expect(family!.samples, name).to.deep.equal([{ name, labels, value }]);
    }

    const histogram = f.get(METRIC_NAMES.execDuration)!;
    expect(histogram.type).to.equal('histogram');
    const buckets = histogram.samples.filter((s) => s.name.endsWith('_bucket'));
    expect(buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)))).to.deep.equal([
      ...EXEC_DURATION_BUCKETS,
      Infinity,
    ]);
    expect(buckets.map((b) => b.value)).to.deep.equal(
      EXEC_DURATION_BUCKETS.map((le) => (le >= 30 ? 1 : 0)).concat(1),
    );
    expect(histogram.samples.find((s) => s.name.endsWith('_sum'))).to.deep.include({
      value: 30,
      labels: { result: 'timeout' },
    });
    expect(Object.values(METRIC_NAMES).every((n) => f.has(n))).to.equal(true);
  });

  it('reports kinds outside the known workload kinds as Other', async () => {
    const registry = new Registry();
    new HookMetrics(registry).templatePatched({ restore: 'r', namespace: 'n', kind: 'Rollout' });
    const [sample] = (await scrape(registry)).get(METRIC_NAMES.templatesPatched)!.samples;
    expect(sample!.labels.kind).to.equal('Other');
  });

  it('refuses label values outside their enumeration, and empty names', () => {
    const m = new HookMetrics(new Registry());
    expect(() =>
      m.hookSkipped({ restore: 'r', namespace: 'n', kind: 'Pod', reason: 'pod-xyz-123' as SkipReason }),
    ).to.throw(RangeError, /reason/);
    expect(() =>
      m.hookInjected({ restore: 'r', namespace: 'n', kind: 'Pod', source: 'pod' as 'spec' }),
    ).to.throw(RangeError, /source/);
    expect(() => m.execAttemptFinished('maybe' as 'success', 1)).to.throw(RangeError, /result/);
    expect(() => m.informerRelisted('Pods in app', 'expired')).to.throw(RangeError, /resource/);
    expect(() => m.informerRelisted('pods', 'periodic' as 'expired')).to.throw(RangeError, /reason/);
    expect(() => m.podReplaced({ restore: '', namespace: 'n', kind: 'Pod' })).to.throw(RangeError, /restore/);
  });

  it('forgetRestore drops exactly that restore’s series', async () => {
    const registry = new Registry();
    const m = new HookMetrics(registry);
    for (const restore of ['a', 'b']) {
      m.hookInjected({ restore, namespace: 'app', kind: 'Deployment', source: 'spec' });
      m.hookSkipped({ restore, namespace: 'app', kind: 'Pod', reason: 'already-running' });
    }
    m.forgetRestore('a');
    m.forgetRestore('never-seen');
    const f = await scrape(registry);
    for (const name of [METRIC_NAMES.hooksInjected, METRIC_NAMES.hooksSkipped]) {
      expect(f.get(name)!.samples.map((s) => s.labels.restore)).to.deep.equal(['b']);
    }
  });

  it('property: label values only ever come from the inputs and the enumerations, and forgetting every restore leaves no restore series', async () => {
    const call = fc.record({
      restore: fc.constantFrom('r1', 'r2', 'r3'),
      namespace: fc.constantFrom('app', 'db'),
      kind: fc.string({ maxLength: 12 }),
      reason: fc.constantFrom(...SKIP_REASONS),
      which: fc.integer({ min: 0, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(call, { maxLength: 40 }), async (calls) => {
        const registry = new Registry();
        const m = new HookMetrics(registry);
        for (const c of calls) {
          const w = { restore: c.restore, namespace: c.namespace, kind: c.kind };
          [
            () => m.hookInjected({ ...w, source: 'spec' }),
            () => m.hookExecuted({ ...w, source: 'annotation' }),
            () => m.hookFailed({ ...w, source: 'spec', type: 'init' }),
            () => m.hookSkipped({ ...w, reason: c.reason }),
            () => m.podReplaced(w),
            () => m.templatePatched(w),
          ][c.which]!();
        }
        const families = await scrape(registry);
        const samples = [...families.values()].flatMap((f) => f.samples);
        const kinds = new Set(samples.map((s) => s.labels.kind).filter(Boolean));
        expect(kinds.size).to.be.at.most(8);
        for (const s of samples) expect(s.labels).to.not.have.property('pod');
        for (const r of ['r1', 'r2', 'r3']) m.forgetRestore(r);
        const left = [...(await scrape(registry)).values()]
          .flatMap((f) => f.samples)
          .filter((s) => 'restore' in s.labels);
        expect(left).to.deep.equal([]);
      }),
      { numRuns: 50 },
    );
  });

  it('enumerations are small and distinct', () => {
    for (const values of [SKIP_REASONS, RELIST_REASONS]) {
      expect(new Set(values).size).to.equal(values.length);
    }
  });
});
