import { expect } from 'chai';
import {
  MAX_ESCAPE_ROUNDS,
  awaitsReplacements,
  decideWorkload,
} from '../../../src/controller/init-hooks/workload-decision.ts';
import type {
  PodFacts,
  WorkloadDecision,
  WorkloadFacts,
} from '../../../src/controller/init-hooks/workload-decision.ts';

const active = { active: true, finished: false };
const finishedInWindow = { active: true, finished: true };
const finishedPastWindow = { active: false, finished: true };

function facts(overrides: Partial<WorkloadFacts>): WorkloadFacts {
  return {
    kind: 'Deployment',
    updateStrategy: 'RollingUpdate',
    templateHooks: 'missing',
    injectedByUs: false,
    cleanedUp: false,
    restore: active,
    cleanupPolicy: 'RemoveAfterRestore',
    pods: [],
    ...overrides,
  };
}

function pod(name: string, overrides: Partial<PodFacts> = {}): PodFacts {
  return {
    name,
    uid: `uid-${name}`,
    hasHooks: false,
    stillPending: true,
    createdDuringRestore: true,
    restoreWait: false,
    holdsRestoredData: false,
    initialized: false,
    ...overrides,
  };
}
const running = (name: string, hasHooks = false) =>
  pod(name, { hasHooks, stillPending: false, initialized: true });

const sts = (
  policy: 'OrderedReady' | 'Parallel',
  strategy: 'RollingUpdate' | 'OnDelete',
  more: Partial<WorkloadFacts> = {},
) => facts({ kind: 'StatefulSet', podManagementPolicy: policy, updateStrategy: strategy, ...more });

type Want = Partial<Omit<WorkloadDecision, 'deletePods' | 'skippedPods'>> & {
  deletePods?: string[];
  /** The deleted pods flagged as having escaped admission. */
  escaped?: string[];
  skippedPods?: Array<[string, string]>;
};

