import { expect } from 'chai';
import {
  decideReplicaSets,
  pausesForInjection,
  rollsOutAllAtOnce,
} from '../../../src/controller/init-hooks/replicaset-decision.ts';
import type {
  DeploymentFacts,
  DeploymentPodFacts,
  ReplicaSetFacts,
  ReplicaSetsDecision,
} from '../../../src/controller/init-hooks/replicaset-decision.ts';

function rs(name: string, overrides: Partial<ReplicaSetFacts> = {}): ReplicaSetFacts {
  return {
    name,
    uid: `uid-${name}`,
    ofRestore: true,
    templateHooks: 'missing',
    replicas: 4,
    joinsDeployment: true,
    observed: true,
    ...overrides,
  };
}

function pod(name: string, replicaSet: string | undefined, overrides: Partial<DeploymentPodFacts> = {}) {
  return {
    name,
    uid: `uid-${name}`,
    hasHooks: false,
    stillPending: true,
    createdDuringRestore: true,
    restoreWait: false,
    holdsRestoredData: false,
    initialized: false,
    ...(replicaSet ? { replicaSet } : {}),
    ...overrides,
  };
}

/** Deployment facts: a hooked, active, unpaused Deployment whose spec its controller has seen, unless overridden. */
function deployment(
  overrides: Partial<Omit<DeploymentFacts, 'rollout'>> & Partial<DeploymentFacts['rollout']>,
): DeploymentFacts {
  const { paused = false, pausedByUs = false, observed = true, ...rest } = overrides;
  return {
    templateHooks: 'present',
    rollsOutAllAtOnce: false,
    restoreActive: true,
    cleanedUp: false,
    replicaSets: [],
    pods: [],
    ...rest,
    rollout: { paused, pausedByUs, observed },
  };
}

type Want = Partial<Omit<ReplicaSetsDecision, 'deletePods' | 'skippedPods'>> & {
  deletePods?: string[];
  skippedPods?: Array<[string, string]>;
};

const hooked = rs('web-new', { templateHooks: 'present' });

describe('decideReplicaSets', () => {
  const cases: Array<[string, DeploymentFacts, Want]> = [
    [
      'the Deployment lacks the hooks: nothing is done to its ReplicaSets',
      deployment({ templateHooks: 'missing', replicaSets: [rs('web-old')], pods: [pod('a', 'web-old')] }),
      { patchReplicaSets: [], resume: false, deletePods: [] },
    ],
    [
      'paused by us while the restore is no longer active: resume, write nothing else',
      deployment({ pausedByUs: true, paused: true, restoreActive: false, replicaSets: [rs('web-old')] }),
      { patchReplicaSets: [], resume: true, deletePods: [] },
    ],
    [
      'paused by us, the Deployment controller has not seen the pause: wait for it',
      deployment({ pausedByUs: true, paused: true, observed: false, replicaSets: [rs('web-old')] }),
      { patchReplicaSets: [], resume: false, waitingFor: 'DeploymentController' },
    ],
    [
      'paused by us and seen: hook the current ReplicaSet, then resume; its pods wait for the ReplicaSet controller',
      deployment({
        pausedByUs: true,
        paused: true,
        replicaSets: [rs('web-old')],
        pods: [pod('a', 'web-old'), pod('b', 'web-old')],
      }),
      { patchReplicaSets: ['web-old'], resume: true, deletePods: [], waitingFor: 'ReplicaSetController' },
    ],
    [
      'a hooked ReplicaSet its controller has seen: its pending pods without hooks are deleted',
      deployment({
        replicaSets: [rs('web-old', { templateHooks: 'present' })],
        pods: [pod('a', 'web-old'), pod('b', 'web-old', { hasHooks: true })],
      }),
      { patchReplicaSets: [], resume: false, deletePods: ['a'] },
    ],
    [
      'a hooked ReplicaSet its controller has not seen yet: wait (it could recreate from the old template)',
      deployment({
        replicaSets: [rs('web-old', { templateHooks: 'present', observed: false })],
        pods: [pod('a', 'web-old')],
      }),
      { deletePods: [], waitingFor: 'ReplicaSetController' },
    ],
    [
      'a pod with restore-wait is never deleted: reported',
      deployment({
        replicaSets: [rs('web-old', { templateHooks: 'present' })],
        pods: [pod('fsr', 'web-old', { restoreWait: true }), pod('a', 'web-old')],
      }),
      { deletePods: ['a'], skippedPods: [['fsr', 'RestoreWait']] },
    ],
    [
      'a started pod of a ReplicaSet that stays current is reported missed; an old ReplicaSet’s is rolled out',
      deployment({
        replicaSets: [
          rs('web-old', { templateHooks: 'present' }),
          rs('web-older', { templateHooks: 'present', joinsDeployment: false }),
        ],
        pods: [
          pod('a', 'web-old', { stillPending: false, initialized: true }),
          pod('b', 'web-older', { stillPending: false, initialized: true }),
        ],
      }),
      { deletePods: [], skippedPods: [['a', 'AppContainersStarted']] },
    ],
    [
      'a pod being deleted before it started is neither deleted again nor reported missed',
      deployment({
        replicaSets: [rs('web-old', { templateHooks: 'present' })],
        pods: [pod('a', 'web-old', { stillPending: false, deletedBeforeStart: true })],
      }),
      { deletePods: [], skippedPods: [] },
    ],
    [
      'an older revision with pods gets the hooks too (in its own template); one scaled to 0 is history, left alone',
      deployment({
        replicaSets: [
          hooked,
          rs('web-older', { joinsDeployment: false }),
          rs('web-oldest', { joinsDeployment: false, replicas: 0 }),
        ],
      }),
      { patchReplicaSets: ['web-older'], resume: false },
    ],
    [
      'an older ReplicaSet that would equal the template once hooked gets it even after a younger took over',
      deployment({
        replicaSets: [rs('web-old'), hooked],
        pods: [pod('a', 'web-old'), pod('n', 'web-new', { hasHooks: true })],
      }),
      { patchReplicaSets: ['web-old'], deletePods: [], waitingFor: 'ReplicaSetController' },
    ],
    [
      'ReplicaSets and pods from before the restore, and pods awaiting adoption, are not touched',
      deployment({
        replicaSets: [rs('web-old', { ofRestore: false, templateHooks: 'present' }), hooked],
        pods: [
          pod('a', 'web-old'),
          pod('orphan', undefined),
          pod('b', 'web-new', { createdDuringRestore: false }),
        ],
      }),
      { patchReplicaSets: [], deletePods: [], skippedPods: [] },
    ],
    [
      'a ReplicaSet whose template conflicts with a hook is not written, and its pods are not deleted',
      deployment({
        replicaSets: [rs('web-old', { templateHooks: 'conflict' })],
        pods: [pod('a', 'web-old')],
      }),
      { patchReplicaSets: [], deletePods: [] },
    ],
    [
      'a roll-out that removes every old pod at once replaces them itself: the ReplicaSets are left to it',
      deployment({ rollsOutAllAtOnce: true, replicaSets: [rs('web-old')], pods: [pod('a', 'web-old')] }),
      { patchReplicaSets: [], resume: false, deletePods: [] },
    ],
    [
      'cleaned up: nothing',
      deployment({ cleanedUp: true, replicaSets: [rs('web-old')], pods: [pod('a', 'web-old')] }),
      { patchReplicaSets: [], resume: false, deletePods: [] },
    ],
  ];

  for (const [title, facts, want] of cases) {
    it(title, () => {
      const d = decideReplicaSets(facts);
      const { deletePods, skippedPods, ...rest } = want;
      for (const [key, value] of Object.entries(rest)) expect(d, key).to.have.property(key).deep.equal(value);
      if (!('waitingFor' in want)) expect(d.waitingFor, 'waitingFor').to.equal(undefined);
      if (deletePods) expect(d.deletePods.map((p) => p.name)).to.deep.equal(deletePods);
      if (skippedPods) expect(d.skippedPods.map((p) => [p.name, p.reason])).to.deep.equal(skippedPods);
    });
  }
});

