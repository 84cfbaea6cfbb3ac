import { expect } from 'chai';
import fc from 'fast-check';
import { planHooks } from '../../src/hooks/plan.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { mapNamespace, parseRestoreHooks, restoresIntoNamespace } from '../../src/hooks/validate.ts';
import { matchIncludesExcludes } from '../../src/hooks/glob.ts';
import { issueRxHooks } from '../helpers/restore-fixtures.ts';

const INIT_AND_EXEC_ANNOTATIONS = {
  'init.hook.restore.velero.io/container-image': 'alpine:3.20',
  'init.hook.restore.velero.io/command': '["true"]',
  'post.hook.restore.velero.io/command': '["sh", "-c", "exit 3"]',
  'post.hook.restore.velero.io/on-error': 'Fail',
};

/** A Restore like the issue's `velero/rx`: scoped spec, hook entries with no namespace filter of their own. */
function rx(spec: Record<string, unknown>) {
  return parseRestoreHooks(
    {
      metadata: { name: 'rx', namespace: 'velero' },
      spec: {
        ...spec,
        hooks: issueRxHooks(['sh', '-c', 'cat /secret']),
      },
    },
    DEFAULT_HOOK_POLICY,
  );
}

describe('hooks: a Restore reaches only the namespaces it restores', () => {
  const table: Array<[string, Record<string, unknown>, string, boolean]> = [
    ['no includes: every namespace', {}, 'team', true],
    ['include *: every namespace', { includedNamespaces: ['*'] }, 'team', true],
    ['included by name', { includedNamespaces: ['app'] }, 'app', true],
    ['not included (the issue: team/sneaky2)', { includedNamespaces: ['app'] }, 'team', false],
    ['included by glob', { includedNamespaces: ['app-*'] }, 'app-1', true],
    ['glob does not match', { includedNamespaces: ['app-*'] }, 'team', false],
    ['excluded wins over *', { includedNamespaces: ['*'], excludedNamespaces: ['team'] }, 'team', false],
    [
      'excluded by glob wins',
      { includedNamespaces: ['app-*'], excludedNamespaces: ['app-2'] },
      'app-2',
      false,
    ],
    [
      'mapped target of an included source',
      { includedNamespaces: ['prod'], namespaceMapping: { prod: 'staging' } },
      'staging',
      true,
    ],
    [
      'the mapped-away source itself',
      { includedNamespaces: ['prod'], namespaceMapping: { prod: 'staging' } },
      'prod',
      false,
    ],
    [
      'mapped-away source even when every namespace is included',
      { namespaceMapping: { prod: 'staging' } },
      'prod',
      false,
    ],
    [
      'mapped target of an excluded source',
      { excludedNamespaces: ['prod'], namespaceMapping: { prod: 'staging' } },
      'staging',
      true,
    ],
    [
      'target of an excluded source only',
      { includedNamespaces: ['prod'], excludedNamespaces: ['prod'], namespaceMapping: { prod: 'staging' } },
      'staging',
      false,
    ],
    [
      'mapping of a source that is not included',
      { includedNamespaces: ['app'], namespaceMapping: { team: 'app2' } },
      'app2',
      false,
    ],
    [
      'a chain: a→b, b→c lands a in b',
      { includedNamespaces: ['a', 'b'], namespaceMapping: { a: 'b', b: 'c' } },
      'b',
      true,
    ],
    [
      'a chain: c comes from b',
      { includedNamespaces: ['a', 'b'], namespaceMapping: { a: 'b', b: 'c' } },
      'c',
      true,
    ],
    [
      'a chain: a itself receives nothing',
      { includedNamespaces: ['a', 'b'], namespaceMapping: { a: 'b', b: 'c' } },
      'a',
      false,
    ],
    ['a namespace named like an Object.prototype key', { includedNamespaces: ['app'] }, 'constructor', false],
  ];
  for (const [title, spec, namespace, want] of table) {
    it(`${title}: ${namespace} => ${want}`, () => {
      const hooks = rx(spec);
      expect(hooks.problems).to.deep.equal([]);
      expect(restoresIntoNamespace(hooks, namespace)).to.equal(want);
      const plan = planHooks(hooks, {
        namespace,
        annotations: INIT_AND_EXEC_ANNOTATIONS,
        podSpec: { containers: [{ name: 'app', image: 'nginx' }] },
      });
      if (want) {
        expect(plan.initSource).to.equal('annotation');
        expect(plan.execHooks).to.have.length(1);
      } else {
        // Neither the spec's hooks nor the object's own annotation hooks: it is not the Restore's.
        expect(plan.initHooks).to.deep.equal([]);
        expect(plan.execHooks).to.deep.equal([]);
        expect(plan.initContainersChanged).to.equal(false);
        expect(plan.initSource).to.equal('none');
        expect(plan.execSource).to.equal('none');
        expect(plan.problems.map((p) => [p.severity, p.field])).to.deep.equal([
          ['warning', 'metadata.namespace'],
        ]);
        expect(plan.problems[0]!.message).to.contain('velero/rx restores nothing into namespace');
      }
    });
  }

  it('applies the Restore scope before a hook entry that names the namespace', () => {
    const hooks = parseRestoreHooks(
      {
        spec: {
          includedNamespaces: ['app'],
          hooks: {
            resources: [
              {
                name: 'r',
                includedNamespaces: ['team'],
                postHooks: [{ exec: { command: ['true'] } }],
              },
            ],
          },
        },
      },
      DEFAULT_HOOK_POLICY,
    );
    const plan = planHooks(hooks, { namespace: 'team', podSpec: { containers: [{ name: 'a' }] } });
    expect(plan.execHooks).to.deep.equal([]);
  });

  it('reports invalid spec.includedNamespaces / excludedNamespaces with their field paths', () => {
    const hooks = parseRestoreHooks(
      { spec: { includedNamespaces: ['app', 'bad['], excludedNamespaces: 'team' } },
      DEFAULT_HOOK_POLICY,
    );
    expect(hooks.problems.map((p) => [p.severity, p.field])).to.deep.equal([
      ['error', 'spec.includedNamespaces[1]'],
      ['error', 'spec.excludedNamespaces'],
    ]);
  });

  it('agrees with mapping every source namespace one by one (property)', () => {
    const ns = fc.constantFrom('a', 'b', 'c', 'app', 'app-1', 'team');
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'app-*', '*', 'team'), { maxLength: 3 }),
        fc.array(fc.constantFrom('a', 'b', 'app-*', 'team'), { maxLength: 2 }),
        fc.dictionary(ns, ns, { maxKeys: 3 }),
        ns,
        (includedNamespaces, excludedNamespaces, namespaceMapping, target) => {
          const hooks = parseRestoreHooks(
            { spec: { includedNamespaces, excludedNamespaces, namespaceMapping } },
            DEFAULT_HOOK_POLICY,
          );
          const sources = ['a', 'b', 'c', 'app', 'app-1', 'team'];
          const brute = sources.some(
            (s) =>
              matchIncludesExcludes(s, includedNamespaces, excludedNamespaces).included &&
              mapNamespace(hooks, s) === target,
          );
          expect(restoresIntoNamespace(hooks, target)).to.equal(brute);
        },
      ),
    );
  });
});
