/**
 * The controller image's files, reproduced from the Dockerfile without a Docker engine: the build stage's COPY
 * sources and its tsc run give dist/, the deps stage's `npm ci --omit=dev` gives the lockfile's non-dev packages
 * (their files taken from the installed node_modules, which the same lockfile produced), and the final stage's COPY
 * lines put them together. The image must carry what `restore-hooks run` needs and nothing of the devcluster.
 */
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import type { Stage } from '../helpers/dockerfile.ts';
import { parseDockerfile } from '../helpers/dockerfile.ts';
import { startDevCluster } from '../../src/devcluster/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

const keyword = (s: Stage, k: string) => s.instructions.filter((i) => i.keyword === k).map((i) => i.args);
const workdir = (s: Stage): string => {
  const dirs = keyword(s, 'WORKDIR');
  expect(dirs, `stage ${s.name ?? s.base} has one WORKDIR`).to.have.length(1);
  return dirs[0]!;
};

/** Hard links where the file system allows them (a copy otherwise): the image tree is large. */
function place(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Places the files of `from` under `to`; `skip` names directories left out (a package's nested packages). */
function placeTree(from: string, to: string, skip: (name: string) => boolean = () => false): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) {
      if (!skip(entry.name)) placeTree(source, join(to, entry.name), skip);
    } else if (entry.isFile()) place(source, join(to, entry.name));
    else expect.fail(`${source}: neither a file nor a directory; the image test does not handle it`);
  }
}

/** COPY's destination of one source: into the directory when DEST ends with `/` (or is `.`), else DEST itself. */
function destination(stageDir: string, dest: string, source: string, isDirectory: boolean): string {
  const target = join(stageDir, dest);
  if (isDirectory) return target;
  return dest.endsWith('/') || dest === '.' ? join(target, basename(source)) : target;
}

/**
 * What `npm ci --omit=dev` installs: the lockfile's packages without `dev: true` (npm omits exactly those; the
 * lockfile records the flag npm computes). Their files come from the installed node_modules, which `npm ci` made
 * from the same lockfile; each package's own nested node_modules are separate lockfile entries.
 */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean; link?: boolean; optional?: boolean }>;
  };
  const paths: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true) continue;
    expect(entry.link, `${path}: linked packages are not handled`).to.not.equal(true);
    expect(entry.devOptional, `${path}: devOptional packages are not handled`).to.not.equal(true);
    expect(
      statSync(join(ROOT, path), { throwIfNoEntry: false })?.isDirectory(),
      `${path} is installed`,
    ).to.equal(true);
    paths.push(path);
  }
  return paths;
}

interface ImageTree {
  /** The image's application directory (the final stage's WORKDIR) on this machine. */
  readonly dir: string;
  /** Its files, relative, with their sizes. */
  readonly files: ReadonlyMap<string, number>;
  /** The script the ENTRYPOINT runs, relative to the application directory (dist/cli.js). */
  readonly entry: string;
  readonly scratch: string;
}

