import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { HookTarget } from '../../src/hooks/plan.ts';
import { mayHaveExecHooks, planHooks } from '../../src/hooks/plan.ts';
import { mapNamespace, parseRestoreHooks } from '../../src/hooks/validate.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { objectTarget } from '../../src/hooks/targets.ts';
import { defaultContainer } from '../../src/kube/container-defaults.ts';
import type { Container } from '../../src/hooks/restore-types.ts';

const fixture = (name: string): unknown =>
  parse(readFileSync(new URL(`../fixtures/hooks/${name}`, import.meta.url), 'utf8'));
const r2 = parseRestoreHooks(fixture('restore-r2.yaml'), DEFAULT_HOOK_POLICY);
const noSpecHooks = parseRestoreHooks(fixture('empty-restore.yaml'), DEFAULT_HOOK_POLICY);

const INIT_ANN = {
  'init.hook.restore.velero.io/container-name': 'restore-hook',
  'init.hook.restore.velero.io/container-image': 'alpine:latest',
  'init.hook.restore.velero.io/command': '["/bin/ash", "-c", "date"]',
};
const app = { name: 'app', image: 'nginx:1.27' };
const volumes = [{ name: 'pvc1-vm' }, { name: 'pvc2-vm' }];

function target(partial: Partial<HookTarget> & { podSpec?: HookTarget['podSpec'] }): HookTarget {
  return { namespace: 'app', podSpec: { containers: [app], volumes }, ...partial };
}

function restore(resources: unknown[]) {
  return parseRestoreHooks({ spec: { hooks: { resources } } }, DEFAULT_HOOK_POLICY);
}

/** The pod as the API server would store it after the plan's init containers were applied. */
function applied(t: HookTarget, initContainers: readonly Container[]): HookTarget {
  return { ...t, podSpec: { ...t.podSpec, initContainers: initContainers.map((c) => defaultContainer(c)) } };
}