const cases: Array<[string, WorkloadFacts, Want]> = [
  [
    'invalid hooks are never written',
    facts({ templateHooks: 'invalid' }),
    { template: 'keep', reason: 'InvalidHooks' },
  ],
  [
    'a conflicting container blocks the patch',
    facts({ templateHooks: 'conflict' }),
    { template: 'keep', reason: 'HookConflict' },
  ],
  ['no hooks apply', facts({ templateHooks: 'none' }), { template: 'keep', reason: 'NoHooks' }],
  [
    'restore no longer active',
    facts({ restore: finishedPastWindow }),
    { template: 'keep', reason: 'RestoreInactive' },
  ],
  ['cleaned up workloads stay clean', facts({ cleanedUp: true }), { template: 'keep', reason: 'CleanedUp' }],
  [
    'marked at admission, no pods yet: the template is never patched',
    facts({ admitted: true }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: [], skippedPods: [] },
  ],
  [
    'marked at admission, every pod got its hooks from the pod webhook: nothing to do, no rollout',
    facts({ admitted: true, pods: [pod('a', { hasHooks: true }), running('b', true)] }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: [], skippedPods: [] },
  ],
  [
    'marked at admission, a pod of the restore started without hooks: reported, never rolled',
    facts({ admitted: true, pods: [running('late'), running('old', false)] }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      escapedPodsStarted: true,
      skippedPods: [
        ['late', 'AppContainersStarted'],
        ['old', 'AppContainersStarted'],
      ],
    },
  ],
  [
    'marked at admission, a pod Velero restored started without hooks: reported skipped, but it did not escape admission',
    facts({ admitted: true, pods: [{ ...running('from-backup'), restoredByVelero: true }] }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      skippedPods: [['from-backup', 'AppContainersStarted']],
      escapedPodsStarted: undefined,
    },
  ],
  [
    "marked at admission, an adopted pod older than the restore is not the restore's",
    facts({ admitted: true, pods: [pod('adopted', { createdDuringRestore: false, stillPending: false })] }),
    { template: 'keep', reason: 'HandledAtAdmission', skippedPods: [] },
  ],
  [
    'marked at admission, a pending pod of the restore escaped the pod webhook: deleted (the first escape round), its owner recreates it through admission; no template write',
    facts({ admitted: true, pods: [pod('escaped')] }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      deletePods: ['escaped'],
      escaped: ['escaped'],
      escapeRound: 1,
      skippedPods: [],
    },
  ],
  [
    'a RollingUpdate StatefulSet whose second pod escaped while the first ran its hooks: only the escaped pod is deleted, nothing rolls',
    sts('OrderedReady', 'RollingUpdate', {
      admitted: true,
      pods: [
        { ...running('db-0', true), ordinal: 0, atCurrentRevision: true },
        pod('db-1', { ordinal: 1, atCurrentRevision: true }),
      ],
    }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: ['db-1'], escapeRound: 1, skippedPods: [] },
  ],
  [
    'a Parallel OnDelete StatefulSet with an escaped pod: deleted, never patched',
    sts('Parallel', 'OnDelete', { admitted: true, pods: [running('c-0', true), pod('c-1')] }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: ['c-1'], escapeRound: 1 },
  ],
  [
    'a RollingUpdate DaemonSet with an escaped pod: deleted, never rolled',
    facts({ kind: 'DaemonSet', admitted: true, pods: [running('ds-a', true), pod('ds-b')] }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: ['ds-b'], escapeRound: 1 },
  ],
  [
    'a ReplicaSet with an escaped pod: deleted, never patched',
    facts({ kind: 'ReplicaSet', admitted: true, pods: [pod('rs-a')] }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: ['rs-a'], escapeRound: 1 },
  ],
  [
    'escaped pods deleted twice already: the third round still goes through admission',
    facts({ admitted: true, escapeRounds: 2, pods: [running('a', true), pod('again')] }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: ['again'], escapeRound: 3 },
  ],
  [
    `escaped pods deleted ${MAX_ESCAPE_ROUNDS} times (the webhook stays down): the template path takes over`,
    facts({ admitted: true, escapeRounds: MAX_ESCAPE_ROUNDS, pods: [pod('again')] }),
    { template: 'inject', reason: 'InjectHooks', deletePods: [], escapeRound: undefined },
  ],
  [
    "the last round's escaped pod seen again (its deletion was refused, or the cache still shows it): deleted again, no new round",
    facts({ admitted: true, escapeRounds: 1, escapeRoundPods: ['uid-again'], pods: [pod('again')] }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: ['again'], escapeRound: undefined },
  ],
  [
    `round ${MAX_ESCAPE_ROUNDS}'s escaped pod seen again: still that round, deleted again, not the template path`,
    facts({
      admitted: true,
      escapeRounds: MAX_ESCAPE_ROUNDS,
      escapeRoundPods: ['uid-again'],
      pods: [pod('again')],
    }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: ['again'], escapeRound: undefined },
  ],
  [
    "the last round's escaped pod seen again next to a new one: a new round for both",
    facts({
      admitted: true,
      escapeRounds: 1,
      escapeRoundPods: ['uid-again'],
      pods: [pod('again'), pod('new')],
    }),
    { template: 'keep', reason: 'HandledAtAdmission', deletePods: ['again', 'new'], escapeRound: 2 },
  ],
  [
    `past the bound, the last round's pod seen again next to a new one: the template path`,
    facts({
      admitted: true,
      escapeRounds: MAX_ESCAPE_ROUNDS,
      escapeRoundPods: ['uid-again'],
      pods: [pod('again'), pod('new')],
    }),
    { template: 'inject', reason: 'InjectHooks', deletePods: [], escapeRound: undefined },
  ],
  [
    `a StatefulSet past the bound: the template path, whose roll-out is then the price`,
    sts('OrderedReady', 'RollingUpdate', {
      admitted: true,
      escapeRounds: MAX_ESCAPE_ROUNDS + 1,
      pods: [running('db-0', true), pod('db-1', { ordinal: 1 })],
    }),
    { template: 'inject', reason: 'InjectHooks', escapeRound: undefined },
  ],
  [
    'an escaped pod whose deletion would lose data or interrupt a file-system restore is skipped with its reason, and no round is counted',
    facts({
      admitted: true,
      pods: [pod('fsr', { restoreWait: true }), pod('data', { holdsRestoredData: true })],
    }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      deletePods: [],
      escapeRound: undefined,
      skippedPods: [
        ['fsr', 'RestoreWait'],
        ['data', 'RolloutWouldLoseRestoredData'],
      ],
    },
  ],
  [
    'an escaped pod next to one that started without its hooks: the escaped one is deleted, the started one reported',
    facts({ admitted: true, pods: [running('late'), pod('escaped')] }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      deletePods: ['escaped'],
      escapeRound: 1,
      escapedPodsStarted: true,
      skippedPods: [['late', 'AppContainersStarted']],
    },
  ],
  [
    "a pending pod older than the restore is not the restore's: neither deleted nor a round",
    facts({ admitted: true, pods: [pod('adopted', { createdDuringRestore: false })] }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      deletePods: [],
      escapeRound: undefined,
      skippedPods: [],
    },
  ],
  [
    'marked at admission, pending pods Velero restored from the backup without hooks: deleted, their owner recreates them through admission; no template write',
    facts({
      admitted: true,
      pods: [
        pod('from-backup', { restoredByVelero: true }),
        pod('fsr', { restoredByVelero: true, restoreWait: true }),
        pod('data', { restoredByVelero: true, holdsRestoredData: true }),
        pod('hooked', { hasHooks: true }),
      ],
    }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      deletePods: ['from-backup'],
      skippedPods: [
        ['fsr', 'RestoreWait'],
        ['data', 'RolloutWouldLoseRestoredData'],
      ],
    },
  ],
  [
    'marked at admission, one pod from the backup and one that escaped the webhook: both deleted, only the escaped one counts a round',
    facts({ admitted: true, pods: [pod('from-backup', { restoredByVelero: true }), pod('escaped')] }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      deletePods: ['from-backup', 'escaped'],
      escaped: ['escaped'],
      escapeRound: 1,
    },
  ],
  [
    'past the escape bound, pods Velero restored from the backup are still deleted (their owner recreates them once)',
    facts({
      admitted: true,
      escapeRounds: MAX_ESCAPE_ROUNDS,
      pods: [pod('from-backup', { restoredByVelero: true })],
    }),
    {
      template: 'keep',
      reason: 'HandledAtAdmission',
      deletePods: ['from-backup'],
      escaped: [],
      escapeRound: undefined,
    },
  ],
  [
    'past the escape bound, with a pod from the backup and one that escaped again: the template path',
    facts({
      admitted: true,
      escapeRounds: MAX_ESCAPE_ROUNDS,
      pods: [pod('from-backup', { restoredByVelero: true }), pod('escaped')],
    }),
    { template: 'inject', reason: 'InjectHooks' },
  ],
  [
    'marked at admission but the restore is over: nothing',
    facts({ admitted: true, restore: finishedPastWindow, pods: [pod('late')] }),
    { template: 'keep', reason: 'RestoreInactive' },
  ],
  [
    'marked at admission with invalid hooks: reported as invalid, never written',
    facts({ admitted: true, templateHooks: 'invalid' }),
    { template: 'keep', reason: 'InvalidHooks' },
  ],
  [
    'a pod deleted before it ever started (the rollout of our own patch) is not reported: it will never run',
    facts({
      pods: [running('survivor', true), pod('old', { stillPending: false, deletedBeforeStart: true })],
    }),
    { template: 'keep', reason: 'PodsAlreadyHaveHooks', deletePods: [], skippedPods: [] },
  ],
  [
    'a workload whose only pods are being deleted before they started is patched: their replacements need the hooks',
    facts({ pods: [pod('old', { stillPending: false, deletedBeforeStart: true })] }),
    { template: 'inject', reason: 'InjectHooks', deletePods: [], skippedPods: [] },
  ],
  [
    'a new workload without pods is patched at once',
    facts({}),
    { template: 'inject', reason: 'InjectHooks', deletePods: [] },
  ],
  [
    'a Deployment whose pods are all still pending is patched',
    facts({ pods: [pod('a'), pod('b')] }),
    { template: 'inject' },
  ],
  [
    'pods that already carry the hooks (Velero injected them) are not rolled out for nothing',
    facts({ pods: [running('a', true), pod('b', { hasHooks: true })] }),
    { template: 'keep', reason: 'PodsAlreadyHaveHooks', skippedPods: [] },
  ],
  [
    'a Deployment with a pending pod without hooks is patched even with running pods: its rollout runs them once each',
    facts({ pods: [running('a'), pod('b')] }),
    { template: 'inject', reason: 'InjectHooks', skippedPods: [] },
  ],
  [
    'a Velero-hooked pod was recreated without hooks (eviction): the rollout is now necessary',
    facts({ pods: [running('a', true), pod('a2')] }),
    { template: 'inject', reason: 'InjectHooks', skippedPods: [] },
  ],
  [
    'a Deployment whose only pods without hooks have started is not rolled: they are missed',
    facts({ pods: [running('a'), pod('b', { hasHooks: true })] }),
    {
      template: 'keep',
      reason: 'RolloutWouldDisturbRunningPods',
      skippedPods: [['a', 'AppContainersStarted']],
    },
  ],
  [
    'a pending pod from before the restore does not justify rolling running pods',
    facts({ pods: [running('a'), pod('old', { createdDuringRestore: false })] }),
    {
      template: 'keep',
      reason: 'RolloutWouldDisturbRunningPods',
      skippedPods: [['a', 'AppContainersStarted']],
    },
  ],
  [
    'a ReplicaSet is patched even with running pods, which it never replaces',
    facts({ kind: 'ReplicaSet', pods: [running('a'), pod('b')] }),
    { template: 'inject', skippedPods: [['a', 'AppContainersStarted']] },
  ],
  [
    'a ReplicaSet whose pods have all started is still patched: no rollout, later pods get the hooks',
    facts({ kind: 'ReplicaSet', pods: [running('a')] }),
    { template: 'inject', skippedPods: [['a', 'AppContainersStarted']] },
  ],
  [
    'an OnDelete StatefulSet is patched even with running pods',
    sts('OrderedReady', 'OnDelete', { pods: [running('db-0', true), pod('db-1')] }),
    { template: 'inject' },
  ],
  [
    'a RollingUpdate DaemonSet whose only pod without hooks runs is not rolled',
    facts({ kind: 'DaemonSet', pods: [running('ds-a')] }),
    {
      template: 'keep',
      reason: 'RolloutWouldDisturbRunningPods',
      skippedPods: [['ds-a', 'AppContainersStarted']],
    },
  ],
  [
    'a RollingUpdate StatefulSet: a running pod below the partition is not replaced by the rollout, so it is missed',
    sts('OrderedReady', 'RollingUpdate', {
      partition: 1,
      pods: [running('db-0'), pod('db-1', { ordinal: 1 })],
    }),
    { template: 'inject', skippedPods: [['db-0', 'AppContainersStarted']] },
  ],
  [
    'a Deployment rollout waits while a pending pod runs its file-system restore (restore-wait)',
    facts({ pods: [pod('fsr', { hasHooks: true, restoreWait: true }), pod('b')] }),
    { template: 'keep', reason: 'WaitingForFileSystemRestore', deletePods: [], skippedPods: [] },
  ],
  [
    "a Deployment whose running pod holds emptyDir data from Velero's file-system restore is never rolled",
    facts({
      pods: [
        pod('fsr', {
          hasHooks: true,
          restoreWait: true,
          holdsRestoredData: true,
          stillPending: false,
          initialized: true,
        }),
        pod('new'),
      ],
    }),
    {
      template: 'keep',
      reason: 'RolloutWouldLoseRestoredData',
      deletePods: [],
      skippedPods: [['new', 'RolloutWouldLoseRestoredData']],
    },
  ],
  [
    'a StatefulSet pod holding restored emptyDir data below the partition is not rolled, so the patch goes ahead',
    sts('Parallel', 'RollingUpdate', {
      partition: 1,
      pods: [
        pod('db-0', {
          hasHooks: true,
          restoreWait: true,
          holdsRestoredData: true,
          stillPending: false,
          initialized: true,
          ordinal: 0,
        }),
        pod('db-1', { ordinal: 1 }),
      ],
    }),
    { template: 'inject' },
  ],
  [
    'a ReplicaSet with a restore-wait pod is patched: it replaces nothing by itself',
    facts({ kind: 'ReplicaSet', pods: [pod('fsr', { restoreWait: true })] }),
    { template: 'inject' },
  ],
  [
    'template in place, Deployment: a running pod without hooks is replaced by the rollout, not missed',
    facts({ templateHooks: 'present', pods: [running('a'), pod('b', { hasHooks: true })] }),
    { template: 'keep', reason: 'HooksInPlace', deletePods: [], skippedPods: [] },
  ],
  [
    'template in place, Deployment replaces pending pods itself',
    facts({ templateHooks: 'present', pods: [pod('a')] }),
    { template: 'keep', reason: 'HooksInPlace', deletePods: [] },
  ],
  [
    'template in place, ReplicaSet: delete pending pods without hooks',
    facts({
      kind: 'ReplicaSet',
      templateHooks: 'present',
      pods: [pod('a'), pod('b', { hasHooks: true }), running('c')],
    }),
    { deletePods: ['a'], skippedPods: [['c', 'AppContainersStarted']] },
  ],
  [
    'template in place, OnDelete StatefulSet: delete pending pods',
    sts('OrderedReady', 'OnDelete', { templateHooks: 'present', pods: [pod('db-0', { ordinal: 0 })] }),
    { deletePods: ['db-0'] },
  ],
  [
    'template in place, OrderedReady RollingUpdate StatefulSet is blocked by a pending pod: delete it',
    sts('OrderedReady', 'RollingUpdate', { templateHooks: 'present', pods: [pod('db-0', { ordinal: 0 })] }),
    { deletePods: ['db-0'] },
  ],
  [
    'template in place, Parallel RollingUpdate StatefulSet: its rollout goes one pod at a time from the top, so a pending old pod is deleted before it can start without the hooks',
    sts('Parallel', 'RollingUpdate', {
      templateHooks: 'present',
      pods: [
        pod('db-0', { ordinal: 0 }),
        pod('db-1', { ordinal: 1, hasHooks: true, atCurrentRevision: true }),
      ],
    }),
    { deletePods: ['db-0'] },
  ],
  [
    'template in place, RollingUpdate DaemonSet: a pending pod of the old template is deleted, recreated from the new one',
    facts({ kind: 'DaemonSet', templateHooks: 'present', pods: [pod('ds-a'), running('ds-b', true)] }),
    { deletePods: ['ds-a'] },
  ],
  [
    'template in place, Deployment: its ReplicaSet would recreate a deleted pod from the old template, so none is deleted',
    facts({ templateHooks: 'present', pods: [pod('web-a')] }),
    { deletePods: [] },
  ],
  [
    'pods below the partition stay at the old revision even if deleted',
    sts('OrderedReady', 'RollingUpdate', {
      templateHooks: 'present',
      partition: 1,
      pods: [pod('db-0', { ordinal: 0 }), pod('db-1', { ordinal: 1 })],
    }),
    { deletePods: ['db-1'], skippedPods: [['db-0', 'BelowPartition']] },
  ],
  [
    'a StatefulSet pod already at the update revision is never deleted',
    sts('OrderedReady', 'OnDelete', {
      templateHooks: 'present',
      pods: [pod('db-0', { ordinal: 0, atCurrentRevision: true })],
    }),
    { deletePods: [] },
  ],
  [
    'a pod with restore-wait is never deleted',
    facts({ kind: 'ReplicaSet', templateHooks: 'present', pods: [pod('a', { restoreWait: true })] }),
    { deletePods: [], skippedPods: [['a', 'RestoreWait']] },
  ],
  [
    'template in place, OnDelete DaemonSet: delete pending pods',
    facts({ kind: 'DaemonSet', updateStrategy: 'OnDelete', templateHooks: 'present', pods: [pod('ds-a')] }),
    { deletePods: ['ds-a'] },
  ],
  [
    'cleanup waits for hooked pods to get past init',
    facts({
      templateHooks: 'present',
      injectedByUs: true,
      restore: finishedInWindow,
      pods: [pod('a', { hasHooks: true })],
    }),
    { template: 'keep', reason: 'WaitingForPodsToInitialize' },
  ],
  [
    'cleanup once the restore finished and hooked pods initialised',
    facts({
      templateHooks: 'present',
      injectedByUs: true,
      restore: finishedInWindow,
      pods: [running('a', true)],
    }),
    { template: 'remove', reason: 'RemoveHooksAfterRestore' },
  ],
  [
    'cleanup after the window even if pods never initialised',
    facts({
      templateHooks: 'present',
      injectedByUs: true,
      restore: finishedPastWindow,
      pods: [pod('a', { hasHooks: true })],
    }),
    { template: 'remove' },
  ],
  [
    'no cleanup before the rollout produced hooked pods',
    facts({
      templateHooks: 'present',
      injectedByUs: true,
      restore: finishedInWindow,
      pods: [pod('old-pending')],
    }),
    { template: 'keep', reason: 'WaitingForPodsToInitialize' },
  ],
  [
    'no cleanup while a pod of the old template is still pending',
    facts({
      templateHooks: 'present',
      injectedByUs: true,
      restore: finishedInWindow,
      pods: [running('new', true), pod('old')],
    }),
    { template: 'keep', reason: 'WaitingForPodsToInitialize' },
  ],
  [
    'no cleanup while the restore runs',
    facts({ templateHooks: 'present', injectedByUs: true, restore: active, pods: [running('a', true)] }),
    { template: 'keep', reason: 'HooksInPlace' },
  ],
  [
    'Retain keeps the hooks',
    facts({
      templateHooks: 'present',
      injectedByUs: true,
      restore: finishedInWindow,
      cleanupPolicy: 'Retain',
      pods: [running('a', true)],
    }),
    { template: 'keep', reason: 'HooksInPlace' },
  ],
  [
    'hooks someone else put in the template are never removed',
    facts({ templateHooks: 'present', injectedByUs: false, restore: finishedPastWindow }),
    { template: 'keep', reason: 'RestoreInactive' },
  ],
];

