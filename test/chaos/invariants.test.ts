/**
 * The chaos suite's invariant checks, fed small final states that break each invariant (and one that keeps them
 * all), so a passing chaos run means the checks could have failed.
 */
import { expect } from 'chai';
import type { ContainerRun } from '../../src/devcluster/kubelet/run-log.ts';
import type { WriteRecord } from '../../src/devcluster/audit/write-log.ts';
import type { FailOpenRecord } from '../../src/devcluster/admission/fail-open-log.ts';
import {
  bypassedOwners,
  checkBypassesReported,
  checkDecoysUntouched,
  checkTemplatePathReported,
  checkExecHooks,
  checkInitHooksRanOnce,
  checkNoDuplicateHooks,
  checkRestoreStatus,
  checkWritesStayInRestore,
  slotOf,
  unconverged,
} from './invariants.ts';
import type { Expectations, FinalState, PodLike, WorkloadLike } from './invariants.ts';

const HOOK = { name: 'hook-a', image: 'busybox', command: ['true'] };
const EXEC = { container: 'app', command: ['echo', 'x'] };
const e: Expectations = {
  hooksFor: (ns) => (ns === 'ns' ? [HOOK] : []),
  execHooksFor: (ns) => (ns === 'ns' ? [EXEC] : []),
  leaderKills: 1,
  restoredNamespaces: ['ns'],
  workloads: [{ kind: 'StatefulSet', namespace: 'ns', name: 'db', replicas: 1 }],
  barePods: [{ namespace: 'ns', name: 'solo' }],
  decoys: new Map([['Pod/ns/decoy-pod', 'uid-decoy']]),
  decoyPodPrefixes: ['decoy-web'],
  controllerNamespace: 'restore-hooks',
  veleroNamespace: 'velero',
  restoreName: 'r',
  conditions: true,
};

let seq = 0;
function run(
  pod: string,
  uid: string,
  container: string,
  init: boolean,
  extra: Partial<ContainerRun> = {},
): ContainerRun {
  return {
    seq: ++seq,
    namespace: 'ns',
    pod,
    uid,
    node: 'node-1',
    owner: pod.startsWith('db-') ? 'StatefulSet/db' : '',
    container,
    init,
    restartCount: 0,
    startedAt: '2026-01-01T00:00:10Z',
    ...(init ? { finishedAt: '2026-01-01T00:00:10Z', exitCode: 0 } : {}),
    ...extra,
  };
}

function pod(name: string, inits: string[], phase = 'Running'): PodLike {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      annotations: {
        'restore-hooks.dev/exec-hooks': JSON.stringify({
          restore: 'velero/r',
          hooks: { 'exec/app/0-x': { result: 'Succeeded' } },
        }),
      },
      ...(name.startsWith('db-')
        ? { ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] }
        : {}),
    },
    spec: {
      initContainers: inits.map((n) =>
        n === HOOK.name ? { name: n, image: HOOK.image, command: HOOK.command } : { name: n, image: 'x' },
      ),
      containers: [{ name: 'app' }],
    },
    status: { phase, containerStatuses: [{ name: 'app', ready: phase === 'Running' }] },
  };
}

function write(verb: string, resource: string, namespace: string, name: string): WriteRecord {
  return { seq: ++seq, time: '', user: 'sa', verb, resource, subresource: '', namespace, name, code: 200 };
}