describe('pausesForInjection', () => {
  const facts = ({
    paused = false,
    ...overrides
  }: Partial<Omit<Parameters<typeof pausesForInjection>[0], 'rollout'>> & { paused?: boolean }) => ({
    rollout: { paused, pausedByUs: false, observed: true },
    rollsOutAllAtOnce: false,
    replicaSets: [rs('a')],
    ...overrides,
  });
  const table: Array<[string, Parameters<typeof pausesForInjection>[0], boolean]> = [
    ['no ReplicaSet yet: nothing to keep current', facts({ replicaSets: [] }), false],
    ['its current ReplicaSet of the restore will join the new template', facts({}), true],
    ['paused by its user: left as it is', facts({ paused: true }), false],
    ['a roll-out that removes every old pod at once needs none', facts({ rollsOutAllAtOnce: true }), false],
    [
      'only older revisions: a roll-out follows anyway',
      facts({ replicaSets: [rs('a', { joinsDeployment: false })] }),
      false,
    ],
    [
      'a ReplicaSet from before the restore is not ours to change',
      facts({ replicaSets: [rs('a', { ofRestore: false })] }),
      false,
    ],
    [
      'a ReplicaSet that already has the hooks',
      facts({ replicaSets: [rs('a', { templateHooks: 'present' })] }),
      false,
    ],
  ];
  for (const [title, f, want] of table) it(title, () => expect(pausesForInjection(f)).to.equal(want));
});

describe('rollsOutAllAtOnce', () => {
  const table: Array<[string, Parameters<typeof rollsOutAllAtOnce>[0], number, boolean]> = [
    ['Recreate', { type: 'Recreate' }, 4, true],
    ['the default RollingUpdate (25%)', undefined, 4, false],
    ['25% of 3 rounds down to 0', { type: 'RollingUpdate' }, 3, false],
    ['maxUnavailable 100%', { rollingUpdate: { maxUnavailable: '100%' } }, 4, true],
    ['maxUnavailable 1 of 1 replica', { rollingUpdate: { maxUnavailable: 1 } }, 1, true],
    ['maxUnavailable 1 of 4', { rollingUpdate: { maxUnavailable: 1 } }, 4, false],
    ['maxUnavailable "4" of 4', { rollingUpdate: { maxUnavailable: '4' } }, 4, true],
  ];
  for (const [title, strategy, replicas, want] of table)
    it(title, () => expect(rollsOutAllAtOnce(strategy, replicas)).to.equal(want));
});
