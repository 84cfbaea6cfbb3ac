import { expect } from 'chai';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { planWorkload } from '../../../src/controller/init-hooks/workload-plan.ts';
import type { PatchStep, WorkloadOutcome } from '../../../src/controller/init-hooks/workload-plan.ts';
import type { RestoreObject } from '../../../src/controller/restore-directory.ts';
import type { WorkloadTally } from '../../../src/controller/restores/conditions.ts';
import {
  TallyMemo,
  initHooksTally,
  tallyOutcomes,
} from '../../../src/controller/restores/init-hooks-tally.ts';
import type {
  InitHooksObservation,
  MemberWorkload,
  OtherPod,
} from '../../../src/controller/restores/init-hooks-tally.ts';
import { HOOK, NOW, START, hooks, restorePod } from '../init-hooks/plan-fixtures.ts';

const RESTORED = { 'velero.io/restore-name': 'r1' };
const CREATED = '2026-01-01T00:01:00Z';

const outcome = (
  workload: string,
  decision: WorkloadOutcome['decision'],
  extra: Partial<WorkloadOutcome> = {},
): WorkloadOutcome => ({ restore: 'velero/r1', workload, decision, skippedPods: [], ...extra });

const tally = (t: Partial<WorkloadTally>): WorkloadTally => ({
  done: 0,
  pending: 0,
  conflicts: 0,
  skippedPods: 0,
  invalid: [],
  ...t,
});

describe('tallyOutcomes: the buckets of InitHooksApplied', () => {
  const cases: [string, (WorkloadOutcome | undefined)[], string[], WorkloadTally][] = [
    ['a member no plan decides yet is pending', [undefined], [], tally({ pending: 1 })],
    [
      'hooked, already hooked, hooked at admission, cleaned up, without hooks: done',
      (
        [
          'HooksInPlace',
          'PodsAlreadyHaveHooks',
          'HandledAtAdmission',
          'CleanedUp',
          'RemoveHooksAfterRestore',
          'WaitingForPodsToInitialize',
          'NoHooks',
        ] as const
      ).map((d) => outcome(`Deployment/app/${d}`, d)),
      [],
      tally({ done: 7 }),
    ],
    [
      'a template left alone not to disturb running pods or lose restored data: done, its pods skipped',
      [
        outcome('Deployment/app/a', 'RolloutWouldDisturbRunningPods', { skippedPods: ['app/a-1'] }),
        outcome('Deployment/app/b', 'RolloutWouldLoseRestoredData', { skippedPods: ['app/b-1'] }),
      ],
      [],
      tally({ done: 2, skippedPods: 2 }),
    ],
    [
      'a template about to be patched, or waiting for a file-system restore: pending',
      [
        outcome('Deployment/app/a', 'InjectHooks'),
        outcome('Deployment/app/b', 'WaitingForFileSystemRestore'),
      ],
      [],
      tally({ pending: 2 }),
    ],
    ['a conflict', [outcome('StatefulSet/app/db', 'HookConflict')], [], tally({ conflicts: 1 })],
    [
      'its own hooks invalid (or a refused patch): listed with why',
      [
        outcome('Deployment/app/bad', 'InvalidHooks', {
          invalidHooks: 'Deployment app/bad (invalid-hook): f: m',
        }),
        outcome('Deployment/app/refused', 'InjectHooks', { invalidHooks: 'refused' }),
      ],
      [],
      tally({ invalid: ['Deployment app/bad (invalid-hook): f: m', 'refused'] }),
    ],
    [
      'a Restore out of its window, or invalid hooks on an invalid Restore: not counted',
      [outcome('Deployment/app/a', 'RestoreInactive'), outcome('Deployment/app/b', 'InvalidHooks')],
      [],
      tally({}),
    ],
    [
      'skipped pods count once, whether a workload plan or a pod plan reports them',
      [outcome('ReplicaSet/app/fsr', 'HooksInPlace', { skippedPods: ['app/fsr-1'] })],
      ['app/fsr-1', 'app/solo', 'app/solo'],
      tally({ done: 1, skippedPods: 2 }),
    ],
  ];
  for (const [title, outcomes, otherSkipped, want] of cases)
    it(title, () => {
      expect(tallyOutcomes(outcomes, otherSkipped)).to.deep.equal(want);
    });
});

