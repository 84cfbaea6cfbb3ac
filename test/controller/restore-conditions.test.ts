import { expect } from 'chai';
import {
  conditionsShow,
  hooksValidCondition,
  initHooksAppliedCondition,
  mergeConditions,
} from '../../src/controller/restores/conditions.ts';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

describe('restore conditions', () => {
  it('adds a new condition with the current time and generation', () => {
    const got = mergeConditions(undefined, [hooksValidCondition([])], 3, T0);
    expect(got).to.deep.equal([
      {
        type: 'HooksValid',
        status: 'True',
        reason: 'Valid',
        message: 'All hooks in spec.hooks are valid.',
        observedGeneration: 3,
        lastTransitionTime: T0,
      },
    ]);
  });

  it('keeps lastTransitionTime when the status does not change, so an unchanged status is not rewritten', () => {
    const first = mergeConditions(undefined, [hooksValidCondition([])], 3, T0);
    expect(mergeConditions(first, [hooksValidCondition([])], 3, T1)).to.deep.equal(first);
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = mergeConditions(undefined, [hooksValidCondition([])], 3, T0);
    const flipped = mergeConditions(
      first,
      [hooksValidCondition([{ field: 'spec.hooks.resources[0].name', message: 'Required value' }])],
      4,
      T1,
    );
    expect(flipped[0]).to.include({
      status: 'False',
      reason: 'InvalidHookSpec',
      lastTransitionTime: T1,
      observedGeneration: 4,
    });
    expect(flipped[0]!.message).to.contain('spec.hooks.resources[0].name: Required value');
  });

  it('keeps conditions of other writers', () => {
    const other = {
      type: 'Other',
      status: 'True' as const,
      reason: 'X',
      message: '',
      lastTransitionTime: T0,
    };
    expect(mergeConditions([other], [hooksValidCondition([])], 1, T1)[0]).to.deep.equal(other);
  });

  it('summarises long error lists', () => {
    const errors = Array.from({ length: 8 }, (_, i) => ({ field: `f${i}`, message: 'bad' }));
    expect(hooksValidCondition(errors).message).to.contain('(and 3 more)');
  });

  const tallies: Array<[string, boolean, Parameters<typeof initHooksAppliedCondition>[1], string, string]> = [
    [
      'all done',
      true,
      { done: 3, pending: 0, conflicts: 0, skippedPods: 0, invalid: [] },
      'True',
      'HooksInPlace',
    ],
    [
      'invalid',
      false,
      { done: 0, pending: 0, conflicts: 0, skippedPods: 0, invalid: [] },
      'False',
      'InvalidHooks',
    ],
    [
      'conflict wins over skipped',
      true,
      { done: 1, pending: 1, conflicts: 1, skippedPods: 2, invalid: [] },
      'False',
      'HookConflict',
    ],
    [
      'skipped pods',
      true,
      { done: 1, pending: 0, conflicts: 0, skippedPods: 2, invalid: [] },
      'False',
      'PodsSkipped',
    ],
    [
      'in progress',
      true,
      { done: 1, pending: 2, conflicts: 0, skippedPods: 0, invalid: [] },
      'False',
      'InProgress',
    ],
    [
      "a workload's own hooks invalid (issue 17, finding 4)",
      true,
      {
        done: 2,
        pending: 0,
        conflicts: 0,
        skippedPods: 1,
        invalid: ['Deployment app/web (invalid-hook): x: bad'],
      },
      'False',
      'HooksSkipped',
    ],
  ];
  it('InitHooksApplied names the workloads whose own hooks are not applied, and why', () => {
    const invalid = Array.from({ length: 5 }, (_, i) => `Deployment app/w${i} (image-not-allowed): f: no`);
    const c = initHooksAppliedCondition(true, { done: 0, pending: 0, conflicts: 0, skippedPods: 0, invalid });
    expect(c.message).to.equal(
      '5 workload(s) have init hooks that are not applied: Deployment app/w0 (image-not-allowed): f: no | Deployment app/w1 (image-not-allowed): f: no | Deployment app/w2 (image-not-allowed): f: no (and 2 more); see HookSkipped events.',
    );
  });

  for (const [title, valid, tally, status, reason] of tallies) {
    it(`InitHooksApplied: ${title}`, () => {
      expect(initHooksAppliedCondition(valid, tally)).to.include({ status, reason });
    });
  }
});

describe('conditionsShow', () => {
  const valid = hooksValidCondition([]);
  const at = (
    c: typeof valid,
    extra: Partial<{ observedGeneration: number; lastTransitionTime: string }> = {},
  ) => ({
    ...c,
    lastTransitionTime: T0,
    ...extra,
  });
  const cases: [string, Parameters<typeof conditionsShow>[0], boolean][] = [
    ['no conditions yet', undefined, false],
    ['the same status, reason and message', [at(valid)], true],
    [
      'only observedGeneration and lastTransitionTime differ',
      [at(valid, { observedGeneration: 7, lastTransitionTime: T1 })],
      true,
    ],
    ['another message', [at({ ...valid, message: 'old' })], false],
    ['another reason', [at({ ...valid, reason: 'Old' })], false],
    ['another status', [at({ ...valid, status: 'False' })], false],
    ['only other types', [at({ ...valid, type: 'Other' })], false],
  ];
  for (const [title, current, expected] of cases)
    it(`${title}: ${expected ? 'already shown' : 'to be written'}`, () => {
      expect(conditionsShow(current, [valid])).to.equal(expected);
    });
});
