import { expect } from 'chai';
import { WorkloadOutcomes } from '../../src/controller/restores/restore-reconciler.ts';
import type { WorkloadOutcome } from '../../src/controller/init-hooks/workload-reconciler.ts';

const RESTORE = 'velero/r2';
const outcome = (
  workload: string,
  decision: WorkloadOutcome['decision'],
  skippedPods: readonly string[] = [],
): WorkloadOutcome => ({
  restore: RESTORE,
  workload,
  decision,
  skippedPods,
});

describe('WorkloadOutcomes.tally (the facts behind InitHooksApplied)', () => {
  const cases: Array<[string, WorkloadOutcome[], string[], ReturnType<WorkloadOutcomes['tally']>]> = [
    [
      'a member not reconciled yet is pending',
      [],
      ['Deployment/app/web'],
      { done: 0, pending: 1, conflicts: 0, skippedPods: 0, invalid: [] },
    ],
    [
      'hooked and already-hooked workloads are done; skipped pods add up',
      [
        outcome('Deployment/app/a', 'HooksInPlace'),
        outcome('Deployment/app/b', 'PodsAlreadyHaveHooks', ['app/b-1', 'app/b-2']),
      ],
      ['Deployment/app/a', 'Deployment/app/b'],
      { done: 2, pending: 0, conflicts: 0, skippedPods: 2, invalid: [] },
    ],
    [
      'a template about to be patched, or waiting for a file-system restore, is pending',
      [
        outcome('Deployment/app/a', 'InjectHooks'),
        outcome('Deployment/app/b', 'WaitingForFileSystemRestore'),
      ],
      ['Deployment/app/a', 'Deployment/app/b'],
      { done: 0, pending: 2, conflicts: 0, skippedPods: 0, invalid: [] },
    ],
    [
      'conflicts are counted apart',
      [outcome('StatefulSet/app/db', 'HookConflict')],
      ['StatefulSet/app/db'],
      { done: 0, pending: 0, conflicts: 1, skippedPods: 0, invalid: [] },
    ],
  ];
  it('lists the workloads whose own init hooks are invalid, apart from the done and the pending', () => {
    const outcomes = new WorkloadOutcomes();
    outcomes.record(outcome('Deployment/app/ok', 'HooksInPlace'));
    outcomes.record({
      ...outcome('Deployment/app/bad', 'InvalidHooks'),
      invalidHooks: 'Deployment app/bad (invalid-hook): f: m',
    });
    expect(outcomes.tally(RESTORE, ['Deployment/app/ok', 'Deployment/app/bad'])).to.deep.equal({
      done: 1,
      pending: 0,
      conflicts: 0,
      skippedPods: 0,
      invalid: ['Deployment app/bad (invalid-hook): f: m'],
    });
  });

  it('counts skipped pods without a workload (bare pods, Jobs’ pods) once each, with the workloads’ skipped pods', () => {
    const outcomes = new WorkloadOutcomes();
    outcomes.record(outcome('ReplicaSet/app/fsr', 'HooksInPlace', ['app/fsr-1']));
    outcomes.recordSkippedPod(RESTORE, 'app/migrate-x1');
    outcomes.recordSkippedPod(RESTORE, 'app/migrate-x1');
    outcomes.recordSkippedPod(RESTORE, 'app/solo');
    // Reported as a bare pod before its ReplicaSet adopted it, then by the ReplicaSet: one pod.
    outcomes.recordSkippedPod(RESTORE, 'app/fsr-1');
    outcomes.recordSkippedPod('velero/other', 'app/elsewhere');
    expect(outcomes.tally(RESTORE, ['ReplicaSet/app/fsr'])).to.deep.equal({
      done: 1,
      pending: 0,
      conflicts: 0,
      skippedPods: 3,
      invalid: [],
    });
    outcomes.forget(RESTORE);
    expect(outcomes.tally(RESTORE, []).skippedPods).to.equal(0);
  });

  for (const [title, recorded, members, want] of cases) {
    it(title, () => {
      const outcomes = new WorkloadOutcomes();
      for (const o of recorded) outcomes.record(o);
      expect(outcomes.tally(RESTORE, members)).to.deep.equal(want);
    });
  }
});

describe('WorkloadOutcomes.record (whether the restore needs a status reconcile)', () => {
  it('reports a first outcome and a changed decision or skipped-pod list, not the same outcome again', () => {
    const outcomes = new WorkloadOutcomes();
    const steps: Array<[WorkloadOutcome, boolean]> = [
      [outcome('Deployment/app/a', 'InjectHooks'), true],
      [outcome('Deployment/app/a', 'InjectHooks'), false],
      [outcome('Deployment/app/a', 'HooksInPlace'), true],
      [outcome('Deployment/app/a', 'HooksInPlace'), false],
      [outcome('Deployment/app/a', 'HooksInPlace', ['app/a-1']), true],
      [outcome('Deployment/app/a', 'HooksInPlace', ['app/a-2']), true],
      [outcome('Deployment/app/a', 'HooksInPlace', ['app/a-2']), false],
      [outcome('Deployment/app/b', 'HooksInPlace', ['app/a-2']), true],
      [{ ...outcome('Deployment/app/a', 'HooksInPlace', ['app/a-2']), restore: 'velero/other' }, true],
    ];
    expect(steps.map(([o]) => outcomes.record(o))).to.deep.equal(steps.map(([, changed]) => changed));
  });

  it('reports an outcome again after the restore was forgotten', () => {
    const outcomes = new WorkloadOutcomes();
    outcomes.record(outcome('Deployment/app/a', 'HooksInPlace'));
    outcomes.forget(RESTORE);
    expect(outcomes.record(outcome('Deployment/app/a', 'HooksInPlace'))).to.equal(true);
  });
});