function good(): FinalState {
  return {
    pods: [pod('db-0', [HOOK.name]), pod('solo', [HOOK.name])],
    workloads: [
      {
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'ns', uid: 'w' },
        spec: {
          template: {
            spec: { initContainers: [{ name: HOOK.name, image: HOOK.image, command: HOOK.command }] },
          },
        },
      },
    ],
    restore: {
      status: {
        conditions: ['HooksValid', 'InitHooksApplied', 'ExecHooksCompleted'].map((type) => ({
          type,
          status: 'True',
        })),
        hookStatus: { hooksAttempted: 4, hooksFailed: 0 },
      },
    },
    execHistory: [
      { namespace: 'ns', pod: 'db-0', container: 'app', command: EXEC.command, exitCode: 0 },
      { namespace: 'ns', pod: 'solo', container: 'app', command: EXEC.command, exitCode: 0 },
    ],
    runs: [
      run('db-0', 'uid-db-0', HOOK.name, true),
      run('db-0', 'uid-db-0', 'app', false),
      run('solo', 'uid-solo', HOOK.name, true),
      run('solo', 'uid-solo', 'app', false),
    ],
    writes: [
      write('patch', 'statefulsets.apps', 'ns', 'db'),
      write('delete', 'pods', 'ns', 'solo'),
      write('create', 'pods', 'ns', ''),
      write('create', 'configmaps', 'restore-hooks', 'restore-hooks-replacement-uid-solo'),
      write('update', 'leases.coordination.k8s.io', 'restore-hooks', 'restore-hooks'),
      write('create', 'events', 'ns', ''),
      write('patch', 'restores.velero.io', 'velero', 'r'),
    ],
  };
}

