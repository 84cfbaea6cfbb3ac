import { expect } from 'chai';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../../src/hooks/validate.ts';
import type { RestoreHooks } from '../../../src/hooks/validate.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { execHookIds } from '../../../src/controller/exec-hooks/exec-hook-ids.ts';
import {
  execCandidates,
  execGate,
  execSweepWanted,
  planExecPod,
  recordWith,
  showsEntries,
} from '../../../src/controller/exec-hooks/exec-plan.ts';
import type { ExecObservation, ExecPodPlan } from '../../../src/controller/exec-hooks/exec-plan.ts';
import type { HookEntry } from '../../../src/controller/exec-hooks/exec-record.ts';
import { formatExecRecord } from '../../../src/controller/exec-hooks/exec-record.ts';
import { flatEffects } from '../init-hooks/plan-fixtures.ts';
import {
  CLEANED_UP_ANNOTATION,
  EXEC_HOOKS_ANNOTATION,
  EXEC_RETRIES_ANNOTATION,
  RESTORE_LABEL,
} from '../../../src/controller/marks.ts';
import type { RestoreLookup, RestoreObject } from '../../../src/controller/restore-directory.ts';

const START = '2026-01-01T00:00:00Z';
const NOW = Date.parse('2026-01-01T00:05:00Z');
const CREATED = '2026-01-01T00:01:00Z';
const WAIT_MS = 600_000;

const restoreOf = (spec: Record<string, unknown>): RestoreObject => ({
  metadata: { name: 'r1', namespace: 'velero', uid: 'restore-uid' },
  spec,
  status: { phase: 'InProgress', startTimestamp: START },
});
const execSpec = (exec: Record<string, unknown>) => ({
  hooks: { resources: [{ name: 'h', includedNamespaces: ['app'], postHooks: [{ exec }] }] },
});
const RESTORE = restoreOf(execSpec({ container: 'app', command: ['echo', 'ran'] }));
const HOOKS = parseRestoreHooks(RESTORE, DEFAULT_HOOK_POLICY);
const found = (restore = RESTORE, hooks = HOOKS): RestoreLookup => ({ found: true, restore, hooks });

/** A restored Deployment's pod (its ReplicaSet's), as the caches hold it. */
function pod(
  o: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    phase?: string;
    running?: boolean;
    created?: string;
  } = {},
): Pod {
  return {
    metadata: {
      namespace: 'app',
      name: 'web-1',
      uid: 'pod-uid',
      creationTimestamp: o.created ?? CREATED,
      labels: o.labels ?? { [RESTORE_LABEL]: 'r1', 'pod-template-hash': 'abc' },
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs', controller: true },
      ],
    },
    spec: { containers: [{ name: 'app', image: 'busybox' }] },
    status: {
      phase: o.phase ?? (o.running ? 'Running' : 'Pending'),
      ...(o.running ? { containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }] } : {}),
    },
  } as Pod;
}

const deployment = (
  labels: Record<string, string> = { 'velero.io/restore-name': 'r1' },
  extra = {},
): Workload =>
  ({
    metadata: { namespace: 'app', name: 'web', uid: 'web-uid', creationTimestamp: CREATED, labels, ...extra },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [] } } },
  }) as Workload;

function observation(p: Pod, o: Partial<ExecObservation> = {}): ExecObservation {
  return {
    pod: p,
    gone: false,
    owner: { read: true, workload: deployment() },
    restoreOf: () => found(),
    activeHooks: [HOOKS],
    finished: {},
    inFlight: new Set(),
    stopping: false,
    nowMs: NOW,
    settings: { hookWindowMs: 3_600_000, policy: DEFAULT_HOOK_POLICY, exec: DEFAULT_SETTINGS.exec },
    ...o,
  };
}

/** The Restore finished, and its hook window (1 s) is over. */
const PAST_WINDOW: Partial<ExecObservation> = {
  restoreOf: () =>
    found({ ...RESTORE, status: { phase: 'Completed', startTimestamp: START, completionTimestamp: START } }),
  settings: { hookWindowMs: 1000, policy: DEFAULT_HOOK_POLICY, exec: DEFAULT_SETTINGS.exec },
};