async function assembleImage(): Promise<ImageTree> {
  const { stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const scratch = mkdtempSync(join(tmpdir(), 'restore-hooks-image-'));
  const TSC = /^node (node_modules\/typescript\/bin\/tsc .*)$/;
  const build = stages.find((s) => keyword(s, 'RUN').some((r) => TSC.test(r)));
  const deps = stages.find((s) => keyword(s, 'RUN').some((r) => /npm ci\b.*--omit=dev/.test(r)));
  const final = stages.at(-1)!;
  expect(build?.name, 'a named build stage that runs tsc').to.be.a('string');
  expect(deps?.name, 'a named deps stage that runs npm ci --omit=dev').to.be.a('string');

  // The build stage: its COPY sources from the context, the full install (npm ci) as this checkout has it, tsc.
  const buildDir = join(scratch, 'build');
  for (const args of keyword(build!, 'COPY')) {
    const parts = args.split(/\s+/);
    const dest = parts.pop()!;
    for (const source of parts) {
      const isDirectory = statSync(join(ROOT, source)).isDirectory();
      const to = destination(buildDir, dest, source, isDirectory);
      if (isDirectory) placeTree(join(ROOT, source), to);
      else place(join(ROOT, source), to);
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(buildDir, 'node_modules'));
  for (const r of keyword(build!, 'RUN')) {
    const tsc = TSC.exec(r);
    if (tsc) await run(process.execPath, tsc[1]!.split(/\s+/), { cwd: buildDir });
  }

  // The final stage's COPY lines, each from the stage or the context it names.
  const appDir = join(scratch, 'image', workdir(final));
  for (const args of keyword(final, 'COPY')) {
    const parts = args.split(/\s+/);
    const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
    expect(
      parts.every((p) => !p.startsWith('--')),
      `COPY ${args}: only --from is handled`,
    ).to.equal(true);
    const dest = parts.pop()!;
    for (const source of parts) {
      if (from === deps!.name) {
        expect(source, `COPY ${args}: the deps stage gives its node_modules`).to.equal(
          posix.join(workdir(deps!), 'node_modules'),
        );
        const to = join(appDir, dest);
        for (const pkg of productionPackages())
          placeTree(join(ROOT, pkg), join(to, relative('node_modules', pkg)), (n) => n === 'node_modules');
      } else if (from === build!.name) {
        const inBuild = join(buildDir, posix.relative(workdir(build!), source));
        const isDirectory = statSync(inBuild).isDirectory();
        const to = destination(appDir, dest, source, isDirectory);
        if (isDirectory) placeTree(inBuild, to);
        else place(inBuild, to);
      } else {
        expect(from, `COPY ${args}: the image test knows the build and deps stages only`).to.equal(undefined);
        place(join(ROOT, source), destination(appDir, dest, source, false));
      }
    }
  }

  const files = new Map<string, number>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(appDir, path).split('\\').join('/'), statSync(path).size);
    }
  };
  walk(appDir);
  const entrypoint = JSON.parse(keyword(final, 'ENTRYPOINT').at(-1)!) as string[];
  const entry = entrypoint.find((a) => a.endsWith('.js'));
  expect(entry, 'the ENTRYPOINT runs a .js script').to.be.a('string');
  return { dir: appDir, files, entry: entry!, scratch };
}

/** The modules `start` reaches by static imports and literal dynamic imports, within the image's own files. */
function importGraph(
  image: ImageTree,
  starts: readonly string[],
): { modules: Set<string>; missing: string[] } {
  const modules = new Set<string>();
  const missing: string[] = [];
  const queue = [...starts];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (modules.has(file)) continue;
    if (!image.files.has(file)) {
      missing.push(file);
      continue;
    }
    modules.add(file);
    const text = readFileSync(join(image.dir, file), 'utf8');
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (fileName.startsWith('./') || fileName.startsWith('../'))
        queue.push(posix.normalize(posix.join(posix.dirname(file), fileName)));
    }
  }
  return { modules, missing };
}

const megabytes = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;

