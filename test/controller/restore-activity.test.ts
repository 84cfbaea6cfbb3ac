import { expect } from 'chai';
import {
  msUntilWindowCloses,
  restoreActivity,
  restoreFinished,
} from '../../src/controller/restore-activity.ts';
import type { RestoreActivity, RestoreTiming } from '../../src/controller/restore-activity.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const HOUR = 3_600_000;

describe('restoreActivity', () => {
  const cases: Array<[string, RestoreTiming | undefined, RestoreActivity]> = [
    ['no status yet', undefined, { active: false, reason: 'NotStarted' }],
    ['phase New', { phase: 'New' }, { active: false, reason: 'NotStarted' }],
    ['FailedValidation', { phase: 'FailedValidation' }, { active: false, reason: 'FailedValidation' }],
    ['InProgress', { phase: 'InProgress' }, { active: true, reason: 'Running' }],
    [
      'WaitingForPluginOperations',
      { phase: 'WaitingForPluginOperations' },
      { active: true, reason: 'Running' },
    ],
    [
      'WaitingForPluginOperationsPartiallyFailed',
      { phase: 'WaitingForPluginOperationsPartiallyFailed' },
      { active: true, reason: 'Running' },
    ],
    ['Finalizing', { phase: 'Finalizing' }, { active: true, reason: 'Running' }],
    [
      'FinalizingPartiallyFailed',
      { phase: 'FinalizingPartiallyFailed' },
      { active: true, reason: 'Running' },
    ],
    [
      'Completed a minute ago',
      { phase: 'Completed', completionTimestamp: '2026-01-01T11:59:00Z' },
      { active: true, reason: 'FinishedWithinWindow' },
    ],
    [
      'PartiallyFailed a minute ago',
      { phase: 'PartiallyFailed', completionTimestamp: '2026-01-01T11:59:00Z' },
      { active: true, reason: 'FinishedWithinWindow' },
    ],
    [
      'Failed a minute ago',
      { phase: 'Failed', completionTimestamp: '2026-01-01T11:59:00Z' },
      { active: true, reason: 'FinishedWithinWindow' },
    ],
    [
      'Completed exactly one window ago',
      { phase: 'Completed', completionTimestamp: '2026-01-01T11:00:00Z' },
      { active: false, reason: 'WindowElapsed' },
    ],
    [
      'Completed two hours ago',
      { phase: 'Completed', completionTimestamp: '2026-01-01T10:00:00Z' },
      { active: false, reason: 'WindowElapsed' },
    ],
    [
      'Completed without completionTimestamp',
      { phase: 'Completed' },
      { active: false, reason: 'NoCompletionTimestamp' },
    ],
    ['unknown phase', { phase: 'Exploded' }, { active: false, reason: 'UnknownPhase' }],
  ];
  for (const [title, status, want] of cases) {
    it(title, () => expect(restoreActivity(status, NOW, HOUR)).to.deep.equal(want));
  }

  it('reports the time left in the window of a finished restore', () => {
    expect(
      msUntilWindowCloses({ phase: 'Completed', completionTimestamp: '2026-01-01T11:30:00Z' }, NOW, HOUR),
    ).to.equal(HOUR / 2);
    expect(
      msUntilWindowCloses({ phase: 'Completed', completionTimestamp: '2026-01-01T09:00:00Z' }, NOW, HOUR),
    ).to.equal(0);
    expect(msUntilWindowCloses({ phase: 'InProgress' }, NOW, HOUR)).to.equal(undefined);
  });

  it('knows the terminal phases', () => {
    expect(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'].every(restoreFinished)).to.equal(
      true,
    );
    expect(['New', 'InProgress', 'Finalizing', undefined].some(restoreFinished)).to.equal(false);
  });
});
