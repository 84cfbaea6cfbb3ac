import { expect } from 'chai';
import { planHooks } from '../../src/hooks/plan.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { LIMITS } from '../../src/hooks/limits.ts';
import { parseRestoreHooks } from '../../src/hooks/validate.ts';

const restore = (resources: unknown) =>
  parseRestoreHooks({ spec: { hooks: { resources } } }, DEFAULT_HOOK_POLICY);
const initHook = (n: number, extra: Record<string, unknown> = {}) => ({
  name: `hook-${n}`,
  image: 'alpine:3.20',
  command: ['true'],
  ...extra,
});
const resource = (postHooks: unknown[], name = 'r') => ({ name, postHooks });
const limited = (problems: readonly { severity: string; field: string; rule?: string; message: string }[]) =>
  problems.filter((p) => p.rule === 'limit-exceeded').map((p) => [p.severity, p.field]);

describe('hooks: documented limits, enforced up front with the field named (issue 17, findings 7 and 8)', () => {
  const table: Array<[string, unknown, string[]]> = [
    [
      'a Restore with 10,000 hook resources (the issue’s 2 MB Restore)',
      Array.from({ length: 10_000 }, (_, i) => resource([{ exec: { command: ['true'] } }], `r${i}`)),
      ['spec.hooks.resources'],
    ],
    [
      `exactly ${LIMITS.hookResources} hook resources`,
      Array.from({ length: LIMITS.hookResources }, (_, i) => resource([], `r${i}`)),
      [],
    ],
    [
      '5,000 init containers in one hook (finding 8)',
      [resource([{ init: { initContainers: Array.from({ length: 5000 }, (_, i) => initHook(i)) } }])],
      ['spec.hooks.resources[0].postHooks[0].init.initContainers'],
    ],
    [
      `${LIMITS.postHooksPerResource + 1} post hooks in one resource`,
      [
        resource(
          Array.from({ length: LIMITS.postHooksPerResource + 1 }, () => ({ exec: { command: ['true'] } })),
        ),
      ],
      ['spec.hooks.resources[0].postHooks'],
    ],
    [
      'an exec command over the byte limit',
      [resource([{ exec: { command: ['sh', '-c', 'x'.repeat(LIMITS.commandBytes)] } }])],
      ['spec.hooks.resources[0].postHooks[0].exec.command'],
    ],
    [
      'an init container whose args are over the byte limit',
      [resource([{ init: { initContainers: [initHook(0, { args: ['y'.repeat(LIMITS.commandBytes)] })] } }])],
      ['spec.hooks.resources[0].postHooks[0].init.initContainers[0].command'],
    ],
  ];
  for (const [title, resources, fields] of table) {
    it(`${title}: ${fields.length === 0 ? 'within the limits' : fields.join(', ')}`, () => {
      const hooks = restore(resources);
      expect(limited(hooks.problems)).to.deep.equal(fields.map((f) => ['error', f]));
      if (fields.includes('spec.hooks.resources')) expect(hooks.resources).to.deep.equal([]);
    });
  }

  const target = (annotations: Record<string, string>) => ({
    namespace: 'app',
    annotations,
    podSpec: { containers: [{ name: 'app' }] },
  });

  it('refuses a hook annotation over the byte limit, and only that hook', () => {
    const plan = planHooks(
      restore([]),
      target({
        'init.hook.restore.velero.io/container-image': 'alpine:3.20',
        'init.hook.restore.velero.io/command': JSON.stringify([
          'sh',
          '-c',
          'z'.repeat(LIMITS.annotationBytes),
        ]),
        'post.hook.restore.velero.io/command': 'true',
      }),
    );
    expect(limited(plan.problems)).to.deep.equal([
      ['error', 'metadata.annotations[init.hook.restore.velero.io/command]'],
    ]);
    expect(plan.initHooks.map((h) => h.state)).to.deep.equal(['invalid']);
    expect(plan.execHooks.map((h) => h.valid)).to.deep.equal([true]);
  });

  it('refuses an exec annotation over the byte limit: the hook is invalid (reported failed, never run)', () => {
    const plan = planHooks(
      restore([]),
      target({ 'post.hook.restore.velero.io/command': 'q'.repeat(LIMITS.annotationBytes + 1) }),
    );
    expect(limited(plan.problems)).to.deep.equal([
      ['error', 'metadata.annotations[post.hook.restore.velero.io/command]'],
    ]);
    expect(plan.execHooks.map((h) => h.valid)).to.deep.equal([false]);
  });

  it('adds none of the init hooks when more than the limit apply to one pod', () => {
    const perHook = LIMITS.initContainersPerHook;
    const hooks = restore(
      Array.from({ length: 3 }, (_, r) =>
        resource(
          [
            {
              init: { initContainers: Array.from({ length: perHook }, (_, i) => initHook(r * perHook + i)) },
            },
          ],
          `r${r}`,
        ),
      ),
    );
    expect(hooks.problems).to.deep.equal([]);
    const plan = planHooks(hooks, target({}));
    expect(limited(plan.problems)).to.deep.equal([['error', 'spec.initContainers']]);
    expect(plan.initContainersChanged).to.equal(false);
    expect(new Set(plan.initHooks.map((h) => h.state))).to.deep.equal(new Set(['invalid']));
  });

  it('runs none of the exec hooks when more than the limit apply to one pod', () => {
    const hooks = restore(
      Array.from({ length: 2 }, (_, r) =>
        resource(
          Array.from({ length: LIMITS.execHooksPerPod / 2 + 1 }, (_, i) => ({
            exec: { command: ['echo', `${r}-${i}`] },
          })),
          `r${r}`,
        ),
      ),
    );
    const plan = planHooks(hooks, target({}));
    expect(limited(plan.problems)).to.deep.equal([['error', 'spec.containers']]);
    expect(plan.execHooks.every((h) => !h.valid)).to.equal(true);
  });
});