function restore(
  status: RestoreObject['status'] = { phase: 'InProgress', startTimestamp: START },
): RestoreObject {
  return { metadata: { name: 'r1', namespace: 'velero', uid: 'restore-uid' }, status };
}

function replicaSet(
  name: string,
  extra: { initContainers?: unknown[]; annotations?: Record<string, string> } = {},
): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'app',
      uid: `${name}-uid`,
      generation: 1,
      creationTimestamp: CREATED,
      labels: RESTORED,
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'app', image: 'nginx' }],
          ...(extra.initContainers ? { initContainers: extra.initContainers } : {}),
        },
      },
    },
    status: { observedGeneration: 1, replicas: 1 },
  } as Workload;
}

function pod(
  name: string,
  extra: {
    owner?: Workload;
    ownerKind?: string;
    labels?: Record<string, string>;
    initContainers?: unknown[];
    started?: boolean;
  } = {},
): Pod {
  const { owner, ownerKind, ...rest } = extra;
  return restorePod(name, {
    ...rest,
    ...(owner
      ? {
          owner: {
            kind: ownerKind ?? 'ReplicaSet',
            name: owner.metadata.name ?? '',
            uid: owner.metadata.uid ?? '',
          },
        }
      : {}),
  });
}

const member = (workload: Workload, pods: Pod[] = []): MemberWorkload => ({
  kind: 'ReplicaSet',
  workload,
  pods,
  replicaSetsAwaitingAdoption: [],
});

function observe(
  members: MemberWorkload[],
  otherPods: OtherPod[] = [],
  r: RestoreObject = restore(),
): InitHooksObservation {
  return {
    lookup: { found: true, restore: r, hooks },
    members,
    otherPods,
    admissionServed: false,
    nowMs: NOW,
    settings: {
      hookWindowMs: 600_000,
      cleanupPolicy: 'Retain',
      policy: DEFAULT_HOOK_POLICY,
      cleanupPollMs: 10_000,
    },
  };
}

/** The workload as it is after the workload reconcile recorded the API server's refusal of its template patch. */
function withRefusal(w: Workload): Workload {
  const plan = planWorkload({
    ...observe([]),
    kind: 'ReplicaSet',
    workload: w,
    ownWriteLags: false,
    replicaSetsAwaitingAdoption: [],
    pods: [],
  });
  const inject = plan.steps.find((s): s is PatchStep => s.do === 'patch' && s.what === 'injectTemplate');
  const { metadata } = inject!.ifRejected!('422 Invalid').record as { metadata: Workload['metadata'] };
  return { ...w, metadata: { ...w.metadata, annotations: metadata.annotations } };
}