const ID = execHookIds(HOOKS, pod(), DEFAULT_HOOK_POLICY)[0]!;
const record = (hooks: Record<string, HookEntry>) => ({
  [EXEC_HOOKS_ANNOTATION]: formatExecRecord({ restore: 'velero/r1', hooks }),
});
const succeeded: HookEntry = {
  attempts: 1,
  result: 'Succeeded',
  exitCode: 0,
  finishedAt: '2026-01-01T00:04:00.000Z',
};
const retrying: HookEntry = {
  attempts: 1,
  result: 'Retrying',
  reason: 'NonZeroExit',
  exitCode: 1,
  finishedAt: '2026-01-01T00:04:59.000Z',
  nextAttemptAt: '2026-01-01T00:05:01.000Z',
};

const all = (plan: ExecPodPlan) => flatEffects([...plan.effects, ...plan.ifWritten]);
const events = (plan: ExecPodPlan) =>
  all(plan).flatMap((e) => ('event' in e ? [`${e.event.regarding.kind}:${e.event.reason}`] : []));
const metrics = (plan: ExecPodPlan) => all(plan).flatMap((e) => ('metric' in e ? [e.metric] : []));
const logs = (plan: ExecPodPlan) => all(plan).flatMap((e) => ('log' in e ? [e.message] : []));
const written = (plan: ExecPodPlan) =>
  plan.write === undefined
    ? 'none'
    : 'claim' in plan.write
      ? `claim:${plan.write.claim}`
      : Object.entries(plan.write.updates)
          .map(([id, e]) => `${id === ID ? 'hook' : id}:${e.result}${e.reason ? `/${e.reason}` : ''}`)
          .join(',');

