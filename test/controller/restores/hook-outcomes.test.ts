import { expect } from 'chai';
import fc from 'fast-check';
import type { Pod } from '../../../src/kube/types.ts';
import type { HookEntry } from '../../../src/controller/exec-hooks/exec-record.ts';
import {
  LEDGER_CAPACITY,
  LedgerFullError,
  desiredStatusFields,
  formatLedger,
  ledgerTotals,
  mergeLedger,
  parseLedger,
  podHookCounts,
} from '../../../src/controller/restores/hook-outcomes.ts';
import type { Ledger } from '../../../src/controller/restores/hook-outcomes.ts';
import { execHooksCompletedCondition } from '../../../src/controller/restores/conditions.ts';
import { ledgerName } from '../../../src/controller/restores/restore-hook-status.ts';

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

  describe('the ledger', () => {
    const empty: Ledger = { restore: 'velero/r2', restoreUID: 'u', pods: {} };

    it('overwrites a pod’s entry instead of adding to it (no double counting)', () => {
      const once = mergeLedger(empty, { p1: { attempted: 1, failed: 0 } });
      const twice = mergeLedger(once, { p1: { attempted: 2, failed: 1 }, p2: { attempted: 1, failed: 0 } });
      expect(ledgerTotals(twice)).to.deep.equal({ attempted: 3, failed: 1 });
    });

    it('refuses to grow past its capacity with an error that says so', () => {
      const pods = Object.fromEntries(
        Array.from({ length: LEDGER_CAPACITY }, (_, i) => [`uid-${i}`, { attempted: 1, failed: 0 }]),
      );
      const full = mergeLedger(empty, pods);
      expect(() => mergeLedger(full, { 'uid-0': { attempted: 2, failed: 0 } })).not.to.throw();
      expect(() => mergeLedger(full, { another: { attempted: 1, failed: 0 } }))
        .to.throw(LedgerFullError)
        .with.property('message')
        .that.contains(`capacity of ${LEDGER_CAPACITY}`);
    });

    it('a full ledger still fits in a ConfigMap (1 MiB)', () => {
      const pods = Object.fromEntries(
        Array.from({ length: LEDGER_CAPACITY }, () => [crypto.randomUUID(), { attempted: 999, failed: 999 }]),
      );
      expect(Buffer.byteLength(formatLedger({ ...empty, pods }))).to.be.below(1024 * 1024);
    });

    it('format then parse gives the ledger back (property)', () => {
      const counts = fc
        .tuple(fc.nat(50), fc.nat(50))
        .map(([a, b]) => ({ attempted: Math.max(a, b), failed: Math.min(a, b) }));
      fc.assert(
        fc.property(
          fc.dictionary(fc.uuid(), counts, { maxKeys: 20 }),
          fc.option(
            fc.record({
              phase: fc.constantFrom('Completed', 'PartiallyFailed', 'Failed'),
              hooksAttempted: fc.nat(100),
              hooksFailed: fc.nat(100),
              errors: fc.nat(100),
            }),
            { nil: undefined },
          ),
          (pods, baseline) => {
            const ledger: Ledger = { ...empty, pods, ...(baseline ? { baseline } : {}) };
            expect(parseLedger(formatLedger(ledger))).to.deep.equal(ledger);
          },
        ),
      );
    });

    it('an unreadable ledger is no ledger', () => {
      for (const text of [
        undefined,
        '',
        '{',
        '[]',
        '{"restore":"velero/r2","restoreUID":"u","pods":{"p":{"attempted":1,"failed":2}}}',
      ])
        expect(parseLedger(text)).to.equal(undefined);
    });

    it('is named after a hash of the restore (a valid ConfigMap name)', () => {
      expect(ledgerName('velero/r2')).to.match(/^restore-hooks-outcomes-[0-9a-f]{10}$/);
      expect(ledgerName('velero/r2')).not.to.equal(ledgerName('velero/r3'));
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
