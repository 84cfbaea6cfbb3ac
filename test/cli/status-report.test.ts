import { expect } from 'chai';
import { buildStatusReport } from '../../src/cli/status/report.ts';
import type { StatusInputs } from '../../src/cli/status/report.ts';
import { formatAppliedInitHooks } from '../../src/hooks/applied-record.ts';
import type { Pod, Workload } from '../../src/kube/types.ts';
import { r2HookContainers, restoreR2 } from '../helpers/restore-fixtures.ts';

const APPLIED = formatAppliedInitHooks({
  restore: 'velero/r2',
  containers: [
    { name: 'restore-hook-init1', hash: 'a' },
    { name: 'restore-hook-init2', hash: 'b' },
  ],
});

function pod(
  name: string,
  extra: { owner?: string; annotations?: Record<string, string>; status?: Pod['status'] },
): Pod {
  const [kind, ownerName] = (extra.owner ?? '').split('/');
  return {
    metadata: {
      name,
      namespace: 'app',
      labels: { 'restore-hooks.dev/restore': 'r2' },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ...(extra.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: kind!, name: ownerName!, uid: 'u', controller: true },
            ],
          }
        : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

function workload(
  kind: string,
  name: string,
  template: { labels?: Record<string, string>; annotations?: Record<string, string> },
): Workload {
  return {
    kind,
    metadata: { name, namespace: 'app', labels: { 'velero.io/restore-name': 'r2' } },
    spec: { template: { metadata: template, spec: { containers: [{ name: 'app' }] } } },
  };
}

const inputs = (over: Partial<StatusInputs>): StatusInputs => ({
  restore: restoreR2({ phase: 'Completed' }) as unknown as StatusInputs['restore'],
  workloads: [],
  hookedReplicaSets: [],
  pods: [],
  events: [],
  ...over,
});

describe('status report (pure)', () => {
  it('tells admission (labelled template, hooked pods) from the template path', () => {
    const r = buildStatusReport(
      inputs({
        workloads: [
          workload('StatefulSet', 'db', { labels: { 'restore-hooks.dev/restore': 'r2' } }),
          workload('DaemonSet', 'agent', {
            labels: { 'restore-hooks.dev/restore': 'r2' },
            annotations: { 'restore-hooks.dev/applied-init-hooks': APPLIED },
          }),
          workload('Deployment', 'late', {}),
        ],
        pods: [
          pod('db-0', {
            owner: 'StatefulSet/db',
            annotations: { 'restore-hooks.dev/applied-init-hooks': APPLIED },
          }),
          pod('agent-x', {
            owner: 'DaemonSet/agent',
            annotations: { 'restore-hooks.dev/applied-init-hooks': APPLIED },
          }),
        ],
      }),
    );
    expect(r.workloads.map((w) => [w.name, w.coverage, w.pods])).to.deep.equal([
      ['db', 'admission', 1],
      ['agent', 'template', 1],
      ['late', 'none', 0],
    ]);
    expect(r.pods.map((p) => [p.name, p.coverage])).to.deep.equal([
      ['agent-x', 'template'],
      ['db-0', 'admission'],
    ]);
    expect(r.pending).to.include('Deployment/app/late: no hooks yet');
    expect(r.pending).to.include('Pod/app/db-0: init hook restore-hook-init1 Pending');
  });

  it('reports the pods Velero restored with the hooks it injects itself as covered by Velero, and leaves out those it restored without hooks', () => {
    const restoredByVelero = (name: string, initContainers: Pod['spec']['initContainers']): Pod => ({
      metadata: { name, namespace: 'app', labels: { 'velero.io/restore-name': 'r2' } },
      spec: {
        ...(initContainers ? { initContainers } : {}),
        containers: [{ name: 'app', image: 'nginx' }],
        volumes: ['pvc1-vm', 'pvc2-vm'].map((v) => ({ name: v, persistentVolumeClaim: { claimName: v } })),
      },
      status: {
        phase: 'Running',
        initContainerStatuses: (initContainers ?? []).map((c) =>
          st({ terminated: { exitCode: 0, reason: 'Completed' } }, undefined, c.name),
        ),
      },
    });
    const r = buildStatusReport(
      inputs({
        pods: [
          restoredByVelero('standalone', [...r2HookContainers(), { name: 'prepare', image: 'busybox' }]),
          restoredByVelero('outside', undefined),
        ],
      }),
    );
    expect(r.pods.map((p) => [p.name, p.coverage])).to.deep.equal([['standalone', 'velero']]);
    expect(r.pods[0]!.initHooks.map((h) => [h.name, h.result])).to.deep.equal([
      ['restore-hook-init1', 'Succeeded'],
      ['restore-hook-init2', 'Succeeded'],
    ]);
    expect(r.pending).to.deep.equal([]);
  });

  const initCases: [string, Pod['status'], { result: string; exitCode?: number; reason?: string }][] = [
    [
      'terminated 0',
      { initContainerStatuses: [st({ terminated: { exitCode: 0, reason: 'Completed' } })] },
      { result: 'Succeeded', exitCode: 0, reason: 'Completed' },
    ],
    [
      'terminated 3',
      { initContainerStatuses: [st({ terminated: { exitCode: 3, reason: 'Error' } })] },
      { result: 'Failed', exitCode: 3, reason: 'Error' },
    ],
    [
      'restarting after a failure',
      {
        initContainerStatuses: [
          st({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1, reason: 'Error' } }),
        ],
      },
      { result: 'Failed', exitCode: 1, reason: 'Error' },
    ],
    ['running', { initContainerStatuses: [st({ running: {} })] }, { result: 'Running' }],
    [
      'waiting',
      { initContainerStatuses: [st({ waiting: { reason: 'PodInitializing' } })] },
      { result: 'Waiting', reason: 'PodInitializing' },
    ],
    ['no status yet', {}, { result: 'Pending' }],
  ];
  for (const [name, status, expected] of initCases)
    it(`init hook result from the init container status: ${name}`, () => {
      const r = buildStatusReport(
        inputs({
          pods: [
            pod('standalone', {
              annotations: { 'restore-hooks.dev/applied-init-hooks': APPLIED },
              status: status!,
            }),
          ],
        }),
      );
      expect(r.pods[0]!.coverage).to.equal('replacement');
      expect(r.pods[0]!.initHooks[0]).to.deep.equal({ name: 'restore-hook-init1', ...expected });
    });

  it('reads exec records through the record parser, and reports a malformed one', () => {
    const record = JSON.stringify({
      restore: 'velero/r2',
      hooks: {
        'exec/app/0-abc': {
          attempts: 2,
          result: 'Retrying',
          reason: 'NonZeroExit',
          exitCode: 1,
          finishedAt: '2026-01-01T00:00:00Z',
          nextAttemptAt: '2026-01-01T00:00:02Z',
          stderr: 'boom',
        },
      },
    });
    const r = buildStatusReport(
      inputs({
        pods: [
          pod('a', { owner: 'ReplicaSet/cache', annotations: { 'restore-hooks.dev/exec-hooks': record } }),
          pod('b', { owner: 'ReplicaSet/cache', annotations: { 'restore-hooks.dev/exec-hooks': '{bad' } }),
        ],
      }),
    );
    expect(r.pods[0]!.execHooks).to.deep.equal([
      {
        id: 'exec/app/0-abc',
        container: 'app',
        result: 'Retrying',
        attempts: 2,
        exitCode: 1,
        reason: 'NonZeroExit',
        stderr: 'boom',
      },
    ]);
    expect(r.pods[0]!.coverage).to.equal('exec-only');
    expect(r.pending).to.include('Pod/app/a: exec hook exec/app/0-abc (app) Retrying');
    expect(r.pods[1]!.recordProblem).to.equal('restore-hooks.dev/exec-hooks: not JSON');
  });

  it('names the field of an invalid Restore hook and of skipped objects from Events', () => {
    const restore = restoreR2({
      hooks: { resources: [{ name: 'x', postHooks: [{ exec: { command: [] } }] }] },
    });
    const r = buildStatusReport(
      inputs({
        restore: restore as unknown as StatusInputs['restore'],
        events: [
          {
            reason: 'HookSkipped',
            message: 'spec.template: Job templates are immutable; the pod is reported, not hooked',
            involvedObject: { kind: 'Pod', namespace: 'app', name: 'migrate-1' },
          },
          {
            reason: 'HooksApplied',
            type: 'Normal',
            message: 'hooks applied',
            involvedObject: { kind: 'Restore', namespace: 'velero', name: 'r2' },
          },
        ],
      }),
    );
    const invalid = r.skipped.find((s) => s.object === 'Restore/velero/r2')!;
    expect(invalid.reason).to.equal('InvalidHook');
    expect(invalid.field).to.match(/^spec\.hooks\.resources\[0\]\.postHooks\[0\]\.exec\.command/);
    expect(r.skipped.find((s) => s.object === 'Pod/app/migrate-1')).to.deep.include({
      reason: 'HookSkipped',
      field: 'spec.template',
    });
    expect(r.restoreEvents).to.deep.equal([
      { type: 'Normal', reason: 'HooksApplied', message: 'hooks applied', count: 1 },
    ]);
  });
});

function st(
  state: NonNullable<Pod['status']>['initContainerStatuses'] extends (infer S)[] | undefined
    ? S extends { state?: infer T }
      ? T
      : never
    : never,
  lastState?: typeof state,
  name = 'restore-hook-init1',
) {
  return {
    name,
    ready: false,
    restartCount: 0,
    state,
    ...(lastState ? { lastState } : {}),
  };
}
