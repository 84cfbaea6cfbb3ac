import { expect } from 'chai';
import fc from 'fast-check';
import { ExecPlanMemo, execPlanKey } from '../../src/hooks/exec-plan-memo.ts';
import type { HookTarget } from '../../src/hooks/plan.ts';
import { planExecHooksOf, planHooks } from '../../src/hooks/plan.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../src/hooks/validate.ts';

const hooks = parseRestoreHooks(
  {
    metadata: { name: 'r', namespace: 'velero' },
    spec: {
      includedNamespaces: ['app', 'db'],
      hooks: {
        resources: [
          {
            name: 'web',
            labelSelector: { matchLabels: { tier: 'web' } },
            postHooks: [
              { exec: { command: ['sh', '-c', 'echo web'] } },
              { exec: { container: 'sidecar', command: ['true'], onError: 'Fail' } },
              { init: { initContainers: [{ name: 'warm', image: 'alpine:3.20', command: ['true'] }] } },
            ],
          },
          { name: 'db-only', includedNamespaces: ['db'], postHooks: [{ exec: { command: ['sync'] } }] },
        ],
      },
    },
  },
  DEFAULT_HOOK_POLICY,
);

/** A pod of a workload: what the ServiceAccount admission and the kubelet make differ per pod varies freely. */
const targets: fc.Arbitrary<Pod> = fc.record({
  namespace: fc.constantFrom('app', 'db', 'other'),
  labels: fc.option(
    fc.constantFrom<Record<string, string>>(
      { tier: 'web' },
      { tier: 'db' },
      { tier: 'web', 'pod-template-hash': 'abc' },
    ),
    {
      nil: undefined,
    },
  ),
  annotations: fc.option(
    fc.dictionary(
      fc.constantFrom(
        'post.hook.restore.velero.io/command',
        'post.hook.restore.velero.io/container',
        'post.hook.restore.velero.io/on-error',
        'init.hook.restore.velero.io/container-image',
        'restore-hooks.dev/exec-hooks',
        'unrelated',
      ),
      fc.constantFrom<string>('["sh","-c","x"]', 'app', 'sidecar', 'Fail', 'nope', ''),
    ),
    { nil: undefined },
  ),
  containers: fc.subarray(['app', 'sidecar', 'metrics']),
  token: fc.constantFrom('kube-api-access-a1b2c', 'kube-api-access-x9y8z'),
  initContainers: fc.subarray(['warm', 'velero-restore-init-0a1b2c3d', 'prepare']),
  node: fc.constantFrom('node-1', 'node-2'),
});

interface Pod {
  readonly namespace: string;
  readonly labels: Record<string, string> | undefined;
  readonly annotations: Record<string, string> | undefined;
  readonly containers: string[];
  readonly token: string;
  readonly initContainers: string[];
  readonly node: string;
}

function target(t: Pod): HookTarget {
  const mount = { name: t.token, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true };
  return {
    namespace: t.namespace,
    ...(t.labels ? { labels: t.labels } : {}),
    ...(t.annotations ? { annotations: t.annotations } : {}),
    podSpec: {
      nodeName: t.node,
      containers: t.containers.map((name) => ({ name, image: 'nginx:1.27', volumeMounts: [mount] })),
      initContainers: t.initContainers.map((name) => ({
        name,
        image: 'alpine:3.20',
        command: ['true'],
        volumeMounts: [mount],
      })),
      volumes: [{ name: t.token, projected: { sources: [] } }],
    },
  };
}

describe('hooks/exec-plan-memo: exec plans shared by the pods of a template', () => {
  it('gives every target the plan planExecHooksOf gives it, whatever targets came before (property)', () => {
    fc.assert(
      fc.property(fc.array(targets, { minLength: 1, maxLength: 30 }), (list) => {
        const memo = new ExecPlanMemo(hooks, { policy: DEFAULT_HOOK_POLICY });
        for (const t of list) {
          const pod = target(t);
          expect(memo.plan(pod)).to.deep.equal(planExecHooksOf(hooks, pod, { policy: DEFAULT_HOOK_POLICY }));
        }
      }),
    );
  });

  it("planExecHooksOf is planHooks's exec part (property)", () => {
    fc.assert(
      fc.property(targets, (t) => {
        const pod = target(t);
        const full = planHooks(hooks, pod, { policy: DEFAULT_HOOK_POLICY });
        const exec = planExecHooksOf(hooks, pod, { policy: DEFAULT_HOOK_POLICY });
        expect(exec.execSource).to.equal(full.execSource);
        expect(exec.execHooks).to.deep.equal(full.execHooks);
        expect(exec.execHooksByContainer).to.deep.equal(full.execHooksByContainer);
      }),
    );
  });

  it('plans once for pods that differ only in their own token volume, node, init containers and records', () => {
    const memo = new ExecPlanMemo(hooks);
    const base = {
      namespace: 'app',
      labels: { tier: 'web' },
      annotations: {},
      containers: ['app', 'sidecar'],
      node: 'node-1',
    };
    const a = target({ ...base, token: 'kube-api-access-a1b2c', initContainers: ['warm'] });
    const b = target({
      ...base,
      annotations: { 'restore-hooks.dev/exec-hooks': '{}' },
      token: 'kube-api-access-x9y8z',
      initContainers: [],
      node: 'node-2',
    });
    expect(memo.plan(a)).to.equal(memo.plan(b));
    expect(memo.size).to.equal(1);
    expect(memo.plan(a).execHooks.map((h) => h.container)).to.deep.equal(['app', 'sidecar']);
  });

  const keyCases: [string, Partial<HookTarget>, boolean][] = [
    ['another namespace', { namespace: 'db' }, false],
    ['other labels', { labels: { tier: 'db' } }, false],
    ['an exec hook annotation', { annotations: { 'post.hook.restore.velero.io/command': 'date' } }, false],
    ['an annotation no hook reads', { annotations: { note: 'x' } }, true],
    ['renamed containers', { podSpec: { containers: [{ name: 'main' }] } }, false],
    [
      'the same container names, other images',
      { podSpec: { containers: [{ name: 'app', image: 'x' }] } },
      true,
    ],
    ['no pod spec object', { podSpec: undefined as never }, false],
  ];
  for (const [what, change, same] of keyCases)
    it(`key: ${what} ${same ? 'keeps' : 'changes'} it`, () => {
      const base: HookTarget = {
        namespace: 'app',
        labels: { tier: 'web' },
        podSpec: { containers: [{ name: 'app' }] },
      };
      expect(execPlanKey({ ...base, ...change }) === execPlanKey(base)).to.equal(same);
    });
});
