import { expect } from 'chai';
import type { ExecHook } from '../../../src/hooks/hook-plan.ts';
import type { HookEntry } from '../../../src/controller/exec-hooks/exec-record.ts';
import { execStep } from '../../../src/controller/exec-hooks/exec-step.ts';
import type { PodFacts, StepInput, StepResult } from '../../../src/controller/exec-hooks/exec-step.ts';
import { podFacts, retryAttempts } from '../../../src/controller/exec-hooks/exec-plan.ts';

const T0 = Date.parse('2026-11-24T20:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function hook(container: string, position: number, extra: Partial<ExecHook> = {}): ExecHook {
  return {
    id: `exec/${container}/${position}`,
    origin: { source: 'spec', resourceName: 'r', resourceIndex: 0, postHookIndex: position },
    field: `spec.hooks.resources[0].postHooks[${position}].exec`,
    container,
    command: ['true'],
    onError: 'Continue',
    execTimeoutMs: 30_000,
    waitTimeoutMs: 60_000,
    waitForReady: false,
    valid: true,
    ...extra,
  };
}

const running = { running: true, ready: true };
const notRunning = { running: false, ready: false };
const runningNotReady = { running: true, ready: false };

function pod(
  containers: Record<string, { running: boolean; ready: boolean }>,
  extra: Partial<PodFacts> = {},
): PodFacts {
  return {
    createdAtMs: T0,
    ended: false,
    terminating: false,
    containers: new Map(Object.entries(containers)),
    ...extra,
  };
}

const ok = (seconds = 1): HookEntry => ({
  attempts: 1,
  result: 'Succeeded',
  exitCode: 0,
  finishedAt: at(seconds),
});
const failed = (seconds = 1): HookEntry => ({
  attempts: 1,
  result: 'Failed',
  reason: 'NonZeroExit',
  exitCode: 1,
  finishedAt: at(seconds),
});

interface Case {
  readonly what: string;
  readonly input: Partial<StepInput> & Pick<StepInput, 'groups'>;
  readonly want: { run?: string[]; fail?: string[]; waitUntil?: number; done?: boolean };
}

const a0 = hook('app', 0);
const a1 = hook('app', 1);
const s0 = hook('sidecar', 0);
const group = (container: string, ...hooks: ExecHook[]) => ({ container, hooks });

const CASES: Case[] = [
  {
    what: 'runs the first hook of each container once it runs',
    input: {
      groups: [group('app', a0, a1), group('sidecar', s0)],
      pod: pod({ app: running, sidecar: running }),
    },
    want: { run: ['exec/app/0@1', 'exec/sidecar/0@1'] },
  },
  {
    what: 'runs the next hook only after its predecessor finished',
    input: { groups: [group('app', a0, a1)], entries: { [a0.id]: ok() } },
    want: { run: ['exec/app/1@1'] },
  },
  {
    what: 'runs nothing for a container whose hook is in flight',
    input: { groups: [group('app', a0, a1)], inFlight: new Set([a0.id]) },
    want: { run: [] },
  },
  {
    what: 'is done when every hook is final',
    input: { groups: [group('app', a0, a1)], entries: { [a0.id]: ok(), [a1.id]: failed() } },
    want: { done: true },
  },
  {
    what: 'waits for a container that is not running, until its wait timeout',
    input: { groups: [group('app', a0)], pod: pod({ app: notRunning }), nowMs: T0 + 10_000 },
    want: { waitUntil: T0 + 60_000 },
  },
  {
    what: 'fails a hook whose container did not run within waitTimeout',
    input: { groups: [group('app', a0)], pod: pod({ app: notRunning }), nowMs: T0 + 60_000 },
    want: { fail: ['exec/app/0:WaitTimeout'] },
  },
  {
    what: 'measures the wait of a later hook from its predecessor finishing',
    input: {
      groups: [group('app', a0, a1)],
      entries: { [a0.id]: ok(100) },
      pod: pod({ app: notRunning }),
      nowMs: T0 + 120_000,
    },
    want: { waitUntil: T0 + 160_000 },
  },
  {
    what: 'uses the configured cap for hooks without waitTimeout',
    input: {
      groups: [group('app', hook('app', 0, { waitTimeoutMs: undefined }))],
      pod: pod({ app: notRunning }),
      defaultWaitTimeoutMs: 5_000,
      nowMs: T0,
    },
    want: { waitUntil: T0 + 5_000 },
  },
  {
    what: 'waits for Ready with waitForReady',
    input: {
      groups: [group('app', hook('app', 0, { waitForReady: true }))],
      pod: pod({ app: runningNotReady }),
    },
    want: { waitUntil: T0 + 60_000 },
  },
  {
    what: 'does not wait for Ready without waitForReady',
    input: { groups: [group('app', a0)], pod: pod({ app: runningNotReady }) },
    want: { run: ['exec/app/0@1'] },
  },
  {
    what: 'fails invalid hooks (missing container) up front, without waiting',
    input: {
      groups: [group('nope', hook('nope', 0, { valid: false })), group('app', a0)],
      pod: pod({ app: notRunning }),
    },
    want: { fail: ['exec/nope/0:ContainerNotFound'] },
  },
  {
    what: 'a failed hook with onError Fail stops the remaining hooks of the pod',
    input: {
      groups: [group('app', hook('app', 0, { onError: 'Fail' }), a1), group('sidecar', s0)],
      entries: { 'exec/app/0': failed() },
      pod: pod({ app: running, sidecar: running }),
    },
    want: { fail: ['exec/app/1:NotRunAfterFailure', 'exec/sidecar/0:NotRunAfterFailure'] },
  },
  {
    what: 'hooks in flight are left to finish when the pod stops',
    input: {
      groups: [group('app', hook('app', 0, { onError: 'Fail' }), a1), group('sidecar', s0)],
      entries: { 'exec/app/0': failed() },
      inFlight: new Set([s0.id]),
    },
    want: { fail: ['exec/app/1:NotRunAfterFailure'] },
  },
  {
    what: 'a failure with onError Continue does not stop the others',
    input: { groups: [group('app', a0, a1)], entries: { [a0.id]: failed() } },
    want: { run: ['exec/app/1@1'] },
  },
  {
    what: 'a wait timeout of an onError Fail hook is recorded before anything else runs',
    input: {
      groups: [group('app', hook('app', 0, { onError: 'Fail' })), group('sidecar', s0)],
      pod: pod({ app: notRunning, sidecar: running }),
      nowMs: T0 + 60_000,
    },
    want: { fail: ['exec/app/0:WaitTimeout'], run: [] },
  },
  {
    what: 'a pod that ended fails the remaining hooks with PodEnded',
    input: {
      groups: [group('app', a0, a1)],
      entries: { [a0.id]: ok() },
      pod: pod({ app: notRunning }, { ended: true }),
    },
    want: { fail: ['exec/app/1:PodEnded'] },
  },
  {
    what: 'a pod being deleted fails the remaining hooks with PodDeleted',
    input: { groups: [group('app', a0)], pod: pod({ app: running }, { terminating: true }) },
    want: { fail: ['exec/app/0:PodDeleted'] },
  },
  {
    what: "a workload's pod deleted before anything started, nothing tried: done, its owner's next pod runs them",
    input: {
      groups: [group('app', a0, a1)],
      pod: pod({ app: notRunning }, { terminating: true, ownerRecreates: true }),
    },
    want: { done: true },
  },
  {
    what: "a workload's pod deleted after a hook was tried: the rest fail with PodDeleted",
    input: {
      groups: [group('app', a0, a1)],
      entries: { [a0.id]: ok() },
      pod: pod({ app: notRunning }, { terminating: true, ownerRecreates: true }),
    },
    want: { fail: ['exec/app/1:PodDeleted'] },
  },
  {
    what: 'a retry waits for its backoff',
    input: {
      groups: [group('app', a0)],
      entries: {
        [a0.id]: {
          attempts: 1,
          result: 'Retrying',
          reason: 'NonZeroExit',
          finishedAt: at(1),
          nextAttemptAt: at(3),
        },
      },
      nowMs: T0 + 2_000,
    },
    want: { waitUntil: T0 + 3_000 },
  },
  {
    what: 'a retry runs the next attempt after its backoff',
    input: {
      groups: [group('app', a0)],
      entries: {
        [a0.id]: {
          attempts: 2,
          result: 'Retrying',
          reason: 'ExecTimeout',
          finishedAt: at(1),
          nextAttemptAt: at(3),
        },
      },
      nowMs: T0 + 3_000,
    },
    want: { run: ['exec/app/0@3'] },
  },
];

