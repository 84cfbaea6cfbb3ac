import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH } from '../helpers/cli.ts';
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
});
