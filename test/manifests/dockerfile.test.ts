import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stage } from '../helpers/dockerfile.ts';
import { parseDockerfile } from '../helpers/dockerfile.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('Dockerfile (checked statically: no Docker engine here)', () => {
  const { stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const final = stages.at(-1)!;
  const all = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);

  it('is a multi-stage build whose every stage starts from Node 24', () => {
    expect(stages.length).to.be.at.least(2);
    for (const s of stages) expect(s.base).to.match(/^node:24([.-]|$)/);
  });

  it('compiles with the build tsconfig in a build stage and copies only dist/ from it', () => {
    // On the image's node, not via npx: the `node` devDependency installed without scripts would shadow it.
    const build = stages.find((s) =>
      all(s, 'RUN').some((r) =>
        /^node node_modules\/typescript\/bin\/tsc -p tsconfig\.build\.json$/.test(r.args),
      ),
    );
    expect(build?.name, 'a named stage that runs tsc').to.be.a('string');
    const fromBuild = all(final, 'COPY').filter((c) => c.args.includes(`--from=${build!.name}`));
    expect(fromBuild.map((c) => c.args)).to.deep.equal([`--from=${build!.name} /src/dist ./dist`]);
  });

  it('ships production dependencies only', () => {
    const deps = stages.find((s) => all(s, 'RUN').some((r) => /npm ci\b.*--omit=dev/.test(r.args)));
    expect(deps?.name, 'a named stage running npm ci --omit=dev').to.be.a('string');
    expect(all(final, 'COPY').map((c) => c.args)).to.include(
      `--from=${deps!.name} /app/node_modules ./node_modules`,
    );
    expect(
      all(final, 'RUN').some((r) => /npm (ci|install)/.test(r.args)),
      'no npm install in the final stage',
    ).to.equal(false);
  });

  it('runs as a numeric non-root user, so that runAsNonRoot can verify it', () => {
    const users = all(final, 'USER');
    expect(users).to.have.length.at.least(1);
    const [uid, gid] = users.at(-1)!.args.split(':');
    expect(uid).to.match(/^\d+$/);
    expect(Number(uid)).to.be.above(0);
    if (gid !== undefined) expect(gid).to.match(/^\d+$/);
  });

  it('matches the uid the Deployment runs with', () => {
    const deployment = readFileSync(join(ROOT, 'manifests/base/deployment.yaml'), 'utf8');
    const uid = all(final, 'USER').at(-1)!.args.split(':')[0];
    expect(deployment).to.contain(`runAsUser: ${uid}`);
  });

  it('has an init process as PID 1 and runs the CLI`s run command, in exec form', () => {
    const entrypoints = all(final, 'ENTRYPOINT');
    expect(entrypoints).to.have.length(1);
    const argv = JSON.parse(entrypoints[0]!.args) as string[];
    expect(argv[0]).to.match(/\/tini$/);
    expect(argv.slice(1)).to.deep.equal([
      '--',
      'node',
      '--max-semi-space-size=8',
      '--expose-gc',
      'dist/cli.js',
      'run',
    ]);
    expect(all(final, 'RUN').some((r) => /apt-get install\b.*\btini\b/.test(r.args))).to.equal(true);
    expect(all(final, 'CMD')).to.deep.equal([]);
  });

  it('has no HEALTHCHECK (Kubernetes probes do that), no ADD, no VOLUME', () => {
    for (const s of stages) {
      expect(all(s, 'HEALTHCHECK')).to.deep.equal([]);
      expect(all(s, 'ADD')).to.deep.equal([]);
      expect(all(s, 'VOLUME')).to.deep.equal([]);
    }
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0], '.dockerignore starts by excluding everything').to.equal('*');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    for (const s of stages) {
      for (const copy of all(s, 'COPY').filter((c) => !c.args.startsWith('--from='))) {
        const sources = copy.args.split(/\s+/).slice(0, -1);
        for (const src of sources) {
          expect(existsSync(join(ROOT, src)), `${src} exists`).to.equal(true);
          expect(allowed, `${src} is not excluded by .dockerignore`).to.include(src);
        }
      }
    }
  });
});
