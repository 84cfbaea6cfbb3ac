import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when a `kubectl` binary is on PATH. */
export function kubectlAvailable(): boolean {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return r.status === 0;
}

export interface KubectlResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A private KUBECONFIG, KUBECACHEDIR and HOME for one suite, so discovery caches never leak between runs. */
export class KubectlEnv {
  readonly dir = mkdtempSync(join(tmpdir(), 'devcluster-kubectl-'));
  readonly env: NodeJS.ProcessEnv;

  constructor(kubeconfig: string) {
    writeFileSync(join(this.dir, 'kubeconfig'), kubeconfig, { mode: 0o600 });
    this.env = {
      PATH: process.env.PATH,
      HOME: this.dir,
      KUBECONFIG: join(this.dir, 'kubeconfig'),
      KUBECACHEDIR: join(this.dir, 'cache'),
    };
  }

  /** Writes a file into the directory kubectl runs in (so `-f NAME` finds it); returns its path. */
  file(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  /** Runs kubectl to its end; `env` adds variables (EDITOR for `kubectl edit`, ...). */
  run(args: readonly string[], timeoutMs = 30_000, env: NodeJS.ProcessEnv = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('kubectl', args, {
        cwd: this.dir,
        env: { ...this.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(`kubectl ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`),
        );
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  /** Starts a long-running kubectl (get -w, wait); the caller stops it. */
  start(args: readonly string[]): {
    child: ChildProcess;
    output: () => string;
    exited: () => boolean;
    result: Promise<KubectlResult>;
  } {
    const child = spawn('kubectl', args, { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let done = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const result = new Promise<KubectlResult>((resolve) =>
      child.on('close', (status) => {
        done = true;
        resolve({ status, stdout, stderr });
      }),
    );
    return { child, output: () => stdout, exited: () => done, result };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
