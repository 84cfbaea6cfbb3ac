import { expect } from 'chai';
import { nearestName, unknownRestoreFields } from '../../src/hooks/index.ts';

const restore = (hooks: unknown) => ({ apiVersion: 'velero.io/v1', kind: 'Restore', spec: { hooks } });

describe('hook engine: unknown fields of spec.hooks', () => {
  const cases: [string, unknown, string[]][] = [
    ['a valid spec.hooks', { resources: [{ name: 'a', postHooks: [{ exec: { command: ['x'] } }] }] }, []],
    ['no hooks', undefined, []],
    [
      'postHook',
      { resources: [{ name: 'a', postHook: [] }] },
      ['unknown field spec.hooks.resources[0].postHook, did you mean postHooks?'],
    ],
    [
      'a misspelt exec field, in the second hook resource',
      {
        resources: [
          { name: 'a' },
          { name: 'b', postHooks: [{ init: {} }, { exec: { comand: ['x'], onerror: 'Fail' } }] },
        ],
      },
      [
        'unknown field spec.hooks.resources[1].postHooks[1].exec.comand, did you mean command?',
        'unknown field spec.hooks.resources[1].postHooks[1].exec.onerror, did you mean onError?',
      ],
    ],
    [
      'nothing near',
      { resourcez: [], preHooks: [] },
      ['unknown field spec.hooks.resourcez, did you mean resources?', 'unknown field spec.hooks.preHooks'],
    ],
    [
      'a label selector expression',
      { resources: [{ labelSelector: { matchExpressions: [{ key: 'a', operator: 'In', value: ['x'] }] } }] },
      ['unknown field spec.hooks.resources[0].labelSelector.matchExpressions[0].value, did you mean values?'],
    ],
    [
      "init fields; containers are the API server's to check",
      { resources: [{ postHooks: [{ init: { initContainers: [{ nme: 'x' }], timeot: '1m' } }] }] },
      ['unknown field spec.hooks.resources[0].postHooks[0].init.timeot, did you mean timeout?'],
    ],
  ];
  for (const [name, hooks, expected] of cases)
    it(name, () => {
      const problems = unknownRestoreFields(restore(hooks));
      expect(problems.map((p) => p.message)).to.deep.equal(expected);
      for (const p of problems) expect(p).to.include({ severity: 'warning', object: 'restore' });
    });

  it('suggests only within two edits, case-insensitively', () => {
    expect(nearestName('PostHooks', ['postHooks'])).to.equal('postHooks');
    expect(nearestName('hooksPost', ['postHooks'])).to.equal(undefined);
  });
});