function summary(result: StepResult) {
  return {
    run: result.run.map((r) => `${r.hook.id}@${r.attempt}`),
    fail: result.fail.map((f) => `${f.hook.id}:${f.reason}`),
    waitUntil: result.waitUntilMs,
    done: result.done,
  };
}

describe('exec-hooks: execStep', () => {
  for (const c of CASES) {
    it(c.what, () => {
      const input: StepInput = {
        pod: pod({ app: running, sidecar: running }),
        entries: {},
        inFlight: new Set(),
        nowMs: T0 + 1_000,
        defaultWaitTimeoutMs: 600_000,
        ...c.input,
      };
      const got = summary(execStep(input));
      expect(got.run).to.deep.equal(c.want.run ?? []);
      expect(got.fail).to.deep.equal(c.want.fail ?? []);
      expect(got.waitUntil).to.equal(c.want.waitUntil);
      expect(got.done).to.equal(c.want.done ?? false);
    });
  }
});

describe('exec-hooks: podFacts', () => {
  it('reads running and ready per application container', () => {
    const facts = podFacts({
      metadata: { creationTimestamp: '2026-11-24T20:00:00Z' },
      spec: { containers: [{ name: 'app' }, { name: 'sidecar' }, { name: 'late' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'app', ready: true, restartCount: 0, state: { running: {} } },
          { name: 'sidecar', ready: false, restartCount: 0, state: { running: {} } },
          { name: 'late', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
        ],
      },
    });
    expect(facts).to.deep.include({ createdAtMs: T0, ended: false, terminating: false });
    expect(Object.fromEntries(facts.containers)).to.deep.equal({
      app: { running: true, ready: true },
      sidecar: { running: true, ready: false },
      late: { running: false, ready: false },
    });
  });
});

describe('exec-hooks: retryAttempts', () => {
  const cases: [string | undefined, number, string | undefined][] = [
    [undefined, 1, undefined],
    ['3', 3, undefined],
    ['100', 100, undefined],
    ['0', 2, 'expected the number of attempts per exec hook, 1 to 100'],
    ['many', 2, 'Invalid value: "many"'],
    ['2.5', 2, 'Invalid value: "2.5"'],
  ];
  for (const [value, attempts, problem] of cases)
    it(`${JSON.stringify(value)} gives ${attempts} attempt(s)${problem ? ' and a problem naming the field' : ''}`, () => {
      const got = retryAttempts(
        value === undefined ? {} : { 'restore-hooks.dev/exec-retries': value },
        value === undefined ? 1 : 2,
      );
      expect(got.attempts).to.equal(attempts);
      if (problem) {
        expect(got.problem).to.contain('metadata.annotations[restore-hooks.dev/exec-retries]');
        expect(got.problem).to.contain(problem);
      } else expect(got.problem).to.equal(undefined);
    });
});
