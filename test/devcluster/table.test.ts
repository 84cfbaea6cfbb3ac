import { expect } from 'chai';
import type { KubeObject } from '../../src/devcluster/api/types.ts';
import { humanDuration, negotiateTable, podSummary } from '../../src/devcluster/http/table.ts';

function pod(status: Record<string, unknown>, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...extra },
    spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }, { name: 'b' }] },
    status,
  };
}
const ok = { state: { terminated: { exitCode: 0, reason: 'Completed' } }, restartCount: 0 };
const running = (ready: boolean, restartCount = 0) => ({ state: { running: {} }, ready, restartCount });

describe('devcluster tables', () => {
  const cases: [string, KubeObject, string, string, number][] = [
    ['pending', pod({ phase: 'Pending' }), 'Pending', '0/2', 0],
    [
      'first init running',
      pod({
        phase: 'Pending',
        initContainerStatuses: [running(false), { state: { waiting: { reason: 'PodInitializing' } } }],
      }),
      'Init:0/2',
      '0/2',
      0,
    ],
    [
      'second init running',
      pod({ phase: 'Pending', initContainerStatuses: [ok, running(false)] }),
      'Init:1/2',
      '0/2',
      0,
    ],
    [
      'init failed',
      pod({
        phase: 'Pending',
        initContainerStatuses: [{ state: { terminated: { exitCode: 3 } }, restartCount: 2 }, running(false)],
      }),
      'Init:ExitCode:3',
      '0/2',
      2,
    ],
    [
      'init crash looping',
      pod({
        phase: 'Pending',
        initContainerStatuses: [{ state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 1 }],
      }),
      'Init:CrashLoopBackOff',
      '0/2',
      1,
    ],
    [
      'running',
      pod({
        phase: 'Running',
        initContainerStatuses: [ok, ok],
        containerStatuses: [running(true, 1), running(true)],
      }),
      'Running',
      '2/2',
      1,
    ],
    [
      'one waiting',
      pod({
        phase: 'Running',
        initContainerStatuses: [ok, ok],
        containerStatuses: [running(true), { state: { waiting: { reason: 'ImagePullBackOff' } } }],
      }),
      'ImagePullBackOff',
      '1/2',
      0,
    ],
    [
      'terminating',
      pod(
        { phase: 'Running', containerStatuses: [running(true), running(true)] },
        { deletionTimestamp: '2026-01-01T00:00:00Z' },
      ),
      'Terminating',
      '2/2',
      0,
    ],
  ];
  for (const [what, p, status, ready, restarts] of cases)
    it(`pod status column: ${what}`, () => {
      expect(podSummary(p)).to.deep.equal({ status, ready, restarts });
    });

  const durations: [number, string][] = [
    [0, '0s'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [3 * 86400_000 + 3600_000, '3d1h'],
    [20 * 86400_000, '20d'],
  ];
  for (const [ms, text] of durations)
    it(`AGE ${ms} ms -> ${text}`, () => expect(humanDuration(ms)).to.equal(text));

  it('serves a Table only when a Table range precedes plain JSON', () => {
    expect(
      negotiateTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).to.equal('v1');
    expect(negotiateTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).to.equal(
      'v1beta1',
    );
    expect(negotiateTable('application/json')).to.equal(undefined);
    expect(negotiateTable(undefined)).to.equal(undefined);
  });
});
