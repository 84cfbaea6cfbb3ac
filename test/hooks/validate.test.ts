import { expect } from 'chai';
import fc from 'fast-check';
import { mapNamespace, parseRestoreHooks } from '../../src/hooks/validate.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';

const R0 = 'spec.hooks.resources[0]';
const INIT0 = `${R0}.postHooks[0].init.initContainers[0]`;
const EXEC0 = `${R0}.postHooks[0].exec`;

function restoreWith(resource: unknown) {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'r', namespace: 'velero' },
    spec: { backupName: 'b', hooks: { resources: [resource] } },
  };
}
const initHook = (container: unknown) => ({
  name: 'h',
  postHooks: [{ init: { initContainers: [container] } }],
});
const execHook = (exec: unknown) => ({ name: 'h', postHooks: [{ exec }] });
const good = { name: 'c', image: 'alpine', command: ['true'] };

describe('hooks/validate: spec.hooks with field paths', () => {
  it('accepts the golden Restore r2 shape without problems', () => {
    const r = parseRestoreHooks(
      restoreWith({
        name: 'restore-hook-1',
        includedNamespaces: ['app'],
        postHooks: [
          { init: { initContainers: [{ ...good, volumeMounts: [{ name: 'v', mountPath: '/v' }] }] } },
        ],
      }),
      DEFAULT_HOOK_POLICY,
    );
    expect(r.problems).to.deep.equal([]);
    expect(r.resources[0]!.postHooks[0]!.kind).to.equal('init');
  });

  const errors: [string, unknown, string, string][] = [
    ['resource without a name', { postHooks: [] }, `${R0}.name`, 'Required value'],
    [
      'init container without a name',
      initHook({ image: 'a', command: ['x'] }),
      `${INIT0}.name`,
      'Required value',
    ],
    ['init container with a bad name', initHook({ ...good, name: 'Bad_Name' }), `${INIT0}.name`, 'RFC 1123'],
    [
      'init container with a 64-char name',
      initHook({ ...good, name: 'a'.repeat(64) }),
      `${INIT0}.name`,
      '63',
    ],
    [
      'init container without an image',
      initHook({ name: 'c', command: ['x'] }),
      `${INIT0}.image`,
      'Required value',
    ],
    [
      'init container without a command',
      initHook({ name: 'c', image: 'a' }),
      `${INIT0}.command`,
      'Velero requires',
    ],
    [
      'init container with an empty command',
      initHook({ ...good, command: [] }),
      `${INIT0}.command`,
      'Velero requires',
    ],
    [
      'init container with a string command',
      initHook({ ...good, command: 'true' }),
      `${INIT0}.command`,
      'list',
    ],
    ['init container not an object', initHook('alpine'), INIT0, 'container object'],
    [
      'volumeMount without a mountPath',
      initHook({ ...good, volumeMounts: [{ name: 'v' }] }),
      `${INIT0}.volumeMounts[0].mountPath`,
      'Required',
    ],
    [
      'invalid init timeout',
      { name: 'h', postHooks: [{ init: { initContainers: [good], timeout: '5 minutes' } }] },
      `${R0}.postHooks[0].init.timeout`,
      'Go duration',
    ],
    [
      'both init and exec',
      { name: 'h', postHooks: [{ init: {}, exec: { command: ['x'] } }] },
      `${R0}.postHooks[0]`,
      'only one',
    ],
    ['neither init nor exec', { name: 'h', postHooks: [{}] }, `${R0}.postHooks[0]`, 'init or exec'],
    ['exec without a command', execHook({ container: 'app' }), `${EXEC0}.command`, 'Required value'],
    ['exec with an empty command', execHook({ command: [] }), `${EXEC0}.command`, 'at least one'],
    [
      'exec with a bad onError',
      execHook({ command: ['x'], onError: 'continue' }),
      `${EXEC0}.onError`,
      'Unsupported value: "continue"',
    ],
    [
      'exec with a bad execTimeout',
      execHook({ command: ['x'], execTimeout: '30' }),
      `${EXEC0}.execTimeout`,
      'missing unit',
    ],
    [
      'exec with a day waitTimeout',
      execHook({ command: ['x'], waitTimeout: '1d' }),
      `${EXEC0}.waitTimeout`,
      'unknown unit',
    ],
    [
      'exec with a negative timeout',
      execHook({ command: ['x'], execTimeout: '-1s' }),
      `${EXEC0}.execTimeout`,
      'negative',
    ],
    [
      'exec with a numeric timeout',
      execHook({ command: ['x'], execTimeout: 30 }),
      `${EXEC0}.execTimeout`,
      'Go duration',
    ],
    [
      'exec with a string waitForReady',
      execHook({ command: ['x'], waitForReady: 'true' }),
      `${EXEC0}.waitForReady`,
      'true or false',
    ],
    [
      'invalid selector',
      { name: 'h', labelSelector: { matchExpressions: [{ key: 'a', operator: 'Is' }] } },
      `${R0}.labelSelector.matchExpressions[0].operator`,
      'Unsupported value',
    ],
    [
      'invalid namespace glob',
      { name: 'h', includedNamespaces: ['app-['] },
      `${R0}.includedNamespaces[0]`,
      'invalid glob',
    ],
    [
      'namespaces not a list',
      { name: 'h', excludedNamespaces: 'kube-system' },
      `${R0}.excludedNamespaces`,
      'list',
    ],
  ];
  for (const [name, resource, field, message] of errors)
    it(`${name}: error at ${field}`, () => {
      const r = parseRestoreHooks(restoreWith(resource), DEFAULT_HOOK_POLICY);
      const hit = r.problems.find((p) => p.field === field);
      expect(hit, JSON.stringify(r.problems)).to.not.equal(undefined);
      expect(hit!.severity).to.equal('error');
      expect(hit!.object).to.equal('restore');
      expect(hit!.message).to.contain(message);
    });

  it('warns that includedResources/excludedResources are ignored', () => {
    const r = parseRestoreHooks(
      restoreWith({ name: 'h', includedResources: ['deployments'], excludedResources: ['pods'] }),
      DEFAULT_HOOK_POLICY,
    );
    expect(r.problems.map((p) => [p.severity, p.field])).to.deep.equal([
      ['warning', `${R0}.includedResources`],
      ['warning', `${R0}.excludedResources`],
    ]);
  });

  it('rejects images the policy does not allow', () => {
    const r = parseRestoreHooks(restoreWith(initHook(good)), {
      ...DEFAULT_HOOK_POLICY,
      annotationHooks: true,
      allowedImages: ['registry.local/*'],
    });
    expect(r.problems.map((p) => p.field)).to.deep.equal([`${INIT0}.image`]);
  });

  it('makes a resource with an invalid selector select nothing', () => {
    const r = parseRestoreHooks(
      restoreWith({ name: 'h', labelSelector: { matchLabels: 'app' } }),
      DEFAULT_HOOK_POLICY,
    );
    expect(r.resources[0]!.selectable).to.equal(false);
  });

  it('defaults exec settings as Velero does: Continue, 30s, no wait limit, not waiting for Ready', () => {
    const r = parseRestoreHooks(
      restoreWith(execHook({ command: ['x'], execTimeout: '0s' })),
      DEFAULT_HOOK_POLICY,
    );
    const ph = r.resources[0]!.postHooks[0]!;
    expect(ph.kind === 'exec' && ph.exec).to.deep.include({
      container: '',
      onError: 'Continue',
      execTimeoutMs: 30_000,
      waitTimeoutMs: undefined,
      waitForReady: false,
      valid: true,
    });
  });

  it('reads namespaceMapping', () => {
    const r = parseRestoreHooks({ spec: { namespaceMapping: { prod: 'staging' } } }, DEFAULT_HOOK_POLICY);
    expect(mapNamespace(r, 'prod')).to.equal('staging');
    expect(mapNamespace(r, 'other')).to.equal('other');
    expect(mapNamespace(r, 'constructor')).to.equal('constructor');
  });

  it('never throws, whatever the Restore looks like', () => {
    const shaped = fc.record(
      {
        spec: fc.record(
          {
            hooks: fc.record(
              {
                resources: fc.oneof(
                  fc.jsonValue(),
                  fc.array(fc.record({ name: fc.string(), postHooks: fc.jsonValue() })),
                ),
              },
              { requiredKeys: [] },
            ),
            namespaceMapping: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), shaped), (v) => {
        const r = parseRestoreHooks(v, DEFAULT_HOOK_POLICY);
        expect(r.problems).to.be.an('array');
      }),
      { numRuns: 1000 },
    );
  });
});
