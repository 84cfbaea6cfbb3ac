import { expect } from 'chai';
import {
  appContainersStarted,
  hasRestoreWait,
  holdsPodLocalRestoredData,
  isStillPending,
} from '../../src/controller/pod-progress.ts';
import type { ContainerStatus, Pod, PodStatus } from '../../src/kube/types.ts';

function pod(status: PodStatus | undefined, deleting = false): Pod {
  return {
    metadata: {
      name: 'p',
      namespace: 'app',
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
    ...(status ? { status } : {}),
  };
}

const waiting: ContainerStatus = {
  name: 'app',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason: 'PodInitializing' } },
};
const running: ContainerStatus = {
  name: 'app',
  ready: true,
  started: true,
  restartCount: 0,
  state: { running: {} },
};

describe('pod progress', () => {
  const pending: Array<[string, Pod, boolean]> = [
    ['no status at all (just created)', pod(undefined), true],
    ['Pending with no container statuses', pod({ phase: 'Pending' }), true],
    ['Pending with app containers waiting', pod({ phase: 'Pending', containerStatuses: [waiting] }), true],
    ['Pending but being deleted', pod({ phase: 'Pending' }, true), false],
    ['Running', pod({ phase: 'Running', containerStatuses: [running] }), false],
    ['Succeeded', pod({ phase: 'Succeeded' }), false],
    [
      'Pending after an app container ran once (restartCount)',
      pod({ phase: 'Pending', containerStatuses: [{ ...waiting, restartCount: 1 }] }),
      false,
    ],
    [
      'Pending with an app container that terminated',
      pod({ phase: 'Pending', containerStatuses: [{ ...waiting, state: { terminated: { exitCode: 1 } } }] }),
      false,
    ],
    [
      'Pending with lastState running',
      pod({ phase: 'Pending', containerStatuses: [{ ...waiting, lastState: { running: {} } }] }),
      false,
    ],
    [
      'Pending with started=true',
      pod({ phase: 'Pending', containerStatuses: [{ ...waiting, started: true }] }),
      false,
    ],
  ];
  for (const [title, p, want] of pending) {
    it(`isStillPending: ${title} => ${want}`, () => expect(isStillPending(p)).to.equal(want));
  }

  it('ignores init container statuses when deciding whether app containers started', () => {
    const p = pod({
      phase: 'Pending',
      initContainerStatuses: [{ name: 'init', ready: false, restartCount: 3, state: { running: {} } }],
      containerStatuses: [waiting],
    });
    expect(appContainersStarted(p)).to.equal(false);
  });

  it('detects restore-wait', () => {
    expect(hasRestoreWait({ spec: { containers: [], initContainers: [{ name: 'restore-wait' }] } })).to.equal(
      true,
    );
    expect(hasRestoreWait({ spec: { containers: [{ name: 'restore-wait' }] } })).to.equal(false);
  });
});

describe('holdsPodLocalRestoredData: file-system-restored data that lives only in the pod', () => {
  const restoreWait = (mounts: string[]) => ({
    name: 'restore-wait',
    image: 'velero/velero-restore-helper',
    volumeMounts: mounts.map((name) => ({ name, mountPath: `/restores/${name}` })),
  });
  const volumes = [
    { name: 'scratch', emptyDir: {} },
    { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
  ];
  const cases: [string, Pod['spec'], boolean][] = [
    [
      'restore-wait into an emptyDir',
      { containers: [], volumes, initContainers: [restoreWait(['scratch'])] },
      true,
    ],
    [
      'restore-wait into a PVC only',
      { containers: [], volumes, initContainers: [restoreWait(['data'])] },
      false,
    ],
    ['an emptyDir but no restore-wait', { containers: [], volumes, initContainers: [] }, false],
    [
      'another init container mounting the emptyDir',
      { containers: [], volumes, initContainers: [{ ...restoreWait(['scratch']), name: 'setup' }] },
      false,
    ],
  ];
  for (const [name, spec, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      expect(holdsPodLocalRestoredData({ spec })).to.equal(expected);
    });
  }
});
