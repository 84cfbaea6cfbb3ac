import { expect } from 'chai';
import type { Pod } from '../../../src/kube/types.ts';
import type { HookEntry } from '../../../src/controller/exec-hooks/exec-record.ts';
import { desiredStatusFields, podHookCounts } from '../../../src/controller/restores/hook-outcomes.ts';
import { execHooksCompletedCondition } from '../../../src/controller/restores/conditions.ts';

const at = '2026-11-24T20:00:00.000Z';
const entry = (result: HookEntry['result']): HookEntry =>
  result === 'Retrying'
    ? { attempts: 1, result, finishedAt: at, nextAttemptAt: at }
    : { attempts: 1, result, finishedAt: at };

function hookedPod(initStatuses: { name: string; exitCode?: number; last?: number }[]): Pod {
  return {
    metadata: {
      uid: 'u1',
      annotations: {
        'restore-hooks.dev/applied-init-hooks': JSON.stringify({
          restore: 'velero/r2',
          restoreUID: 'r',
          containers: [
            { name: 'hook-a', hash: 'x' },
            { name: 'hook-b', hash: 'y' },
          ],
        }),
      },
    },
    spec: { containers: [{ name: 'app' }] },
    status: {
      initContainerStatuses: initStatuses.map((s) => ({
        name: s.name,
        ready: false,
        restartCount: 0,
        ...(s.exitCode !== undefined
          ? { state: { terminated: { exitCode: s.exitCode } } }
          : { state: { running: {} } }),
        ...(s.last !== undefined ? { lastState: { terminated: { exitCode: s.last } } } : {}),
      })),
    },
  };
}

describe('restores: hook counts', () => {
  describe('podHookCounts', () => {
    it('counts final exec outcomes, not retries', () => {
      const pod = hookedPod([]);
      expect(
        podHookCounts(pod, { a: entry('Succeeded'), b: entry('Failed'), c: entry('Retrying') }),
      ).to.deep.equal({ attempted: 2, failed: 1 });
    });
    it('counts hook init containers that terminated (failed when non-zero), not the pod’s own', () => {
      const pod = hookedPod([
        { name: 'hook-a', exitCode: 0 },
        { name: 'hook-b', last: 1 },
        { name: 'own-init', exitCode: 1 },
      ]);
      expect(podHookCounts(pod, {})).to.deep.equal({ attempted: 2, failed: 1 });
    });
    it('does not count a hook init container that is still running', () => {
      expect(podHookCounts(hookedPod([{ name: 'hook-a' }]), {})).to.deep.equal({ attempted: 0, failed: 0 });
    });
  });

  describe('desiredStatusFields', () => {
    const baseline = { phase: 'Completed', hooksAttempted: 2, hooksFailed: 0, errors: 0 };
    const cases: [string, Parameters<typeof desiredStatusFields>, ReturnType<typeof desiredStatusFields>][] =
      [
        [
          'nothing while the restore runs (Velero writes these fields when it ends)',
          [{ phase: 'InProgress' }, baseline, { attempted: 1, failed: 1 }],
          undefined,
        ],
        [
          'nothing without a baseline',
          [{ phase: 'Completed' }, undefined, { attempted: 1, failed: 0 }],
          undefined,
        ],
        [
          'adds our counts; a failure makes a Completed restore PartiallyFailed with an error',
          [{ phase: 'Completed', hookStatus: { hooksAttempted: 2 } }, baseline, { attempted: 3, failed: 1 }],
          { phase: 'PartiallyFailed', errors: 1, hookStatus: { hooksAttempted: 5, hooksFailed: 1 } },
        ],
        [
          'a Failed restore stays Failed',
          [{ phase: 'Failed' }, { ...baseline, phase: 'Failed', errors: 3 }, { attempted: 1, failed: 1 }],
          { phase: 'Failed', errors: 4, hookStatus: { hooksAttempted: 3, hooksFailed: 1 } },
        ],
        [
          'nothing when the status already says it',
          [
            { phase: 'PartiallyFailed', errors: 1, hookStatus: { hooksAttempted: 5, hooksFailed: 1 } },
            baseline,
            { attempted: 3, failed: 1 },
          ],
          undefined,
        ],
      ];
    for (const [what, args, want] of cases)
      it(what, () => expect(desiredStatusFields(...args)).to.deep.equal(want));
  });

  describe('ExecHooksCompleted', () => {
    const cases: [string, Parameters<typeof execHooksCompletedCondition>[0], string, string][] = [
      ['in progress', { pods: 1, open: 2, succeeded: 1, failed: 1 }, 'Unknown', 'InProgress'],
      ['done with failures', { pods: 2, open: 0, succeeded: 1, failed: 1 }, 'False', 'HooksFailed'],
      ['all succeeded', { pods: 2, open: 0, succeeded: 3, failed: 0 }, 'True', 'HooksSucceeded'],
      ['no exec hooks', { pods: 0, open: 0, succeeded: 0, failed: 0 }, 'True', 'NoExecHooks'],
    ];
    for (const [what, tally, status, reason] of cases)
      it(what, () =>
        expect(execHooksCompletedCondition(tally)).to.include({ type: 'ExecHooksCompleted', status, reason }),
      );
  });
});