describe('the controller image (its files reproduced from the Dockerfile: no Docker engine here)', function () {
  this.timeout(600_000);
  let image: ImageTree;
  const under = (prefix: string) => [...image.files.keys()].filter((f) => f.startsWith(prefix));
  const inImage = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, args, {
      cwd: image.dir,
      // A build that still held the devcluster would serve it until killed.
      timeout: 120_000,
      env: { PATH: process.env.PATH, HOME: image.scratch, NODE_ENV: 'production', ...env },
    }).then(
      (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        status: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );

  before(async () => {
    image = await assembleImage();
    const size = (files: string[]) => files.reduce((sum, f) => sum + image.files.get(f)!, 0);
    const dist = under('dist/');
    const modules = under('node_modules/');
    console.log(
      `      image: ${image.files.size} files, ${megabytes(size([...image.files.keys()]))}: ` +
        `dist/ ${dist.length} files ${megabytes(size(dist))}, ` +
        `node_modules/ ${modules.length} files ${megabytes(size(modules))}`,
    );
  });
  after(() => {
    if (image) rmSync(image.scratch, { recursive: true, force: true });
  });

  it('holds no file of the devcluster', () => {
    expect([...image.files.keys()].filter((f) => /(^|\/)devcluster\//.test(f))).to.deep.equal([]);
    expect(under('dist/cli/start-demo.'), 'the demo, which only `start` runs').to.deep.equal([]);
  });

  it('holds the whole import graph of the ENTRYPOINT, so `run` cannot fail on a missing module', () => {
    expect(image.entry).to.equal('dist/cli.js');
    const { modules, missing } = importGraph(image, [image.entry]);
    expect(missing).to.deep.equal([]);
    expect([...modules]).to.include.members([
      'dist/controller/run-controller.js',
      'dist/controller/manager.js',
    ]);
  });

  it('compiles only what the executables of package.json reach (nothing only tests or start need)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    // The build config's files beyond the executables: modules they load by a computed URL (its comment says which).
    const build = ts.parseConfigFileTextToJson(
      'tsconfig.build.json',
      readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'),
    ).config as { files: string[] };
    const loadedByUrl = build.files.map((f) => f.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js'));
    const { modules } = importGraph(image, [...Object.values(pkg.bin), ...loadedByUrl]);
    // Modules of types only are imported with `import type`, which tsc erases; it still emits them, empty.
    const typesOnly = (f: string) =>
      ts
        .createSourceFile(f, readFileSync(join(image.dir, f), 'utf8'), ts.ScriptTarget.Latest)
        .statements.every(
          (s) =>
            ts.isExportDeclaration(s) &&
            s.moduleSpecifier === undefined &&
            s.exportClause !== undefined &&
            ts.isNamedExports(s.exportClause) &&
            s.exportClause.elements.length === 0,
        );
    const compiled = under('dist/').filter((f) => f.endsWith('.js'));
    expect(compiled.filter((f) => !modules.has(f) && !typesOnly(f))).to.deep.equal([]);
  });

  it('loads every module of that graph from its own files', async () => {
    const { modules } = importGraph(image, [image.entry]);
    const script =
      'for (const f of JSON.parse(process.env.MODULES)) await import(new URL(f, `file://${process.cwd()}/`).href);' +
      'console.log("loaded"); process.exit(0);';
    const result = await inImage(['--input-type=module', '-e', script], {
      MODULES: JSON.stringify([...modules]),
    });
    expect(result.stderr).to.equal('');
    expect(result).to.include({ status: 0, stdout: 'loaded\n' });
  });

  it('runs `restore-hooks run --help` as the ENTRYPOINT would', async () => {
    const result = await inImage([image.entry, 'run', '--help']);
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(/^Usage: restore-hooks run /);
  });

  it('runs `restore-hooks run` against a cluster until its controllers start (modules loaded at run time included)', async () => {
    // Some modules are loaded by a computed URL (client-node's lean KubeConfig stand-in): only running finds them.
    const cluster = await startDevCluster();
    const kubeconfig = join(image.scratch, 'run.kubeconfig');
    await cluster.writeKubeconfig(kubeconfig);
    const child = spawn(
      process.execPath,
      [image.entry, 'run', '--kubeconfig', kubeconfig, '--namespace', 'default', '--no-webhook'],
      {
        cwd: image.dir,
        env: {
          PATH: process.env.PATH,
          HOME: image.scratch,
          NODE_ENV: 'production',
          RESTORE_HOOKS_METRICS_BIND_ADDRESS: '0',
          RESTORE_HOOKS_HEALTH_PROBE_BIND_ADDRESS: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const started = await Promise.race([
        new Promise<boolean>((resolve) => {
          const check = setInterval(() => {
            if (output.includes('"controllers started"')) {
              clearInterval(check);
              resolve(true);
            }
          }, 100);
          void exited.then(() => {
            clearInterval(check);
            resolve(false);
          });
        }),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 60_000)),
      ]);
      expect(started, output).to.equal(true);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await cluster.stop();
    }
  });

  it('says that `devcluster` and `start` without a cluster are not in this build', async () => {
    for (const args of [['devcluster', '--kubeconfig', join(image.scratch, 'kc')], ['start']]) {
      const result = await inImage([image.entry, ...args]);
      expect(result.status, args[0]).to.equal(1);
      expect(result.stderr, args[0]).to.contain(
        `restore-hooks ${args[0]}: the devcluster is not part of this build`,
      );
      expect(result.stderr, args[0]).to.contain('npm ci && npm start');
    }
  });
});