describe('hooks/plan', () => {
  describe('golden scenarios', () => {
    it('1: the annotation pod gets the restore-hook init container', () => {
      const pod = fixture('annotation-pod.yaml') as {
        metadata: { annotations: Record<string, string> };
        spec: never;
      };
      const plan = planHooks(
        noSpecHooks,
        target({ annotations: pod.metadata.annotations, podSpec: pod.spec }),
      );
      expect(plan.initSource).to.equal('annotation');
      expect(plan.initHooks.map((h) => [h.state, h.container])).to.deep.equal([
        ['insert', { name: 'restore-hook', image: 'alpine:latest', command: ['/bin/ash', '-c', 'date'] }],
      ]);
      expect(plan.initContainers.map((c) => c.name)).to.deep.equal(['restore-hook']);
      expect(plan.problems).to.deep.equal([]);
    });

    it('2: Restore r2 puts both hook containers, in order, ahead of a pod in app own init containers', () => {
      const own = { name: 'own-init', image: 'busybox:1.36', command: ['true'] };
      const plan = planHooks(r2, target({ podSpec: { initContainers: [own], containers: [app], volumes } }));
      expect(plan.initContainers.map((c) => c.name)).to.deep.equal([
        'restore-hook-init1',
        'restore-hook-init2',
        'own-init',
      ]);
      expect(plan.initContainers[0]).to.deep.equal({
        name: 'restore-hook-init1',
        image: 'alpine:latest',
        volumeMounts: [{ mountPath: '/restores/pvc1-vm', name: 'pvc1-vm' }],
        command: ['/bin/ash', '-c', 'echo -n "FOOBARBAZ" >> /restores/pvc1-vm/foobarbaz'],
      });
      expect(plan.initContainers[1]).to.deep.include({
        name: 'restore-hook-init2',
        command: ['/bin/ash', '-c', 'echo -n "DEADFEED" >> /restores/pvc2-vm/deadfeed'],
      });
      expect(plan.initHooks.map((h) => h.origin)).to.deep.equal([
        { source: 'spec', resourceName: 'restore-hook-1', resourceIndex: 0, postHookIndex: 0 },
        { source: 'spec', resourceName: 'restore-hook-1', resourceIndex: 0, postHookIndex: 0 },
      ]);
      expect(plan.problems).to.deep.equal([]);
    });

    it('2: Restore r2 gives pods in other namespaces nothing', () => {
      const plan = planHooks(r2, target({ namespace: 'other' }));
      expect(plan.initSource).to.equal('none');
      expect(plan.initHooks).to.deep.equal([]);
      expect(plan.initContainersChanged).to.equal(false);
    });
  });

  describe('precedence and order', () => {
    const spec = restore([
      {
        name: 'both',
        postHooks: [
          { init: { initContainers: [{ name: 'spec-init', image: 'busybox', command: ['true'] }] } },
          { exec: { command: ['spec-exec'] } },
        ],
      },
    ]);

    it('init annotations override spec init hooks but not spec exec hooks', () => {
      const plan = planHooks(spec, target({ annotations: INIT_ANN }));
      expect([plan.initSource, plan.execSource]).to.deep.equal(['annotation', 'spec']);
      expect(plan.initHooks.map((h) => h.container.name)).to.deep.equal(['restore-hook']);
      expect(plan.execHooks.map((h) => h.command)).to.deep.equal([['spec-exec']]);
    });

    it('exec annotations override spec exec hooks but not spec init hooks', () => {
      const plan = planHooks(
        spec,
        target({ annotations: { 'post.hook.restore.velero.io/command': 'ann-exec' } }),
      );
      expect([plan.initSource, plan.execSource]).to.deep.equal(['spec', 'annotation']);
      expect(plan.execHooks.map((h) => h.command)).to.deep.equal([['ann-exec']]);
      expect(plan.initHooks.map((h) => h.container.name)).to.deep.equal(['spec-init']);
    });

    it('orders hooks resources → postHooks → initContainers, after restore-wait, before the own init containers', () => {
      const c = (name: string) => ({ name, image: 'busybox', command: ['true'] });
      const hooks = restore([
        {
          name: 'r0',
          postHooks: [{ init: { initContainers: [c('a'), c('b')] } }, { init: { initContainers: [c('c')] } }],
        },
        { name: 'r1', postHooks: [{ init: { initContainers: [c('d')] } }] },
      ]);
      const plan = planHooks(
        hooks,
        target({ podSpec: { initContainers: [c('restore-wait'), c('own')], containers: [app] } }),
      );
      expect(plan.initContainers.map((x) => x.name)).to.deep.equal([
        'restore-wait',
        'a',
        'b',
        'c',
        'd',
        'own',
      ]);
    });

    it('runs exec hooks per container in declared order', () => {
      const two = { containers: [app, { name: 'sidecar', image: 'busybox' }] };
      const hooks = restore([
        {
          name: 'r0',
          postHooks: [{ exec: { container: 'sidecar', command: ['s1'] } }, { exec: { command: ['a1'] } }],
        },
        {
          name: 'r1',
          postHooks: [{ exec: { container: 'sidecar', command: ['s2'] } }, { exec: { command: ['a1'] } }],
        },
      ]);
      const plan = planHooks(hooks, target({ podSpec: two }));
      expect(
        plan.execHooksByContainer.map((g) => [g.container, g.hooks.map((h) => h.command[0])]),
      ).to.deep.equal([
        ['app', ['a1', 'a1']],
        ['sidecar', ['s1', 's2']],
      ]);
      const ids = plan.execHooks.map((h) => h.id);
      expect(new Set(ids).size).to.equal(4);
      expect(planHooks(hooks, target({ podSpec: two })).execHooks.map((h) => h.id)).to.deep.equal(ids);
    });
  });

  describe('selection', () => {
    const hook = (sel: Record<string, unknown>) =>
      restore([{ name: 'h', ...sel, postHooks: [{ exec: { command: ['x'] } }] }]);
    const cases: [string, Record<string, unknown>, Partial<HookTarget>, boolean][] = [
      ['no namespaces: all', {}, { namespace: 'any' }, true],
      ['* includes all', { includedNamespaces: ['*'] }, { namespace: 'any' }, true],
      ['glob include', { includedNamespaces: ['app-*'] }, { namespace: 'app-1' }, true],
      ['glob include miss', { includedNamespaces: ['app-*'] }, { namespace: 'db' }, false],
      [
        'exclude wins',
        { includedNamespaces: ['*'], excludedNamespaces: ['app'] },
        { namespace: 'app' },
        false,
      ],
      ['labels match', { labelSelector: { matchLabels: { role: 'db' } } }, { labels: { role: 'db' } }, true],
      ['labels miss', { labelSelector: { matchLabels: { role: 'db' } } }, { labels: { role: 'web' } }, false],
      ['includedResources is ignored', { includedResources: ['deployments'] }, {}, true],
      [
        'invalid selector selects nothing',
        { labelSelector: { matchExpressions: [{ key: 'a', operator: 'X' }] } },
        {},
        false,
      ],
    ];
    for (const [name, sel, t, applies] of cases)
      it(`${name}: ${applies ? 'applies' : 'does not apply'}`, () => {
        expect(planHooks(hook(sel), target(t)).execHooks.length).to.equal(applies ? 1 : 0);
      });

    it('matches the namespace after namespace mapping', () => {
      const hooks = parseRestoreHooks(
        {
          spec: {
            namespaceMapping: { prod: 'restored' },
            hooks: {
              resources: [
                { name: 'h', includedNamespaces: ['restored'], postHooks: [{ exec: { command: ['x'] } }] },
              ],
            },
          },
        },
        DEFAULT_HOOK_POLICY,
      );
      const pod = { kind: 'Pod', metadata: { name: 'p', namespace: 'prod' }, spec: { containers: [app] } };
      const t = objectTarget(pod, mapNamespace(hooks, 'prod'));
      expect(t.ok && planHooks(hooks, t.value.target).execHooks.length).to.equal(1);
    });
  });

  describe('names and hooks already present', () => {
    it('gives a nameless annotation hook a deterministic name, which a second pass finds', () => {
      const ann = { 'init.hook.restore.velero.io/container-image': 'busybox' };
      const first = planHooks(noSpecHooks, target({ annotations: ann }));
      const name = first.initHooks[0]!.container.name;
      expect(name).to.match(/^restore-hook-init-[0-9a-f]{10}$/);
      expect(first.initHooks[0]!.container).to.deep.equal({ name, image: 'busybox' }); // the image's entrypoint
      expect(first.problems).to.deep.equal([]);
      const second = planHooks(noSpecHooks, applied(target({ annotations: ann }), first.initContainers));
      expect(second.initHooks.map((h) => h.state)).to.deep.equal(['present']);
      expect(second.initContainersChanged).to.equal(false);
    });

    it('recognises a container Velero injected under a random name by its content', () => {
      const ann = {
        'init.hook.restore.velero.io/container-image': 'busybox',
        'init.hook.restore.velero.io/command': 'true',
      };
      const velero = defaultContainer({
        name: 'velero-restore-init-0a1b2c3d',
        image: 'busybox',
        command: ['true'],
      });
      const plan = planHooks(
        noSpecHooks,
        target({ annotations: ann, podSpec: { initContainers: [velero], containers: [app] } }),
      );
      expect(plan.initHooks.map((h) => [h.state, h.existingName])).to.deep.equal([
        ['present', 'velero-restore-init-0a1b2c3d'],
      ]);
      expect(plan.initContainersChanged).to.equal(false);
      expect(plan.initContainers).to.deep.equal([velero]);
    });

    it('does not take a differently-named non-Velero container as the hook', () => {
      const other = { name: 'my-init', image: 'busybox', command: ['true'] };
      const ann = {
        'init.hook.restore.velero.io/container-image': 'busybox',
        'init.hook.restore.velero.io/command': 'true',
      };
      const plan = planHooks(
        noSpecHooks,
        target({ annotations: ann, podSpec: { initContainers: [other], containers: [app] } }),
      );
      expect(plan.initHooks[0]!.state).to.equal('insert');
    });

    it('reports a conflict, never a duplicate, for the same name with different content', () => {
      const mine = { name: 'restore-hook', image: 'alpine:latest', command: ['other'] };
      const plan = planHooks(
        noSpecHooks,
        target({ annotations: INIT_ANN, podSpec: { initContainers: [mine], containers: [app] } }),
      );
      expect(plan.initHooks[0]!.state).to.equal('conflict');
      expect(plan.initContainers).to.deep.equal([mine]);
      expect(plan.initContainersChanged).to.equal(false);
      expect(plan.problems).to.have.length(1);
      expect(plan.problems[0]).to.deep.include({ severity: 'error', hookId: plan.initHooks[0]!.id });
    });

    it('reports a conflict with an application container of the same name', () => {
      const ann = { ...INIT_ANN, 'init.hook.restore.velero.io/container-name': 'app' };
      const plan = planHooks(noSpecHooks, target({ annotations: ann }));
      expect(plan.initHooks[0]!.state).to.equal('conflict');
      expect(plan.problems[0]!.message).to.contain('application container');
    });

    it('adds the same hook declared twice once, and rejects two different hooks with one name', () => {
      const c = { name: 'h', image: 'busybox', command: ['true'] };
      const same = planHooks(
        restore([
          { name: 'a', postHooks: [{ init: { initContainers: [c] } }] },
          { name: 'b', postHooks: [{ init: { initContainers: [c] } }] },
        ]),
        target({}),
      );
      expect(same.initHooks.map((h) => h.state)).to.deep.equal(['insert', 'duplicate']);
      expect(same.initContainers.map((x) => x.name)).to.deep.equal(['h']);
      expect(same.problems.map((p) => p.severity)).to.deep.equal(['warning']);
      const different = planHooks(
        restore([
          { name: 'a', postHooks: [{ init: { initContainers: [c] } }] },
          { name: 'b', postHooks: [{ init: { initContainers: [{ ...c, command: ['false'] }] } }] },
        ]),
        target({}),
      );
      expect(different.initHooks.map((h) => h.state)).to.deep.equal(['insert', 'conflict']);
      expect(different.problems.map((p) => p.severity)).to.deep.equal(['error']);
    });
  });

  describe('validation against the target', () => {
    it('rejects a volumeMount naming a volume the pod does not have', () => {
      const plan = planHooks(r2, target({ podSpec: { containers: [app], volumes: [{ name: 'pvc1-vm' }] } }));
      expect(plan.initHooks.map((h) => h.state)).to.deep.equal(['insert', 'invalid']);
      expect(plan.problems.map((p) => p.field)).to.deep.equal([
        'spec.hooks.resources[0].postHooks[0].init.initContainers[1].volumeMounts[0].name',
      ]);
      expect(plan.initContainers.map((c) => c.name)).to.deep.equal(['restore-hook-init1']);
    });

    it('rejects an exec hook naming a container the pod does not have, up front', () => {
      const plan = planHooks(
        noSpecHooks,
        target({
          annotations: {
            'post.hook.restore.velero.io/command': 'x',
            'post.hook.restore.velero.io/container': 'db',
          },
        }),
      );
      expect(plan.execHooks[0]!.valid).to.equal(false);
      expect(plan.problems).to.have.length(1);
      expect(plan.problems[0]).to.deep.include({
        severity: 'error',
        field: 'metadata.annotations[post.hook.restore.velero.io/container]',
        hookId: plan.execHooks[0]!.id,
      });
    });

    it('reports an exec hook on a pod without containers', () => {
      const plan = planHooks(
        noSpecHooks,
        target({ annotations: { 'post.hook.restore.velero.io/command': 'x' }, podSpec: {} }),
      );
      expect(plan.execHooks[0]!.valid).to.equal(false);
      expect(plan.problems[0]!.field).to.equal('spec.containers');
    });

    it('repeats a spec hook Restore errors on the plan of each pod it applies to', () => {
      const hooks = restore([
        { name: 'h', postHooks: [{ init: { initContainers: [{ name: 'c', image: 'busybox' }] } }] },
      ]);
      const plan = planHooks(hooks, target({}));
      expect(plan.initHooks[0]!.state).to.equal('invalid');
      expect(plan.problems.map((p) => [p.object, p.field, p.hookId])).to.deep.equal([
        [
          'restore',
          'spec.hooks.resources[0].postHooks[0].init.initContainers[0].command',
          plan.initHooks[0]!.id,
        ],
      ]);
    });

    it('names template fields for workloads', () => {
      const deploy = {
        kind: 'Deployment',
        metadata: { name: 'd', namespace: 'app' },
        spec: {
          template: {
            metadata: { annotations: { ...INIT_ANN, 'init.hook.restore.velero.io/container-name': 'Bad' } },
            spec: { containers: [app] },
          },
        },
      };
      const t = objectTarget(deploy, 'app');
      const plan = t.ok ? planHooks(noSpecHooks, t.value.target) : undefined;
      expect(plan?.problems.map((p) => p.field)).to.deep.equal([
        'spec.template.metadata.annotations[init.hook.restore.velero.io/container-name]',
      ]);
    });
  });

  describe('annotation exec hooks, as Velero reads them', () => {
    const exec = (extra: Record<string, string>) =>
      planHooks(
        noSpecHooks,
        target({ annotations: { 'post.hook.restore.velero.io/command': '["sh", "-c", "true"]', ...extra } }),
      );

    it('defaults to the first container, Continue, 30s, no wait limit, not waiting for Ready', () => {
      const plan = exec({});
      expect(plan.execHooks[0]).to.deep.include({
        container: 'app',
        command: ['sh', '-c', 'true'],
        onError: 'Continue',
        execTimeoutMs: 30_000,
        waitTimeoutMs: undefined,
        waitForReady: false,
        valid: true,
      });
      expect(plan.problems).to.deep.equal([]);
    });

    it('reads every setting', () => {
      const plan = exec({
        'post.hook.restore.velero.io/on-error': 'Fail',
        'post.hook.restore.velero.io/exec-timeout': '1m30s',
        'post.hook.restore.velero.io/wait-timeout': '10m',
        'post.hook.restore.velero.io/wait-for-ready': 'T',
      });
      expect(plan.execHooks[0]).to.deep.include({
        onError: 'Fail',
        execTimeoutMs: 90_000,
        waitTimeoutMs: 600_000,
        waitForReady: true,
      });
    });

    const lenient: [string, Record<string, string>, Record<string, unknown>][] = [
      ['on-error', { 'post.hook.restore.velero.io/on-error': 'fail' }, { onError: 'Continue' }],
      ['exec-timeout', { 'post.hook.restore.velero.io/exec-timeout': '30' }, { execTimeoutMs: 30_000 }],
      ['wait-timeout', { 'post.hook.restore.velero.io/wait-timeout': '1d' }, { waitTimeoutMs: undefined }],
      ['wait-for-ready', { 'post.hook.restore.velero.io/wait-for-ready': 'yes' }, { waitForReady: false }],
    ];
    for (const [key, ann, expected] of lenient)
      it(`treats an invalid ${key} as Velero does, with a warning`, () => {
        const plan = exec(ann);
        expect(plan.execHooks[0]).to.deep.include({ ...expected, valid: true });
        expect(plan.problems.map((p) => [p.severity, p.field])).to.deep.equal([
          ['warning', `metadata.annotations[post.hook.restore.velero.io/${key}]`],
        ]);
      });

    it('warns when a [ value is not a JSON array and uses it as one argument', () => {
      const plan = planHooks(
        noSpecHooks,
        target({ annotations: { 'post.hook.restore.velero.io/command': '[oops' } }),
      );
      expect(plan.execHooks[0]!.command).to.deep.equal(['[oops']);
      expect(plan.problems.map((p) => p.severity)).to.deep.equal(['warning']);
    });
  });

  describe('policy', () => {
    it('ignores annotations with a warning when annotation hooks are disabled, and uses the spec', () => {
      const plan = planHooks(r2, target({ annotations: INIT_ANN }), {
        policy: { ...DEFAULT_HOOK_POLICY, annotationHooks: false, allowedImages: [] },
      });
      expect(plan.initSource).to.equal('spec');
      expect(plan.problems.map((p) => [p.severity, p.field])).to.deep.equal([
        ['warning', 'metadata.annotations'],
      ]);
    });

    it('rejects an annotation hook image the policy does not allow', () => {
      const plan = planHooks(noSpecHooks, target({ annotations: INIT_ANN }), {
        policy: { ...DEFAULT_HOOK_POLICY, annotationHooks: true, allowedImages: ['registry.local/*'] },
      });
      expect(plan.initHooks[0]!.state).to.equal('invalid');
      expect(plan.problems[0]!.field).to.equal(
        'metadata.annotations[init.hook.restore.velero.io/container-image]',
      );
      expect(plan.initContainersChanged).to.equal(false);
    });
  });

  describe('properties', () => {
    const container = fc.record({
      name: fc.constantFrom('restore-hook', 'h', 'app', 'restore-wait', 'velero-restore-init-deadfeed', 'x'),
      image: fc.constantFrom('busybox', 'alpine:latest'),
      command: fc.constantFrom(['true'], ['/bin/ash', '-c', 'date']).map((c) => [...c]),
    });
    const annotations = fc.dictionary(
      fc.constantFrom(
        'init.hook.restore.velero.io/container-image',
        'init.hook.restore.velero.io/container-name',
        'init.hook.restore.velero.io/command',
        'post.hook.restore.velero.io/command',
        'post.hook.restore.velero.io/container',
        'post.hook.restore.velero.io/on-error',
        'post.hook.restore.velero.io/exec-timeout',
        'post.hook.restore.velero.io/wait-timeout',
        'post.hook.restore.velero.io/wait-for-ready',
      ),
      fc.oneof(fc.string(), fc.constantFrom('busybox', 'restore-hook', '["a"]', '5s', 'true', 'Fail', 'app')),
    );
    // Pods the API server would accept: container names unique across init and app containers.
    const podTarget = fc
      .record({
        namespace: fc.constantFrom('app', 'other'),
        annotations,
        podSpec: fc.record({
          initContainers: fc.array(container, { maxLength: 3 }),
          containers: fc.array(container, { maxLength: 2 }),
          volumes: fc.constant(volumes),
        }),
      })
      .filter((t) => {
        const names = [...t.podSpec.initContainers, ...t.podSpec.containers].map((c) => c.name);
        return new Set(names).size === names.length;
      });

    it('never throws, even on junk targets', () => {
      const junk = fc.record({
        namespace: fc.string(),
        annotations,
        podSpec: fc.jsonValue(),
      }) as fc.Arbitrary<HookTarget>;
      fc.assert(
        fc.property(fc.oneof(podTarget as fc.Arbitrary<HookTarget>, junk), (t) => {
          const plan = planHooks(r2, t);
          expect(plan.problems).to.be.an('array');
        }),
        { numRuns: 1000 },
      );
    });

    it('is idempotent: after applying a plan, planning again changes nothing', () => {
      fc.assert(
        fc.property(podTarget, (t) => {
          const first = planHooks(r2, t);
          const second = planHooks(r2, applied(t, first.initContainers));
          expect(second.initContainersChanged).to.equal(false);
          expect(second.initHooks.filter((h) => h.state === 'insert')).to.deep.equal([]);
          const names = second.initContainers.map((c) => c.name);
          expect(new Set(names).size).to.equal(names.length);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('hooks/exec-hooks: mayHaveExecHooks, the check before planning', () => {
  const initOnly = restore([
    { name: 'h', postHooks: [{ init: { initContainers: [{ name: 'i', image: 'x' }] } }] },
  ]);
  const withExec = restore([{ name: 'h', postHooks: [{ exec: { command: ['x'] } }] }]);
  const EXEC_ANN = { 'post.hook.restore.velero.io/command': 'date' };
  const cases: [string, ReturnType<typeof restore>, Record<string, string>, boolean][] = [
    ['init hooks only, no annotation', initOnly, {}, false],
    ['no spec hooks, an init hook annotation only', noSpecHooks, INIT_ANN, false],
    ['an exec post hook in spec.hooks', withExec, {}, true],
    ['the pod’s own exec command annotation', initOnly, EXEC_ANN, true],
  ];
  for (const [name, hooks, annotations, want] of cases)
    it(`${name}: ${want}`, () => expect(mayHaveExecHooks(hooks, annotations)).to.equal(want));

  it('property: when it says none is possible, the plan has no exec hook', () => {
    const container = fc.constantFrom('app', 'sidecar', '');
    const postHook = fc.oneof(
      fc.record({
        exec: fc.record({ container, command: fc.array(fc.string(), { minLength: 1, maxLength: 2 }) }),
      }),
      fc.constant({ init: { initContainers: [{ name: 'i', image: 'alpine' }] } }),
    );
    const annotations = fc.dictionary(
      fc.constantFrom(
        'post.hook.restore.velero.io/command',
        'post.hook.restore.velero.io/container',
        'init.hook.restore.velero.io/container-image',
        'other',
      ),
      fc.string({ maxLength: 5 }),
    );
    fc.assert(
      fc.property(fc.array(postHook, { maxLength: 3 }), annotations, (postHooks, ann) => {
        const hooks = restore([{ name: 'h', postHooks }]);
        const plan = planHooks(hooks, target({ annotations: ann }));
        if (!mayHaveExecHooks(hooks, ann)) expect(plan.execHooks).to.deep.equal([]);
      }),
    );
  });
});
