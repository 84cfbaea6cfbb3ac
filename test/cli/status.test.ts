import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { samplesDirectory } from '../../src/devcluster/demo.ts';
import type { StatusReport } from '../../src/cli/status/report.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually, startControllerEnv } from '../helpers/controller-env.ts';
import type { ControllerEnv } from '../helpers/controller-env.ts';
import { podSpec, restoredLabels } from '../helpers/restore-fixtures.ts';

const PLUGIN = fileURLToPath(new URL('../../src/kubectl-plugin.ts', import.meta.url));

function demoRestore(): Record<string, unknown> {
  const docs = parseAllDocuments(readFileSync(join(samplesDirectory(), 'demo', 'restore-r2.yaml'), 'utf8'));
  return docs.map((d) => d.toJSON() as { kind?: string }).find((o) => o.kind === 'Restore') as Record<
    string,
    unknown
  >;
}

describe('restore-hooks status (the demo restore on the devcluster)', function () {
  this.timeout(120_000);
  let env: ControllerEnv;
  let dir: string;
  let kubeconfig: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restore-hooks-status-'));
    env = await startControllerEnv({
      simulation: { velero: { fixturesDir: join(samplesDirectory(), 'backups') } },
    });
    kubeconfig = join(dir, 'kubeconfig');
    await env.cluster.writeKubeconfig(kubeconfig);
    await env.startController({ templateCleanup: 'Retain' });
    await env.client.request({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: demoRestore(),
    });
    // A restored ReplicaSet with an exec hook, and a restored Job whose pod can only be reported.
    await env.client.request({
      method: 'POST',
      path: '/apis/apps/v1/namespaces/app/replicasets',
      body: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'cache', namespace: 'app', labels: restoredLabels() },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'cache' } },
          template: {
            metadata: {
              labels: { app: 'cache' },
              annotations: { 'post.hook.restore.velero.io/command': '["sh", "-c", "echo warmed"]' },
            },
            spec: podSpec(),
          },
        },
      },
    });
    await env.client.request({
      method: 'POST',
      path: '/apis/batch/v1/namespaces/app/jobs',
      body: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'migrate', namespace: 'app', labels: restoredLabels() },
        spec: {
          template: {
            metadata: {
              labels: { job: 'migrate' },
              annotations: { 'devcluster.restore-hooks.io/start-seconds': '3' },
            },
            spec: podSpec({ restartPolicy: 'Never' }),
          },
        },
      },
    });
  });
  after(async () => {
    await env.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const status = async (...args: string[]) => {
    const r = await runCli(['status', ...args, '--kubeconfig', kubeconfig], {}, 60_000);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    return r.stdout;
  };

  it('reports every workload, pod and hook with its result, what was skipped, and nothing pending at the end', async () => {
    const report = await eventually(
      async () => {
        const r = JSON.parse(await status('-n', 'velero', 'r2', '-o', 'json')) as StatusReport;
        const execDone = r.pods.some((p) => p.execHooks.some((h) => h.result === 'Succeeded'));
        const skipped = r.skipped.some((s) => s.object.startsWith('Pod/app/migrate-'));
        const restoreEvents = new Set(r.restoreEvents.map((e) => e.reason));
        const told = restoreEvents.has('HooksApplied') && restoreEvents.has('HookCountsWritten');
        // Under load the Deployment's hooked pods can come after everything else has settled.
        const webHooked = r.pods.some((p) => p.owner === 'Deployment/web');
        const over = r.restore.phase === 'Completed' && r.pending.length === 0;
        return over && execDone && skipped && told && webHooked ? r : undefined;
      },
      'the demo restore to be over with its exec hook run',
      90_000,
    );
    const coverage = Object.fromEntries(report.workloads.map((w) => [`${w.kind}/${w.name}`, w.coverage]));
    expect(coverage).to.deep.include({
      'Deployment/web': 'template',
      'StatefulSet/db': 'template',
      'DaemonSet/agent': 'template',
      'ReplicaSet/cache': 'template',
    });
    const standalone = report.pods.find((p) => p.name === 'standalone')!;
    expect(standalone).to.deep.include({ owner: '', coverage: 'replacement' });
    expect(standalone.initHooks).to.deep.equal([
      { name: 'restore-hook-init1', result: 'Succeeded', exitCode: 0, reason: 'Completed' },
      { name: 'restore-hook-init2', result: 'Succeeded', exitCode: 0, reason: 'Completed' },
    ]);
    const web = report.pods.filter((p) => p.owner === 'Deployment/web');
    expect(web.length).to.be.greaterThan(0);
    for (const p of web) expect(p.initHooks.map((h) => h.result)).to.deep.equal(['Succeeded', 'Succeeded']);
    const cache = report.pods.find((p) => p.owner === 'ReplicaSet/cache' && p.execHooks.length > 0)!;
    expect(cache.execHooks[0]).to.deep.include({
      container: 'app',
      command: ['sh', '-c', 'echo warmed'],
      result: 'Succeeded',
      attempts: 1,
      exitCode: 0,
    });
    expect(cache.execHooks[0]!.stdout).to.contain('warmed');
    const job = report.skipped.find((s) => s.object.startsWith('Pod/app/migrate-'))!;
    expect(job.reason).to.equal('HookSkipped');
    expect(report.restore.hooksAttempted).to.be.greaterThan(0);
    expect(report.restore.hooksFailed).to.equal(0);
    // A few restore-wide Events, not one per pod.
    expect(report.restoreEvents.length).to.be.at.most(4);
    expect(report.restoreEvents.find((e) => e.reason === 'HooksApplied')!.message).to.match(
      /^Init hooks applied: \d+ restored workload\(s\) hooked, \d+ pod\(s\) skipped, 0 workload\(s\) in conflict\.$/,
    );
    expect(report.restoreEvents.find((e) => e.reason === 'HookCountsWritten')!.message).to.match(
      /^Hook counts written: status\.hookStatus\.hooksAttempted \d+, hooksFailed 0, phase Completed\.$/,
    );

    const table = await status('r2');
    expect(table).to.match(/^Restore velero\/r2: phase Completed, hooks attempted \d+, failed 0$/m);
    expect(table).to.match(
      /^Deployment\s+app\s+web\s+template\s+restore-hook-init1,restore-hook-init2\s+\d+$/m,
    );
    expect(table).to.match(/^app\s+standalone\s+Running\s+-\s+replacement\s+2\/2 succeeded\s+-$/m);
    expect(table).to.match(/^app\/standalone\s+restore-hook-init1\s+Succeeded\s+0\s+Completed$/m);
    expect(table).to.match(/^app\/cache-\S+\s+app\s+exec\/app\/\S+\s+Succeeded\s+1\s+0\s+"warmed"/m);
    expect(table).to.match(/^Pod\/app\/migrate-\S+\s+HookSkipped\s+/m);
    expect(table).to.contain('PENDING: nothing');
    expect(table).to.match(/^Event HooksApplied: Init hooks applied: /m);

    const yaml = await status('r2', '-o', 'yaml');
    expect(yaml).to.match(/^restore:\n {2}namespace: velero\n {2}name: r2\n/);
  });

  it('works as the kubectl plugin kubectl-restore_hooks, with KUBECONFIG', async () => {
    await writeFile(
      join(dir, 'kubectl-restore_hooks'),
      `#!/bin/sh\nexec "${process.execPath}" "${PLUGIN}" "$@"\n`,
    );
    await chmod(join(dir, 'kubectl-restore_hooks'), 0o755);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'kubectl',
        ['restore-hooks', 'status', '-n', 'velero', 'r2', '-o', 'json'],
        { env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, KUBECONFIG: kubeconfig } },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const report = JSON.parse(out) as StatusReport;
    expect(report.restore).to.deep.include({ namespace: 'velero', name: 'r2' });
    expect(report.pods.length).to.be.greaterThan(0);
  });

  it('exits 1 naming a Restore that does not exist, and 2 without a name', async () => {
    const missing = await runCli(['status', '-n', 'velero', 'nope', '--kubeconfig', kubeconfig]);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.equal('restore-hooks status: Restore velero/nope not found\n');
    const usage = await runCli(['status', '--kubeconfig', kubeconfig]);
    expect(usage.status).to.equal(2);
    expect(usage.stderr.split('\n')[0]).to.equal('restore-hooks status: the name of a Restore is required');
  });
});
