import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../hack/bench/main.ts', import.meta.url));

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench (hack/bench), at a tiny size', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bench-test-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects a bad flag with exit 2, naming it, before starting anything', async () => {
    const { code, stderr, stdout } = await bench(['--sizes', '7']);
    expect(code).to.equal(2);
    expect(stderr).to.match(/^bench: --sizes: /);
    expect(stderr).to.contain('Usage: npm run bench');
    expect(stdout).to.equal('');
  });

  it('runs every phase on separate devcluster and controller processes, prints the table and writes JSON and SVG of the documented shape', async () => {
    const json = join(dir, 'bench.json');
    const svg = join(dir, 'bench.svg');
    const { code, stdout, stderr } = await bench([
      '--sizes',
      '20',
      '--repeats',
      '1',
      '--latency-rate',
      '20',
      '--latency-seconds',
      '1',
      '--unrelated',
      '100',
      '--exec-hooks',
      '10',
      '--admission-rate',
      '20',
      '--hook-resources',
      '300',
      '--controller',
      'src',
      '--json',
      json,
      '--svg',
      svg,
    ]);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.match(/machine: \d+ CPUs .* Node v24\./);
    expect(stdout).to.contain('| pods | workloads | controller s | floor s | ratio |');
    expect(stdout).to.contain('Targets');

    const result = JSON.parse(readFileSync(json, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(result).to.have.keys(
      'schema',
      'date',
      'machine',
      'settings',
      'sizes',
      'latency',
      'memory',
      'exec',
      'admission',
      'status',
      'restoreSize',
      'targets',
    );
    expect(result.schema).to.equal('restore-hooks-bench/1');
    expect(result.machine).to.have.keys(
      'cpus',
      'cpuModel',
      'node',
      'platform',
      'totalMemoryMiB',
      'loadAverage1m',
    );
    expect(result.machine.node).to.match(/^v24\./);
    expect(result.sizes).to.have.length(1);
    const size = result.sizes[0];
    expect(size).to.include({ pods: 20, workloads: 4 });
    expect(size.controllerMs.runs).to.have.length(1);
    expect(size.floorMs.runs).to.have.length(1);
    for (const key of [
      'ratioToFloor',
      'templateWritesPerWorkload',
      'writesPerWorkload',
      'readsPerWorkload',
      'statusWritesPerRestore',
      'statusWritesPerRestorePerSecond',
      'rssMiB',
      'heapMiB',
      'rssPeakMiB',
    ])
      expect(Number.isFinite(size[key]), key).to.equal(true);
    expect(size.steady).to.equal(true);
    // Read from /proc in the measured window (10 ms ticks): the devcluster rolled pods out in both modes.
    expect(size.cpuS?.devcluster, 'cpuS.devcluster').to.be.greaterThan(0);
    expect(size.cpuS?.floorDevcluster, 'cpuS.floorDevcluster').to.be.greaterThan(0);
    expect(size.cpuS?.controller, 'cpuS.controller').to.be.at.least(0);
    // Counted by the devcluster, not timed: every hooked workload got its template written.
    expect(size.templateWritesPerWorkload).to.be.greaterThan(0);
    expect(size.writesByKind['patch deployments']).to.equal(size.templateWritesPerWorkload);
    expect(result.latency.podsPerRun).to.equal(20);
    expect(Number.isFinite(result.latency.hookWriteMs.p99)).to.equal(true);
    expect(result.memory.unrelatedPods).to.equal(100);
    expect(result.memory.emptyRssMiB).to.be.greaterThan(0);
    expect(result.exec).to.include({ available: true, hooksPerRun: 10, concurrency: 10 });
    expect(result.exec.hooksPerSecond).to.be.greaterThan(0);
    expect(result.targets.map((t: { id: string }) => t.id)).to.deep.equal([
      'total-time-ratio',
      'template-writes',
      'status-write-rate',
      'latency-p99',
      'rss-10k',
      'rss-growth-unrelated',
      'admission-started-without-hooks',
      'admission-workload-writes',
      'admission-latency-p99',
      'status-10k-seconds',
      'huge-restore-rss-peak',
      'huge-restore-rss-after',
    ]);
    // The admission path: every pod started with its hooks, no write to the workloads, status covered the restore.
    const admission = result.admission.sizes[0];
    expect(admission).to.include({
      pods: 20,
      workloads: 4,
      startedWithoutHooks: 0,
      workloadWritesPerWorkload: 0,
    });
    expect(admission.podsStarted).to.equal(20);
    // The workload webhook sees each Deployment's CREATE (Velero) and the Deployment controller's one UPDATE (its
    // revision annotation): UPDATEs are registered so that an untrusted creator's annotation stays. The pod webhook
    // is called twice per pod, as kube-apiserver calls it: its hooks get the ServiceAccount token mounted in the
    // reinvocation round, and that change calls it (IfNeeded) once more.
    expect(admission.webhookCallsPerWorkload).to.deep.equal({
      'workloads.restore-hooks.dev': 2,
      'pods.restore-hooks.dev': 10,
    });
    expect(result.admission.latency.podsPerRun).to.equal(20);
    expect(result.admission.latency.createdWithoutHook).to.equal(0);
    expect(result.status).to.include({ pods: 20, workloads: 4 });
    expect(result.restoreSize.hookResources).to.equal(300);
    expect(result.restoreSize.refusal).to.contain('spec.hooks.resources: Too many: 300');
    // Stated at 10,000 pods: not judged on a run of 20.
    expect(result.targets.find((t: { id: string }) => t.id === 'status-10k-seconds').pass).to.equal(null);
    // Targets stated at 10,000 pods are not judged on a run that did not include that size.
    expect(result.targets.find((t: { id: string }) => t.id === 'rss-10k').pass).to.equal(null);
    const chart = readFileSync(svg, 'utf8');
    expect(chart).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(chart).to.contain('Latency against restore size');
    expect(chart).to.contain('Controller memory against restore size');
  });
});
