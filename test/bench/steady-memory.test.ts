import { expect } from 'chai';
import { imageEnv, imageNodeFlags } from '../../hack/bench/processes.ts';
import { controllerIdle } from '../../hack/bench/steady-memory.ts';

const exposition = (depths: number[], unfinished: number[]) =>
  [
    '# TYPE workqueue_depth gauge',
    ...depths.map((d, i) => `workqueue_depth{name="c${i}",controller="c${i}"} ${d}`),
    '# TYPE workqueue_unfinished_work_seconds gauge',
    ...unfinished.map((u, i) => `workqueue_unfinished_work_seconds{name="c${i}",controller="c${i}"} ${u}`),
    'process_resident_memory_bytes 123456',
    '',
  ].join('\n');

describe('bench: controllerIdle (steady state = every work queue empty, nothing in flight)', () => {
  const cases: [string, number[], number[], boolean][] = [
    ['all queues empty, nothing in flight', [0, 0, 0, 0], [0, 0, 0, 0], true],
    ['one key queued', [0, 0, 1, 0], [0, 0, 0, 0], false],
    ['one reconcile in flight', [0, 0, 0, 0], [0, 0.004, 0, 0], false],
    ['thousands queued', [0, 1996, 11361, 0], [0, 1.2, 3.4, 0], false],
  ];
  for (const [title, depths, unfinished, idle] of cases)
    it(`${title}: ${idle ? 'idle' : 'busy'}`, () => {
      expect(controllerIdle(exposition(depths, unfinished))).to.equal(idle);
    });
});

describe('bench: imageNodeFlags (the controller runs with the node flags of the image)', () => {
  it('reads the flags between node and dist/cli.js of the Dockerfile’s ENTRYPOINT', () => {
    expect(imageNodeFlags()).to.deep.equal(['--max-semi-space-size=8', '--expose-gc']);
    expect(
      imageNodeFlags('FROM node:24\nENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js", "run"]\n'),
    ).to.deep.equal([]);
  });

  it('refuses an ENTRYPOINT it cannot read, naming the file', () => {
    expect(() => imageNodeFlags('FROM node:24\nENTRYPOINT node dist/cli.js run\n')).to.throw(/Dockerfile/);
    expect(() => imageNodeFlags('FROM node:24\nCMD ["node", "dist/cli.js"]\n')).to.throw(/ENTRYPOINT/);
  });
});

describe('bench: imageEnv (the controller runs with the environment of the image)', () => {
  it('reads the ENV lines of the final stage only', () => {
    const dockerfile = [
      'FROM node:24 AS build',
      'ENV BUILD_ONLY=1',
      'FROM node:24',
      'ENV NODE_ENV=production',
      'ENV A=1 B=two',
      'ENTRYPOINT ["node", "dist/cli.js"]',
      '',
    ].join('\n');
    expect(imageEnv(dockerfile)).to.deep.equal({ NODE_ENV: 'production', A: '1', B: 'two' });
    expect(imageEnv('FROM node:24\n')).to.deep.equal({});
    expect(imageEnv()).to.have.property('NODE_ENV', 'production');
  });

  it('refuses an ENV it cannot read, naming the file', () => {
    expect(() => imageEnv('FROM node:24\nENV A "x y"\n')).to.throw(/Dockerfile.*ENV/);
    expect(() => imageEnv('FROM node:24\nENV A="x"\n')).to.throw(/Dockerfile.*ENV/);
  });
});
