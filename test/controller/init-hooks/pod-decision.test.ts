import { expect } from 'chai';
import { decidePod } from '../../../src/controller/init-hooks/pod-decision.ts';
import type { PodDecision, PodDecisionFacts } from '../../../src/controller/init-hooks/pod-decision.ts';

const base: PodDecisionFacts = {
  topOwnerKind: 'Pod',
  restoreActive: true,
  createdDuringRestore: true,
  hooks: 'missing',
  stillPending: true,
  restoreWait: false,
};

const cases: Array<[string, Partial<PodDecisionFacts>, PodDecision]> = [
  ['a pending bare pod without its hooks is replaced', {}, { action: 'replace' }],
  [
    'a pod older than the restore is left alone',
    { createdDuringRestore: false },
    { action: 'none', reason: 'NotInRestore' },
  ],
  [
    'an inactive restore does nothing',
    { restoreActive: false },
    { action: 'none', reason: 'RestoreInactive' },
  ],
  ['no hooks apply', { hooks: 'none' }, { action: 'none', reason: 'NoHooks' }],
  ['hooks already in the pod', { hooks: 'present' }, { action: 'none', reason: 'HooksInPlace' }],
  ['invalid hooks', { hooks: 'invalid' }, { action: 'none', reason: 'InvalidHooks' }],
  ['conflicting container', { hooks: 'conflict' }, { action: 'none', reason: 'HookConflict' }],
  [
    'a running pod is missed, never touched',
    { stillPending: false },
    { action: 'none', reason: 'AppContainersStarted' },
  ],
  ['restore-wait: never deleted', { restoreWait: true }, { action: 'none', reason: 'RestoreWait' }],
  [
    'Job-owned pods cannot get hooks',
    { topOwnerKind: 'Job' },
    { action: 'none', reason: 'JobTemplateImmutable' },
  ],
  [
    'CronJob-owned pods cannot get hooks',
    { topOwnerKind: 'CronJob' },
    { action: 'none', reason: 'JobTemplateImmutable' },
  ],
  ['a Deployment pod is handled through its owner', { topOwnerKind: 'Deployment' }, { action: 'viaOwner' }],
  [
    'a StatefulSet pod is handled through its owner',
    { topOwnerKind: 'StatefulSet', restoreWait: true },
    { action: 'viaOwner' },
  ],
  [
    'an unknown controller is not second-guessed',
    { topOwnerKind: 'VirtualMachineInstance' },
    { action: 'none', reason: 'UnsupportedOwner' },
  ],
];

describe('decidePod', () => {
  for (const [title, overrides, want] of cases) {
    it(title, () => expect(decidePod({ ...base, ...overrides })).to.deep.equal(want));
  }
});