describe('decideWorkload', () => {
  for (const [title, input, want] of cases) {
    it(title, () => {
      const got = decideWorkload(input);
      if (want.template) expect(got.template, 'template').to.equal(want.template);
      if (want.reason) expect(got.reason, 'reason').to.equal(want.reason);
      if (want.deletePods)
        expect(
          got.deletePods.map((p) => p.name),
          'deletePods',
        ).to.deep.equal(want.deletePods);
      if (want.escaped)
        expect(
          got.deletePods.filter((p) => p.escaped).map((p) => p.name),
          'escaped',
        ).to.deep.equal(want.escaped);
      if ('escapeRound' in want) expect(got.escapeRound, 'escapeRound').to.equal(want.escapeRound);
      if ('escapedPodsStarted' in want)
        expect(got.escapedPodsStarted, 'escapedPodsStarted').to.equal(want.escapedPodsStarted);
      if (want.skippedPods) {
        expect(
          got.skippedPods.map((p) => [p.name, p.reason]),
          'skippedPods',
        ).to.deep.equal(want.skippedPods);
      }
    });
  }

  it('is idempotent: once the template has the hooks, a second decision never injects again', () => {
    for (const [, input] of cases) {
      if (decideWorkload(input).template !== 'inject') continue;
      const after = decideWorkload({ ...input, templateHooks: 'present', injectedByUs: true });
      expect(after.template).to.not.equal('inject');
    }
  });

  it('deletes pods only with their uid, and never a pod that has started or has restore-wait', () => {
    for (const [, input] of cases) {
      for (const victim of decideWorkload(input).deletePods) {
        const p = input.pods.find((x) => x.name === victim.name);
        expect(p?.uid).to.equal(victim.uid);
        expect(p?.stillPending).to.equal(true);
        expect(p?.restoreWait).to.equal(false);
        expect(p?.hasHooks).to.equal(false);
      }
    }
  });
});

describe('workload decision: after deleting pending pods, the replacements are awaited', () => {
  it('re-checks soon until the owner has its pods back, within the watch', () => {
    const live = { deletedBeforeStart: false };
    const going = { deletedBeforeStart: true };
    const cases: Array<[string, Partial<Parameters<typeof awaitsReplacements>[0]>, boolean]> = [
      ['nothing deleted', { deletedAtMs: undefined }, false],
      ['deleted, no replacement yet', { pods: [] }, true],
      ['deleted, the old pods still terminating', { pods: [going, going] }, true],
      ['one of two replacements there', { pods: [live, going] }, true],
      ['both replacements there', { pods: [live, live] }, false],
      ['more than desired (a roll-out)', { pods: [live, live, live] }, false],
      ['past the watch', { nowMs: 61_000, pods: [] }, false],
      ['pods not read (they cannot change the decision)', { pods: undefined }, false],
    ];
    for (const [name, overrides, want] of cases)
      expect(
        awaitsReplacements({
          deletedAtMs: 0,
          nowMs: 5000,
          watchMs: 60_000,
          pods: [],
          desired: 2,
          ...overrides,
        }),
        name,
      ).to.equal(want);
  });
});
