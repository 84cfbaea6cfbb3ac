import { expect } from 'chai';
import { objectTarget } from '../../src/hooks/targets.ts';
import { addedHookContainers, planHooks } from '../../src/hooks/plan.ts';
import { parseRestoreHooks } from '../../src/hooks/validate.ts';
import { removeHookContainers } from '../../src/hooks/init-containers.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { defaultContainer } from '../../src/kube/container-defaults.ts';

const podSpec = { containers: [{ name: 'app', image: 'nginx' }] };
const template = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: podSpec };

describe('hooks/targets: where the pod spec lives', () => {
  const kinds: [string, Record<string, unknown>, string, boolean][] = [
    ['Pod', { metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: podSpec }, 'spec', false],
    ['Deployment', { spec: { template } }, 'spec.template.spec', false],
    ['StatefulSet', { spec: { template } }, 'spec.template.spec', false],
    ['DaemonSet', { spec: { template } }, 'spec.template.spec', false],
    ['ReplicaSet', { spec: { template } }, 'spec.template.spec', false],
    ['Job', { spec: { template } }, 'spec.template.spec', true],
    [
      'CronJob',
      { spec: { jobTemplate: { spec: { template } } } },
      'spec.jobTemplate.spec.template.spec',
      true,
    ],
  ];
  for (const [kind, body, specPath, immutable] of kinds)
    it(`reads a ${kind}`, () => {
      const r = objectTarget(
        { kind, ...body, metadata: { name: 'x', namespace: 'src', ...(body.metadata as object) } },
        'dst',
      );
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(r.value).to.deep.include({ kind, name: 'x', namespace: 'src', templateImmutable: immutable });
      expect(r.value.target).to.deep.include({ namespace: 'dst', specPath, podSpec });
      expect(r.value.target.labels).to.deep.equal({ app: 'web' });
      expect(r.value.target.annotations).to.deep.equal({ a: 'b' });
    });

  const bad: [unknown, string][] = [
    [{ kind: 'Service', metadata: {} }, 'kind'],
    [{ kind: 'Deployment', spec: {} }, 'spec.template'],
    [{ kind: 'Deployment', spec: { template: { metadata: {} } } }, 'spec.template.spec'],
    [{ kind: 'Pod' }, 'spec'],
    ['Pod', ''],
  ];
  for (const [obj, field] of bad)
    it(`reports ${field || 'a non-object'} for ${JSON.stringify(obj)}`, () => {
      const r = objectTarget(obj, 'ns');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.field).to.equal(field);
    });
});

describe('template patching and cleanup, end to end in pure code', () => {
  it('patches a template, records what it added, and removes exactly that', () => {
    const hooks = parseRestoreHooks(
      {
        spec: {
          hooks: {
            resources: [
              {
                name: 'h',
                postHooks: [
                  { init: { initContainers: [{ name: 'h1', image: 'busybox', command: ['true'] }] } },
                ],
              },
            ],
          },
        },
      },
      DEFAULT_HOOK_POLICY,
    );
    const own = defaultContainer({ name: 'own', image: 'busybox', command: ['true'] });
    const t = {
      namespace: 'app',
      podSpec: { initContainers: [own], containers: [{ name: 'app', image: 'nginx' }] },
    };
    const plan = planHooks(hooks, t);
    const record = addedHookContainers(plan);
    expect(record.map((r) => r.name)).to.deep.equal(['h1']);
    const stored = plan.initContainers.map((c) => defaultContainer(c));
    const again = planHooks(hooks, { ...t, podSpec: { ...t.podSpec, initContainers: stored } });
    expect(addedHookContainers(again)).to.deep.equal([]);
    expect(removeHookContainers(stored, record).initContainers).to.deep.equal([own]);
  });
});
