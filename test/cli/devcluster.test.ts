import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH, runCli } from '../helpers/cli.ts';
import { eventually } from '../helpers/devcluster.ts';

describe('restore-hooks devcluster', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'devcluster-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a working kubeconfig once serving, and exits 0 on SIGTERM', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(process.execPath, [CLI_PATH, 'devcluster', '--kubeconfig', kubeconfig], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await eventually(() => (existsSync(kubeconfig) ? true : undefined), 'the kubeconfig', 20_000);
      const kc = new KubeConfig();
      kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
      expect(kc.getCurrentCluster()?.server).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items.map((n) => n.metadata?.name)).to.include('default');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).to.equal(0);
    expect(stdout).to.contain('"msg":"devcluster serving"');
    expect(stdout).to.contain('"msg":"devcluster stopped"');
  });

  it('--simulation runs the simulated cluster: a Deployment gets its pods', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(
      process.execPath,
      [CLI_PATH, 'devcluster', '--simulation', '--kubeconfig', kubeconfig],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await eventually(() => (existsSync(kubeconfig) ? true : undefined), 'the kubeconfig', 20_000);
      const kc = new KubeConfig();
      kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
      await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
        namespace: 'default',
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
            },
          },
        },
      });
      const core = kc.makeApiClient(CoreV1Api);
      await eventually(
        async () =>
          (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items.length ===
          2
            ? true
            : undefined,
        'two pods of the Deployment',
        20_000,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
    expect(stdout).to.contain('"simulation":true');
  });

  it('refuses --demo together with --simulation', async () => {
    const result = await runCli(['devcluster', '--demo', '--simulation', '--kubeconfig', join(dir, 'k')]);
    expect(result.status, 'a usage error').to.equal(2);
    expect(result.stderr).to.contain('--demo cannot be combined with --simulation');
    expect(existsSync(join(dir, 'k'))).to.equal(false);
  });
});