describe('exec plan', () => {
  describe('the gate: whose pod it is', () => {
    const cases: { name: string; obs: ExecObservation; want: string }[] = [
      {
        name: 'a pod of no restore while no Restore with exec hooks is active',
        obs: observation(pod({ labels: {} }), { activeHooks: [], owner: { read: false } }),
        want: 'none: no active restore with exec hooks',
      },
      {
        name: 'an unmarked pod that ended',
        obs: observation(pod({ labels: {}, phase: 'Succeeded' }), { owner: { read: false } }),
        want: 'none: pod ended',
      },
      {
        name: 'an unmarked pod, owner not read yet',
        obs: observation(pod({ labels: {} }), { owner: { read: false } }),
        want: 'needs owner',
      },
      {
        name: 'an unmarked pod of no restored workload',
        obs: observation(pod({ labels: {} }), { owner: { read: true } }),
        want: 'none: no restored owner',
      },
      {
        name: 'an unmarked pod of the cleanup rollout',
        obs: observation(pod({ labels: {} }), {
          owner: {
            read: true,
            workload: deployment(undefined, { annotations: { [CLEANED_UP_ANNOTATION]: 'velero/r1' } }),
          },
        }),
        want: 'none: cleanup rollout',
      },
      {
        name: 'an unmarked pod of a restored workload',
        obs: observation(pod({ labels: {} })),
        want: 'claim r1',
      },
      {
        name: "Velero's pod of a Restore that is not cached",
        obs: observation(pod({ labels: { 'velero.io/restore-name': 'r1' } }), {
          restoreOf: () => ({ found: false, reason: 'NotFound' }),
        }),
        want: 'none: no such restore',
      },
      {
        name: 'a Restore with invalid hooks',
        obs: observation(pod(), {
          restoreOf: () =>
            found(RESTORE, parseRestoreHooks(restoreOf(execSpec({ command: 'x' })), DEFAULT_HOOK_POLICY)),
        }),
        want: 'none: invalid hooks',
      },
      {
        name: 'a Restore with init hooks only',
        obs: observation(pod(), {
          restoreOf: () => found(RESTORE, parseRestoreHooks({ spec: {} }, DEFAULT_HOOK_POLICY)),
        }),
        want: 'none: no exec hooks',
      },
      {
        name: 'a Restore past its hook window',
        obs: observation(pod(), PAST_WINDOW),
        want: 'none: restore inactive',
      },
      {
        name: 'our mark, owner not read yet',
        obs: observation(pod(), { owner: { read: false } }),
        want: 'needs owner',
      },
      {
        name: 'our mark copied onto the pod of another restore',
        obs: observation(pod(), {
          owner: { read: true, workload: deployment({ 'velero.io/restore-name': 'r2' }) },
        }),
        want: 'none: no restored owner',
      },
      { name: 'our mark on a restored workload’s pod', obs: observation(pod()), want: 'member' },
      {
        name: "Velero's restored pod",
        obs: observation(pod({ labels: { 'velero.io/restore-name': 'r1' } })),
        want: 'velero',
      },
      {
        name: 'a pod created before the restore started',
        obs: observation(pod({ created: '2025-12-31T00:00:00Z' })),
        want: 'none: pod: OlderThanRestore',
      },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.want}`, () => {
        const gate = execGate(c.obs);
        const got =
          'none' in gate
            ? `none: ${gate.none}`
            : 'needs' in gate
              ? 'needs owner'
              : gate.claim !== undefined
                ? `claim ${gate.claim}`
                : gate.velero
                  ? 'velero'
                  : 'member';
        expect(got).to.equal(c.want);
      });
  });

  describe("a pod's next step", () => {
    const cases: {
      name: string;
      obs: ExecObservation;
      write: string;
      run?: number;
      events?: string[];
      metrics?: string[];
      log?: string;
    }[] = [
      {
        name: 'not a member: said at debug level only',
        obs: observation(pod({ labels: {} }), { activeHooks: [] }),
        write: 'none',
        log: 'no exec hooks to run here',
      },
      {
        name: 'an unmarked pod of a restored workload: claimed',
        obs: observation(pod({ labels: {} })),
        write: 'claim:r1',
      },
      {
        name: "Velero's pod (veleroRestoredPods: Skip): left to Velero, counted as skipped once",
        obs: observation(pod({ labels: { 'velero.io/restore-name': 'r1' }, running: true })),
        write: 'none',
        metrics: ['hookSkipped'],
      },
      {
        name: "Velero's pod (veleroRestoredPods: Run): runs",
        obs: observation(pod({ labels: { 'velero.io/restore-name': 'r1' }, running: true }), {
          settings: {
            hookWindowMs: 3_600_000,
            policy: DEFAULT_HOOK_POLICY,
            exec: { ...DEFAULT_SETTINGS.exec, veleroRestoredPods: 'Run' },
          },
        }),
        write: 'none',
        run: 1,
      },
      {
        name: 'container running: the hook starts',
        obs: observation(pod({ running: true })),
        write: 'none',
        run: 1,
      },
      {
        name: 'an exec under way: nothing more',
        obs: observation(pod({ running: true }), { inFlight: new Set([ID]) }),
        write: 'none',
      },
      {
        name: 'stopping: nothing starts',
        obs: observation(pod({ running: true }), { stopping: true }),
        write: 'none',
      },
      {
        name: 'an attempt ended: recorded, then reported (metrics, the pod’s Event)',
        obs: observation(pod({ running: true }), { finished: { [ID]: succeeded } }),
        write: 'hook:Succeeded',
        events: ['Pod:HookExecuted'],
        metrics: ['hookExecuted'],
      },
      {
        name: 'an attempt failed and is retried: recorded, said in the log',
        obs: observation(pod({ running: true }), { finished: { [ID]: retrying } }),
        write: 'hook:Retrying/NonZeroExit',
        log: 'exec hook failed; retrying after backoff',
      },
      {
        name: 'recorded as done: nothing',
        obs: observation(pod({ running: true, annotations: record({ [ID]: succeeded }) })),
        write: 'none',
      },
      {
        name: 'our own write the cache does not show yet: done, nothing runs again',
        obs: observation(pod({ running: true, annotations: record({}) }), { ownWrite: { [ID]: succeeded } }),
        write: 'none',
      },
      {
        name: 'a record of another Restore: left alone',
        obs: observation(
          pod({
            running: true,
            annotations: { [EXEC_HOOKS_ANNOTATION]: '{"restore":"velero/other","hooks":{}}' },
          }),
        ),
        write: 'none',
      },
      {
        name: 'an unreadable record: nothing runs, an Event says why',
        obs: observation(pod({ running: true, annotations: { [EXEC_HOOKS_ANNOTATION]: 'not json' } })),
        write: 'none',
        events: ['Pod:HookFailed'],
      },
      {
        name: 'the container never ran within waitTimeout: failed, on the pod and the Restore',
        obs: observation(pod(), { nowMs: Date.parse(CREATED) + WAIT_MS }),
        write: 'hook:Failed/WaitTimeout',
        events: ['Pod:HookFailed', 'Restore:HookFailed'],
        metrics: ['hookExecuted', 'hookFailed'],
      },
      {
        name: 'the pod ended before the hook ran: failed',
        obs: observation(pod({ phase: 'Failed' })),
        write: 'hook:Failed/PodEnded',
        events: ['Pod:HookFailed', 'Restore:HookFailed'],
        metrics: ['hookExecuted', 'hookFailed'],
      },
      {
        name: 'past the hook window, an attempt started within it ended: recorded, nothing else decided',
        obs: observation(pod(), { ...PAST_WINDOW, finished: { [ID]: succeeded } }),
        write: 'hook:Succeeded',
        events: ['Pod:HookExecuted'],
        metrics: ['hookExecuted'],
      },
      {
        name: 'an invalid exec-retries annotation: the hook runs with the configured attempts, an Event says why',
        obs: observation(pod({ running: true, annotations: { [EXEC_RETRIES_ANNOTATION]: 'many' } })),
        write: 'none',
        run: 1,
        events: ['Pod:InvalidHook'],
      },
      {
        name: 'deleted after its containers started: counted as failed, an Event on the Restore only',
        obs: observation(pod({ running: true, annotations: record({}) }), { gone: true }),
        write: 'none',
        events: ['Restore:HookFailed'],
        metrics: ['hookExecuted', 'hookFailed'],
      },
      {
        name: 'deleted with an attempt under way: counted when it ends',
        obs: observation(pod({ annotations: record({}) }), { gone: true, inFlight: new Set([ID]) }),
        write: 'none',
      },
      {
        name: 'deleted after an attempt ended unrecorded: its outcome is counted',
        obs: observation(pod({ annotations: record({}) }), { gone: true, finished: { [ID]: succeeded } }),
        write: 'none',
        metrics: ['hookExecuted'],
      },
      {
        name: 'deleted before anything started: the pod its owner creates next runs the hooks',
        obs: observation(pod(), { gone: true }),
        write: 'none',
        log: 'deleted before anything started: the pod its owner creates next runs the exec hooks',
      },
    ];
    for (const c of cases)
      it(c.name, () => {
        const plan = planExecPod(c.obs);
        expect(written(plan), 'write').to.equal(c.write);
        expect(plan.run.length, 'commands').to.equal(c.run ?? 0);
        expect(events(plan), 'events').to.deep.equal(c.events ?? []);
        expect(metrics(plan), 'metrics').to.deep.equal(c.metrics ?? []);
        if (c.log) expect(logs(plan)).to.include(c.log);
      });

    it('reports a final outcome once per pod and hook (the Events and metrics are wrapped in one once-key)', () => {
      const plan = planExecPod(observation(pod({ running: true }), { finished: { [ID]: succeeded } }));
      expect(plan.ifWritten.flatMap((e) => ('once' in e ? [e.once] : []))).to.deep.equal([
        `pod-uid/${ID}/final`,
      ]);
    });

    it('starts a command with the attempt after the recorded ones, exec.defaultExecTimeout and the retry policy', () => {
      const plan = planExecPod(
        observation(
          pod({
            running: true,
            annotations: {
              ...record({ [ID]: { ...retrying, nextAttemptAt: START } }),
              [EXEC_RETRIES_ANNOTATION]: '3',
            },
          }),
        ),
      );
      expect(
        plan.run.map((c) => ({ attempt: c.attempt, timeoutMs: c.timeoutMs, attempts: c.retry.attempts })),
      ).to.deep.equal([{ attempt: 2, timeoutMs: DEFAULT_SETTINGS.exec.defaultExecTimeout, attempts: 3 }]);
    });
  });

  describe('the requeue policy', () => {
    const cases: { name: string; obs: ExecObservation; want: number | undefined }[] = [
      {
        name: 'waiting for the container: at its waitTimeout (and a little after)',
        obs: observation(pod()),
        want: Date.parse(CREATED) + WAIT_MS - NOW + 50,
      },
      {
        name: 'a retry after backoff: at its nextAttemptAt',
        obs: observation(pod({ running: true }), { finished: { [ID]: retrying } }),
        want: Date.parse(retrying.nextAttemptAt!) - NOW + 50,
      },
      {
        name: 'a wait already over: at least 50 ms',
        obs: observation(pod(), { nowMs: Date.parse(CREATED) + WAIT_MS - 10 }),
        want: 60,
      },
      {
        name: 'a hook starting: on its end (the pod is enqueued then)',
        obs: observation(pod({ running: true })),
        want: undefined,
      },
      {
        name: 'a failure recorded: on the write’s event',
        obs: observation(pod(), { nowMs: Date.parse(CREATED) + WAIT_MS }),
        want: undefined,
      },
      {
        name: 'every hook done: never',
        obs: observation(pod({ running: true, annotations: record({ [ID]: succeeded }) })),
        want: undefined,
      },
      { name: 'a claim: on the claimed pod’s event', obs: observation(pod({ labels: {} })), want: undefined },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.want ?? 'none'}`, () => expect(planExecPod(c.obs).requeueAfterMs).to.equal(c.want));
  });

  describe('the record write', () => {
    it('merges the updates into the record the pod shows now', () => {
      const current = pod({ annotations: record({ other: succeeded }) });
      expect(recordWith(current, 'velero/r1', { [ID]: retrying })).to.deep.equal({
        restore: 'velero/r1',
        hooks: { other: succeeded, [ID]: retrying },
      });
    });

    it('refuses to write over a record that became unreadable', () => {
      expect(() =>
        recordWith(pod({ annotations: { [EXEC_HOOKS_ANNOTATION]: '{' } }), 'velero/r1', {}),
      ).to.throw(/became unreadable: not JSON/);
    });

    const shows: { name: string; cached: Record<string, HookEntry>; want: boolean }[] = [
      {
        name: 'the cache shows every entry written',
        cached: { [ID]: succeeded, other: retrying },
        want: true,
      },
      { name: 'an entry is missing', cached: { other: retrying }, want: false },
      { name: 'an entry is older', cached: { [ID]: retrying }, want: false },
      {
        name: 'an entry lost its output tails (the record drops them for size)',
        cached: { [ID]: succeeded },
        want: true,
      },
    ];
    for (const c of shows)
      it(`own writes: ${c.name}: ${c.want ? 'shown' : 'not shown yet'}`, () =>
        expect(showsEntries(c.cached, { [ID]: { ...succeeded, stdout: 'ran' } })).to.equal(c.want));
  });

  describe("a restored workload's pods that no cache may hold", () => {
    const annotated = (hooks: RestoreHooks) => found(RESTORE, hooks);
    const cases: {
      name: string;
      kind?: 'Deployment' | 'ReplicaSet';
      workload: Workload;
      lookup?: RestoreLookup;
      want: boolean;
    }[] = [
      {
        name: 'a restored Deployment of an active Restore with exec hooks',
        workload: deployment(),
        lookup: found(),
        want: true,
      },
      {
        name: 'its Restore not cached',
        workload: deployment(),
        lookup: { found: false, reason: 'NotFound' },
        want: false,
      },
      { name: 'no restore label', workload: deployment({}), lookup: found(), want: false },
      {
        name: 'a ReplicaSet of a Deployment (its Deployment sweeps)',
        kind: 'ReplicaSet',
        workload: deployment(undefined, {
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd', controller: true },
          ],
        }),
        lookup: found(),
        want: false,
      },
      {
        name: 'a Restore with init hooks only',
        workload: deployment(),
        lookup: annotated(parseRestoreHooks({ spec: {} }, DEFAULT_HOOK_POLICY)),
        want: false,
      },
      {
        name: 'a Restore past its hook window',
        workload: deployment(),
        lookup: found({
          ...RESTORE,
          status: {
            phase: 'Completed',
            startTimestamp: '2025-12-01T00:00:00Z',
            completionTimestamp: '2025-12-01T00:01:00Z',
          },
        }),
        want: false,
      },
      {
        name: 'a Restore with invalid hooks',
        workload: deployment(),
        lookup: annotated(parseRestoreHooks(restoreOf(execSpec({ command: 'x' })), DEFAULT_HOOK_POLICY)),
        want: false,
      },
      {
        name: 'a workload created before the restore',
        workload: deployment(undefined, { creationTimestamp: '2025-01-01T00:00:00Z' }),
        lookup: found(),
        want: false,
      },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.want ? 'swept' : 'not swept'}`, () =>
        expect(execSweepWanted(c.kind ?? 'Deployment', c.workload, c.lookup, NOW, 3_600_000)).to.equal(
          c.want,
        ));

    it('claims those created during the restore, without our mark or a record, not ended, whatever their phase', () => {
      const named = (name: string, p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, name } });
      const pods = [
        named('running', pod({ labels: {}, running: true })),
        named('pending', pod({ labels: {} })),
        named('marked', pod()),
        named('recorded', pod({ labels: {}, annotations: record({}) })),
        named('ended', pod({ labels: {}, phase: 'Succeeded' })),
        named('before', pod({ labels: {}, created: '2025-01-01T00:00:00Z' })),
      ];
      expect(execCandidates(pods, RESTORE).map((p) => p.metadata.name)).to.deep.equal(['running', 'pending']);
    });
  });
});
