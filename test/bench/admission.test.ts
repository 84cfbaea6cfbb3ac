import { expect } from 'chai';
import { histogramBuckets, histogramQuantile, latencyBuckets } from '../../hack/bench/admission-latency.ts';
import { processesUnder, shareWithin } from '../../hack/bench/admission-latency-real.ts';
import { spawn } from 'node:child_process';
import { startedWithoutHooks } from '../../hack/bench/admission.ts';
import { admissionLatencyFigures, judgeAdmission } from '../../hack/bench/admission-report.ts';
import type { AdmissionLatencyRunResult } from '../../hack/bench/admission-latency.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateServingCertificates } from '../../src/kube/certificates.ts';
import { startTrivialWebhook } from '../../hack/bench/processes.ts';
import { admitUntouched } from '../../hack/bench/trivial-webhook.ts';
import type { AdmissionSections } from '../../hack/bench/admission-report.ts';
import { UsageError, parseBenchArgs } from '../../hack/bench/options.ts';

const run = (seq: number, uid: string, container: string, init: boolean) => ({
  seq,
  namespace: 'measured-000',
  uid,
  container,
  init,
});

describe('bench: admission figures', () => {
  it('counts pods whose app container started with no hook run before it, from the run log', () => {
    const cases: [string, ReturnType<typeof run>[], { started: number; withoutHooks: number }][] = [
      [
        'hook, then app',
        [run(1, 'a', 'restore-hook', true), run(2, 'a', 'app', false)],
        { started: 1, withoutHooks: 0 },
      ],
      ['app only', [run(1, 'a', 'app', false)], { started: 1, withoutHooks: 1 }],
      [
        'hook after the app (a restart)',
        [run(1, 'a', 'app', false), run(2, 'a', 'restore-hook', true)],
        { started: 1, withoutHooks: 1 },
      ],
      [
        'another init container is not the hook',
        [run(1, 'a', 'restore-wait', true), run(2, 'a', 'app', false)],
        { started: 1, withoutHooks: 1 },
      ],
      ['hook ran, app not started yet', [run(1, 'a', 'restore-hook', true)], { started: 0, withoutHooks: 0 }],
      [
        'two pods, one bad',
        [run(1, 'a', 'restore-hook', true), run(2, 'a', 'app', false), run(3, 'b', 'app', false)],
        { started: 2, withoutHooks: 1 },
      ],
    ];
    for (const [what, runs, expected] of cases)
      expect(startedWithoutHooks(runs), what).to.deep.equal(expected);
  });

  it('reads the controller histogram per webhook and interpolates quantiles of the observations in between', () => {
    const scrape = (counts: number[]) =>
      ['0.001', '0.0025', '0.005', '0.01', '+Inf']
        .map(
          (le, i) =>
            `controller_runtime_webhook_latency_seconds_bucket{webhook="/mutate-pods",le="${le}"} ${counts[i]}`,
        )
        .concat('controller_runtime_webhook_latency_seconds_bucket{webhook="/mutate-workloads",le="+Inf"} 99')
        .join('\n');
    const before = latencyBuckets(scrape([10, 10, 10, 10, 10]), '/mutate-pods');
    expect(before.map(([le]) => le)).to.deep.equal([0.001, 0.0025, 0.005, 0.01, Infinity]);
    // 100 new observations: 50 under 1 ms, 40 in (1, 2.5] ms, 10 in (5, 10] ms.
    const after = latencyBuckets(scrape([60, 100, 100, 110, 110]), '/mutate-pods');
    expect(histogramQuantile(before, after, 0.5)).to.be.closeTo(0.001, 1e-9);
    expect(histogramQuantile(before, after, 0.7)).to.be.closeTo(0.001 + 0.0015 * (20 / 40), 1e-9);
    expect(histogramQuantile(before, after, 0.99)).to.be.closeTo(0.005 + 0.005 * (9 / 10), 1e-9);
    expect(Number.isNaN(histogramQuantile(after, after, 0.5))).to.equal(true);
    // Beyond the last finite bound: reported as that bound.
    const inf = latencyBuckets(scrape([0, 0, 0, 0, 10]), '/mutate-pods');
    expect(histogramQuantile([], inf, 0.99)).to.equal(0.01);
  });

  it("reads kube-apiserver's webhook histogram for one webhook's CREATE calls, summing its series per bound", () => {
    const metric = 'apiserver_admission_webhook_admission_duration_seconds';
    const scrape = (allowed: number[], rejected: number[]) =>
      ['0.005', '0.025', '0.1', '+Inf']
        .flatMap((le, i) => [
          `${metric}_bucket{name="pods.restore-hooks.dev",operation="CREATE",rejected="false",type="admit",le="${le}"} ${allowed[i]}`,
          `${metric}_bucket{name="pods.restore-hooks.dev",operation="CREATE",rejected="true",type="admit",le="${le}"} ${rejected[i]}`,
          `${metric}_bucket{name="pods.restore-hooks.dev",operation="UPDATE",rejected="false",type="admit",le="${le}"} 50`,
          `${metric}_bucket{name="workloads.restore-hooks.dev",operation="CREATE",rejected="false",type="admit",le="${le}"} 70`,
        ])
        .join('\n');
    const series = ['name="pods.restore-hooks.dev"', 'operation="CREATE"', 'type="admit"'];
    const before = histogramBuckets(scrape([0, 0, 0, 0], [0, 0, 0, 0]), metric, series);
    // 200 calls: 180 within 5 ms, 198 within 25 ms, 200 within 100 ms; 2 of them rejected (within 5 ms).
    const after = histogramBuckets(scrape([178, 196, 198, 198], [2, 2, 2, 2]), metric, series);
    expect(after).to.deep.equal([
      [0.005, 180],
      [0.025, 198],
      [0.1, 200],
      [Infinity, 200],
    ]);
    expect(shareWithin(before, after, 0.005)).to.equal(0.9);
    expect(shareWithin(before, after, 0.025)).to.equal(0.99);
    expect(histogramQuantile(before, after, 0.99)).to.be.closeTo(0.025, 1e-9);
    expect(Number.isNaN(shareWithin(after, after, 0.005))).to.equal(true);
  });

  it('finds the processes whose command line names a directory, by their program', async () => {
    const dir = `/tmp/restore-hooks-bench-test-${process.pid}-${Date.now()}`;
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '--', `--data-dir=${dir}`], {
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const found = processesUnder(dir);
      expect([...found]).to.deep.equal([['node', child.pid]]);
      expect(processesUnder(`${dir}-other`).size).to.equal(0);
    } finally {
      child.kill();
    }
  });

  it('the trivial webhook admits any AdmissionReview untouched, and refuses what is not one', () => {
    const cases: [string, string, number, unknown][] = [
      [
        'a pod review',
        JSON.stringify({ kind: 'AdmissionReview', request: { uid: 'u-1', object: { kind: 'Pod' } } }),
        200,
        {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: 'u-1', allowed: true },
        },
      ],
      ['not JSON', '{', 400, undefined],
      ['no request', '{}', 400, undefined],
      ['an empty uid', JSON.stringify({ request: { uid: '' } }), 400, undefined],
    ];
    for (const [what, body, status, answer] of cases) {
      const got = admitUntouched(body);
      expect(got.status, what).to.equal(status);
      if (answer) expect(JSON.parse(got.body), what).to.deep.equal(answer);
      else expect(got.body, what).to.contain('request.uid');
    }
  });

  it('the trivial webhook serves over TLS that its CA verifies, as the API server calls it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trivial-webhook-'));
    const certificates = await generateServingCertificates(['127.0.0.1']);
    const webhook = await startTrivialWebhook(dir, certificates);
    try {
      const body = JSON.stringify({ request: { uid: 'u-2' } });
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          `${webhook.url}/mutate-pods`,
          { method: 'POST', ca: certificates.caCert, headers: { 'content-type': 'application/json' } },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status).to.equal(200);
      expect(JSON.parse(answer.text).response).to.deep.equal({ uid: 'u-2', allowed: true });
    } finally {
      await webhook.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sums up restore-hooks against the trivial webhook: calls per pod, p99s and their ratio', () => {
    const latencyRun = (
      mode: AdmissionLatencyRunResult['mode'],
      apiServerMs: number[],
      pods: number,
    ): AdmissionLatencyRunResult => ({
      mode,
      ratePerSecond: 200,
      achievedRatePerSecond: 199,
      pods,
      apiServerMs,
      createMs: Array.from({ length: pods }, () => 3),
      createdWithoutHook: 0,
      failedCalls: 0,
      cpuMsPerPod:
        mode === 'trivial' ? { devcluster: 4, webhook: 0.4 } : { devcluster: 4.5, controller: 2.5 },
      ...(mode === 'admission' ? { controllerLoopDelayMs: { p99: 12, max: 40 } } : {}),
    });
    const ms = (n: number, v: number) => Array.from({ length: n }, () => v);
    const figures = admissionLatencyFigures(
      [
        latencyRun('floor', [], 100),
        latencyRun('trivial', [...ms(99, 1), 5], 100),
        latencyRun('admission', [...ms(198, 2), 20, 20], 100),
      ],
      { start: 1, end: 1 },
    );
    expect(figures.callsPerPod).to.equal(2);
    expect(figures.controllerLoopDelayMs).to.deep.equal({ p99: 12, max: 40 });
    expect(figures.trivial).to.deep.include({ callsPerPod: 1, cpuMsPerPod: { devcluster: 4, webhook: 0.4 } });
    expect(figures.trivial?.apiServerMs.max).to.equal(5);
    expect(figures.apiServerMs.max).to.equal(20);
    expect(figures.p99RatioToTrivial).to.equal(
      Math.round((figures.apiServerMs.p99 / figures.trivial!.apiServerMs.p99) * 100) / 100,
    );
    // Without a trivial run (a result saved before the control existed), no ratio.
    const without = admissionLatencyFigures([latencyRun('floor', [], 10), latencyRun('admission', [2], 10)], {
      start: 1,
      end: 1,
    });
    expect(without).not.to.have.property('trivial');
    expect(without).not.to.have.property('p99RatioToTrivial');
  });

  it('judges each admission target, and leaves unmeasured ones unjudged', () => {
    const load = { start: 1, end: 1 };
    const size = (startedWithoutHooks: number, writes: number) =>
      ({ pods: 100, startedWithoutHooks, workloadWritesPerWorkload: writes }) as never;
    const sections: AdmissionSections = {
      admission: {
        sizes: [size(0, 0), size(1, 0)],
        latency: { ratePerSecond: 200, apiServerMs: { p50: 2, p99: 10, max: 30 } } as never,
      },
      status: {
        pods: 10_000,
        workloads: 2000,
        seconds: { median: 5.1, runs: [5.1] },
        requests: 1,
        requestsByKind: {},
        load,
      },
      restoreSize: {
        hookResources: 10_000,
        idleRssMiB: 100,
        peakRssMiB: 161,
        afterRssMiB: 115,
        load,
      } as never,
    };
    const byId = Object.fromEntries(judgeAdmission(sections).map((t) => [t.id, t.pass]));
    expect(byId).to.deep.equal({
      'admission-started-without-hooks': false,
      'admission-workload-writes': true,
      'admission-latency-p99': true,
      'status-10k-seconds': false,
      'huge-restore-rss-peak': true, // 61 MiB = 64.0 MB
      'huge-restore-rss-after': true, // 15 MiB = 15.7 MB
    });
    expect(judgeAdmission({}).every((t) => t.pass === null)).to.equal(true);
  });

  it('parses the section flags, one at a time, and names a bad one', () => {
    expect(parseBenchArgs(['--admission-only'])).to.include({ only: 'admission', admissionRate: 200 });
    expect(parseBenchArgs(['--status-only', '--status-pods', '2000'])).to.include({
      only: 'status',
      statusPods: 2000,
    });
    expect(parseBenchArgs(['--restore-size-only', '--hook-resources', '500'])).to.include({
      only: 'restore-size',
      hookResources: 500,
    });
    expect(parseBenchArgs([]).only).to.equal(undefined);
    expect(() => parseBenchArgs(['--status-only', '--admission-only'])).to.throw(
      UsageError,
      /cannot be combined/,
    );
    expect(() => parseBenchArgs(['--status-pods', '7'])).to.throw(
      UsageError,
      /--status-pods: expected a multiple of 5/,
    );
    expect(() => parseBenchArgs(['--restore-size-only', '--svg', 'x.svg'])).to.throw(UsageError, /--svg/);
  });
});