describe('initHooksTally: InitHooksApplied from what the caches show', () => {
  const hooked = replicaSet('hooked', { initContainers: [HOOK] });
  const bare = replicaSet('bare');
  const restoreWait = { name: 'restore-wait', image: 'velero/velero-restore-helper:v1.15.0' };
  const job = { ...replicaSet('migrate'), apiVersion: 'batch/v1', kind: 'Job' } as Workload;
  const refusedRs = withRefusal(replicaSet('refused'));
  const cases: [string, InitHooksObservation, WorkloadTally][] = [
    [
      'a template with the hooks, its pod hooked: done',
      observe([member(hooked, [pod('hooked-1', { owner: hooked, initContainers: [HOOK] })])]),
      tally({ done: 1 }),
    ],
    [
      'a template without the hooks and a pending pod of the restore: pending',
      observe([member(bare, [pod('bare-1', { owner: bare })])]),
      tally({ pending: 1 }),
    ],
    [
      'an init container of the template that takes a hook’s name: a conflict',
      observe([member(replicaSet('clash', { initContainers: [{ ...HOOK, image: 'other:1' }] }))]),
      tally({ conflicts: 1 }),
    ],
    [
      'a template patch the API server refused (recorded on the workload): invalid, with why',
      observe([member(refusedRs, [pod('refused-1', { owner: refusedRs })])]),
      tally({ invalid: ['ReplicaSet app/refused (rejected-by-api-server): 422 Invalid'] }),
    ],
    [
      'a pending pod of a hooked ReplicaSet in a file-system restore: done, the pod skipped',
      observe([
        member(hooked, [
          pod('hooked-1', { owner: hooked, initContainers: [HOOK] }),
          pod('hooked-2', { owner: hooked, initContainers: [restoreWait] }),
        ]),
      ]),
      tally({ done: 1, skippedPods: 1 }),
    ],
    [
      'a bare pod Velero restored that started without its hooks: skipped',
      observe([], [{ pod: pod('solo', { labels: RESTORED, started: true }) }]),
      tally({ skippedPods: 1 }),
    ],
    [
      'a pending bare pod that can be replaced: not skipped',
      observe([], [{ pod: pod('solo', { labels: RESTORED }) }]),
      tally({}),
    ],
    [
      'a restored Job’s pod whose hooks apply: skipped (Job templates are immutable)',
      observe([], [{ pod: pod('migrate-x1', { owner: job, ownerKind: 'Job' }), job }]),
      tally({ skippedPods: 1 }),
    ],
    [
      'a Restore past its hook window: its workloads are not counted',
      observe(
        [member(bare, [pod('bare-1', { owner: bare })])],
        [],
        restore({ phase: 'Completed', startTimestamp: START, completionTimestamp: '2025-12-31T00:00:00Z' }),
      ),
      tally({}),
    ],
  ];
  for (const [title, obs, want] of cases)
    it(title, () => {
      expect(initHooksTally(obs)).to.deep.equal(want);
    });

  it('gives the same tally for the same cluster state, whoever computes it, however often', () => {
    const obs = observe(
      [member(hooked, [pod('hooked-1', { owner: hooked, initContainers: [restoreWait] })]), member(bare)],
      [{ pod: pod('solo', { labels: RESTORED, started: true }) }],
    );
    const first = initHooksTally(obs);
    expect(first).to.deep.equal(tally({ done: 1, pending: 1, skippedPods: 2 }));
    expect(initHooksTally(structuredClone(obs))).to.deep.equal(first);
  });

  it('with a memo, the same tally: a member is planned again when its object, its pods or its Restore change', () => {
    const memo = new TallyMemo();
    const pending = pod('hooked-1', { owner: hooked, initContainers: [restoreWait] });
    const started = { ...pending, status: { phase: 'Running' } } as Pod;
    const sequence = [
      observe([member(hooked, [pending])]),
      observe([member(hooked, [pending])]),
      // The pod left its file-system restore and started (a new cached object): no longer pending.
      observe([member(hooked, [started])]),
      // The Restore's window closed.
      observe(
        [member(hooked, [started])],
        [],
        restore({ phase: 'Completed', startTimestamp: START, completionTimestamp: '2025-12-31T00:00:00Z' }),
      ),
      observe([member(replicaSet('hooked'), [pending])]),
    ];
    for (const obs of sequence) expect(initHooksTally(obs, memo)).to.deep.equal(initHooksTally(obs));
  });

  it('with a memo, the same tally: another pod is planned again when its object, its owner or its Restore change', () => {
    const memo = new TallyMemo();
    const waiting = pod('solo', { labels: RESTORED });
    const started = pod('solo', { labels: RESTORED, started: true });
    const sequence = [
      observe([], [{ pod: waiting }]),
      observe([], [{ pod: waiting }]),
      // The bare pod started before it was replaced (a new cached object): skipped.
      observe([], [{ pod: started }]),
      observe([], [{ pod: started }]),
      // The Restore's window closed.
      observe(
        [],
        [{ pod: started }],
        restore({ phase: 'Completed', startTimestamp: START, completionTimestamp: '2025-12-31T00:00:00Z' }),
      ),
    ];
    const tallies = sequence.map((obs) => initHooksTally(obs, memo));
    expect(tallies).to.deep.equal(sequence.map((obs) => initHooksTally(obs)));
    expect(
      tallies.map((t) => t.skippedPods),
      'the tallies differ along the sequence',
    ).to.deep.equal([0, 0, 1, 1, 0]);
  });
});