describe('chaos invariants', () => {
  it('a correct final state passes every check', () => {
    const state = good();
    expect(checkInitHooksRanOnce(state, e)).to.deep.equal([]);
    expect(checkNoDuplicateHooks(state, e)).to.deep.equal([]);
    expect(checkWritesStayInRestore(state, e)).to.deep.equal([]);
    expect(checkDecoysUntouched(new Map([['Pod/ns/decoy-pod', 'uid-decoy']]), e)).to.deep.equal([]);
    expect(checkRestoreStatus(state, e)).to.deep.equal([]);
    expect(checkExecHooks(state, e)).to.deep.equal([]);
    expect(unconverged(state, e)).to.deep.equal([]);
  });

  describe('exec hooks ran, were recorded, and repeated at most once per leader SIGKILL', () => {
    const run = { namespace: 'ns', pod: 'solo', container: 'app', command: EXEC.command, exitCode: 0 };
    const recorded = (hooks: Record<string, unknown>): FinalState => {
      const s = good();
      const solo = s.pods[1]!;
      const pods = [
        s.pods[0]!,
        {
          ...solo,
          metadata: {
            ...solo.metadata,
            annotations: { 'restore-hooks.dev/exec-hooks': JSON.stringify({ hooks }) },
          },
        },
      ];
      return { ...s, pods };
    };
    const cases: [string, FinalState, RegExp][] = [
      [
        'a hook never ran',
        { ...good(), execHistory: good().execHistory.slice(0, 1) },
        /pod ns\/solo: exec hook \["echo","x"\] never ran/,
      ],
      [
        'a hook ran more than once plus one per leader kill',
        { ...good(), execHistory: [...good().execHistory, run, run] },
        /pod ns\/solo: exec hook ran 3 times, more than once plus one per leader SIGKILL \(1\)/,
      ],
      [
        'an exec ran in a decoy',
        { ...good(), execHistory: [...good().execHistory, { ...run, pod: 'decoy-pod' }] },
        /ran in ns\/decoy-pod, outside the restore/,
      ],
      [
        'a hook failed',
        recorded({ 'exec/app/0-x': { result: 'Failed', reason: 'NonZeroExit' } }),
        /exec hook exec\/app\/0-x is Failed \(NonZeroExit\)/,
      ],
      ['no outcome was recorded', recorded({}), /0 exec hook outcome\(s\) recorded, expected 1/],
    ];
    for (const [title, state, violation] of cases)
      it(`fails when ${title}`, () => expect(checkExecHooks(state, e).join('\n')).to.match(violation));
    it('is not converged while an exec outcome is missing', () =>
      expect(unconverged(recorded({}), e)).to.deep.equal(['Pod/ns/solo: 0/1 running with hooks, 1 pods']));
  });

  it('fails when hookStatus does not count what ran', () => {
    const state = good();
    const restore = {
      status: { ...state.restore.status, hookStatus: { hooksAttempted: 3, hooksFailed: 1 } },
    };
    expect(checkRestoreStatus({ ...state, restore }, e)).to.deep.equal([
      'Restore status.hookStatus.hooksAttempted is 3, expected 4 (2 init hook runs + 2 exec hooks)',
      'Restore status.hookStatus.hooksFailed is 1, expected 0',
    ]);
  });

  it('maps pods to the owner they belong to', () => {
    expect(slotOf({ owner: 'ReplicaSet/web-5d8f7c', pod: 'web-5d8f7c-x', namespace: 'n' })).to.equal(
      'Deployment/n/web',
    );
    expect(slotOf({ owner: 'StatefulSet/db', pod: 'db-0', namespace: 'n' })).to.equal('StatefulSet/n/db');
    expect(slotOf({ owner: '', pod: 'solo', namespace: 'n' })).to.equal('Pod/n/solo');
  });

  describe('init hooks ran exactly once, before the application containers', () => {
    const cases: [string, (s: FinalState) => FinalState, RegExp][] = [
      [
        'a pod started without its hook',
        (s) => ({ ...s, runs: s.runs.filter((r) => !(r.pod === 'solo' && r.init)) }),
        /pod ns\/solo .* without running init hook hook-a/,
      ],
      [
        'a hook ran twice in one pod',
        (s) => ({ ...s, runs: [...s.runs, run('solo', 'uid-solo', HOOK.name, true, { restartCount: 1 })] }),
        /ran init hook hook-a 2 times/,
      ],
      [
        'a hook failed',
        (s) => ({ ...s, runs: s.runs.map((r) => (r.pod === 'solo' && r.init ? { ...r, exitCode: 1 } : r)) }),
        /init hook hook-a exited with 1/,
      ],
      [
        'a hook finished after the app started',
        (s) => ({
          ...s,
          runs: s.runs.map((r) =>
            r.pod === 'solo' && r.init ? { ...r, finishedAt: '2026-01-01T00:00:11Z' } : r,
          ),
        }),
        /finished after application container app started/,
      ],
      [
        'a second pod of a 1-replica owner ran the hooks',
        (s) => ({
          ...s,
          runs: [
            ...s.runs,
            run('db-0', 'uid-other', HOOK.name, true),
            run('db-0', 'uid-other', 'app', false),
          ],
        }),
        /StatefulSet\/ns\/db: 2 pods ran the init hooks, more than its 1 replica/,
      ],
    ];
    for (const [title, breakIt, violation] of cases)
      it(`fails when ${title}`, () =>
        expect(checkInitHooksRanOnce(breakIt(good()), e).join('\n')).to.match(violation));
  });

  it('fails on a duplicate hook in a template or a pod', () => {
    const state = good();
    const twice = [
      { name: HOOK.name, image: HOOK.image, command: HOOK.command },
      { name: 'velero-restore-init-abc', image: HOOK.image, command: HOOK.command },
    ];
    const workloads: WorkloadLike[] = [
      { ...state.workloads[0]!, spec: { template: { spec: { initContainers: twice } } } },
    ];
    const pods = [{ ...state.pods[1]!, spec: { ...state.pods[1]!.spec, initContainers: twice } }];
    expect(checkNoDuplicateHooks({ ...state, workloads }, e).join('\n')).to.match(
      /StatefulSet ns\/db template carries init hook hook-a 2 times/,
    );
    expect(checkNoDuplicateHooks({ ...state, pods }, e).join('\n')).to.match(
      /pod ns\/solo carries init hook hook-a 2 times/,
    );
  });

  describe('the controller wrote only what the restore brought back', () => {
    const cases: [WriteRecord, RegExp][] = [
      [write('patch', 'deployments.apps', 'ns', 'not-restored'), /not an object of the restore/],
      [write('delete', 'pods', 'ns', 'decoy-pod'), /a pod that predates the Restore/],
      [write('delete', 'pods', 'ns', 'decoy-web-abc-1'), /a pod that predates the Restore/],
      [write('create', 'pods', 'elsewhere', ''), /outside the restored namespaces/],
      [write('create', 'events', 'kube-system', ''), /an Event outside the restore/],
      [write('patch', 'restores.velero.io', 'velero', 'other'), /only a patch of Restore velero\/r/],
      [write('update', 'configmaps', 'ns', 'x'), /not an object of the restore/],
      [write('patch', 'replicasets.apps', 'ns', 'db-123'), /not an object of the restore/],
    ];
    for (const [w, violation] of cases)
      it(`fails on ${w.verb} ${w.resource} ${w.namespace}/${w.name}`, () =>
        expect(checkWritesStayInRestore({ ...good(), writes: [w] }, e).join('\n')).to.match(violation));

    it('accepts a patch of a restored Deployment’s ReplicaSet, not of another Deployment’s', () => {
      const withDeployment = {
        ...e,
        workloads: [
          ...e.workloads,
          { kind: 'Deployment' as const, namespace: 'ns', name: 'web', replicas: 1 },
        ],
      };
      const rs = (name: string) => ({ ...good(), writes: [write('patch', 'replicasets.apps', 'ns', name)] });
      expect(checkWritesStayInRestore(rs('web-5d8f7c9b6'), withDeployment)).to.deep.equal([]);
      expect(checkWritesStayInRestore(rs('web-x-5d8f7c9b6'), withDeployment).join('\n')).to.match(
        /not an object of the restore/,
      );
    });
  });

  it('fails when a decoy was deleted or recreated', () => {
    expect(checkDecoysUntouched(new Map([['Pod/ns/decoy-pod', 'uid-new']]), e)).to.deep.equal([
      'decoy Pod/ns/decoy-pod: uid uid-decoy before the Restore, uid-new now',
    ]);
    expect(checkDecoysUntouched(new Map(), e)[0]).to.match(/gone now/);
  });

  it('fails when the Restore does not say the hooks were applied', () => {
    const base = good();
    const conditions = [
      { type: 'HooksValid', status: 'True' },
      { type: 'ExecHooksCompleted', status: 'True' },
    ];
    const state = { ...base, restore: { status: { ...base.restore.status, conditions } } };
    expect(checkRestoreStatus(state, e)).to.deep.equal([
      'Restore condition InitHooksApplied is missing, expected True',
    ]);
  });

  it('is not converged while an owner is short of hooked, running pods', () => {
    const state = good();
    expect(unconverged({ ...state, pods: [pod('db-0', []), state.pods[1]!] }, e)).to.deep.equal([
      'StatefulSet/ns/db: 0/1 running with hooks, 1 pods',
    ]);
    expect(
      unconverged({ ...state, pods: [state.pods[0]!, pod('solo', [HOOK.name], 'Pending')] }, e),
    ).to.deep.equal(['Pod/ns/solo: 0/1 running with hooks, 1 pods']);
  });
  describe('the controller serving its webhooks writes only its configuration and its Secret', () => {
    const served = { ...e, webhook: { configurationName: 'restore-hooks', secretName: 'cert' } };
    const mwc = 'mutatingwebhookconfigurations.admissionregistration.k8s.io';
    it('accepts updates of its own configuration and Secret, and creating a Secret in its namespace', () =>
      expect(
        checkWritesStayInRestore(
          {
            ...good(),
            writes: [
              write('update', mwc, '', 'restore-hooks'),
              write('create', 'secrets', 'restore-hooks', ''),
              write('update', 'secrets', 'restore-hooks', 'cert'),
            ],
          },
          served,
        ),
      ).to.deep.equal([]));
    const cases: [WriteRecord, RegExp][] = [
      [write('update', mwc, '', 'someone-else'), /only its own webhook configuration restore-hooks/],
      [write('delete', mwc, '', 'restore-hooks'), /only its own webhook configuration restore-hooks/],
      [write('update', 'secrets', 'restore-hooks', 'other'), /only its serving-certificate Secret cert/],
      [write('delete', 'secrets', 'restore-hooks', 'cert'), /only its serving-certificate Secret cert/],
      [write('update', 'secrets', 'ns', 'cert'), /not an object of the restore/],
    ];
    for (const [w, violation] of cases)
      it(`fails on ${w.verb} ${w.resource} ${w.namespace}/${w.name}`, () =>
        expect(checkWritesStayInRestore({ ...good(), writes: [w] }, served).join('\n')).to.match(violation));
    it('does not accept them from a controller that serves no webhooks', () =>
      expect(
        checkWritesStayInRestore({ ...good(), writes: [write('update', mwc, '', 'restore-hooks')] }, e).join(
          '\n',
        ),
      ).to.match(/outside the restored namespaces/));
  });

  describe('every admission bypass is reported', () => {
    const withDeployment: Expectations = {
      ...e,
      workloads: [...e.workloads, { kind: 'Deployment', namespace: 'ns', name: 'web', replicas: 2 }],
    };
    let n = 0;
    const failOpen = (extra: Partial<FailOpenRecord>): FailOpenRecord => ({
      seq: ++n,
      time: '',
      webhook: 'pods.restore-hooks.dev',
      operation: 'CREATE',
      resource: 'pods',
      namespace: 'ns',
      name: '',
      user: 'system:serviceaccount:kube-system:replicaset-controller',
      reason: 'failed to call webhook: context deadline exceeded',
      ...extra,
    });
    const podOfDeployment = failOpen({ generateName: 'web-5d8f7c0001-', owner: 'ReplicaSet/web-5d8f7c0001' });
    const podOfStatefulSet = failOpen({ name: 'db-0', owner: 'StatefulSet/db' });
    const deploymentUnmarked = failOpen({
      webhook: 'workloads.restore-hooks.dev',
      resource: 'deployments.apps',
      name: 'web',
      user: 'system:serviceaccount:velero:velero',
    });
    const replicaSetUnmarked = failOpen({
      webhook: 'workloads.restore-hooks.dev',
      resource: 'replicasets.apps',
      name: 'web-5d8f7c0001',
    });
    it('maps each forgiven call to the restored owner it bypassed', () =>
      expect([
        ...bypassedOwners(
          [podOfDeployment, podOfStatefulSet, deploymentUnmarked, replicaSetUnmarked],
          withDeployment,
        ),
      ]).to.deep.equal(['Deployment/ns/web', 'StatefulSet/ns/db']));
    it('passes when each bypassed owner has an Event, or a log line when the Event was lost', () =>
      expect(
        checkBypassesReported(
          [podOfDeployment, podOfStatefulSet, deploymentUnmarked],
          new Set(['Deployment/ns/web']),
          new Set(['StatefulSet/ns/db']),
          withDeployment,
        ),
      ).to.deep.equal([]));
    it('fails for a bypassed owner nobody reported, naming the webhook and the reason', () =>
      expect(
        checkBypassesReported([podOfStatefulSet, podOfStatefulSet], new Set(), new Set(), withDeployment),
      ).to.deep.equal([
        'StatefulSet/ns/db: 2 admission call(s) failed open (pods.restore-hooks.dev on pods; e.g. failed to call webhook: context deadline exceeded) but no AdmissionBypassed report names it',
      ]));
    it('fails for a restored workload whose template took the fallback unreported, from the objects alone', () => {
      const state = good();
      expect(checkTemplatePathReported(state, new Set(['StatefulSet/ns/db']), new Set(), e)).to.deep.equal(
        [],
      );
      expect(checkTemplatePathReported(state, new Set(), new Set(['StatefulSet/ns/db']), e)).to.deep.equal(
        [],
      );
      expect(checkTemplatePathReported(state, new Set(), new Set(), e)).to.deep.equal([
        "StatefulSet/ns/db: its pod template carries the hooks (the reconcilers' fallback) but no AdmissionBypassed report names it",
      ]);
      const admitted = {
        ...state,
        workloads: state.workloads.map((w) => ({ ...w, spec: { template: { spec: {} } } })),
      };
      expect(checkTemplatePathReported(admitted, new Set(), new Set(), e)).to.deep.equal([]);
    });
    it('leaves out calls outside the restore: other namespaces, decoys, other owners, bare pods', () =>
      expect(
        checkBypassesReported(
          [
            failOpen({ namespace: 'elsewhere', owner: 'StatefulSet/db' }),
            failOpen({ owner: 'ReplicaSet/decoy-web-5d8f7c0001' }),
            failOpen({ name: 'solo-replacement' }),
            failOpen({
              webhook: 'workloads.restore-hooks.dev',
              resource: 'deployments.apps',
              name: 'forged',
            }),
          ],
          new Set(),
          new Set(),
          withDeployment,
        ),
      ).to.deep.equal([]));
  });
});
