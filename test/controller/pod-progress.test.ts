import { expect } from 'chai';
import {
  appContainersStarted,
  hasRestoreWait,
  initContainersOutcome,
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

  describe('initContainersOutcome', () => {
    const init = (
      name: string,
      state: ContainerStatus['state'],
      lastState?: ContainerStatus['lastState'],
    ) => ({
      name,
      ready: false,
      restartCount: 0,
      ...(state ? { state } : {}),
      ...(lastState ? { lastState } : {}),
    });
    const cases: Array<[string, ContainerStatus[], 'succeeded' | 'failed' | undefined]> = [
      ['none reported', [], undefined],
      [
        'one still running',
        [init('a', { terminated: { exitCode: 0 } }), init('b', { running: {} })],
        undefined,
      ],
      [
        'all exited 0',
        [init('a', { terminated: { exitCode: 0 } }), init('b', { terminated: { exitCode: 0 } })],
        'succeeded',
      ],
      [
        'one exited 1',
        [init('a', { terminated: { exitCode: 0 } }), init('b', { terminated: { exitCode: 1 } })],
        'failed',
      ],
      [
        'crash looping after a failure',
        [
          init('a', { terminated: { exitCode: 0 } }),
          init('b', { waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 2 } }),
        ],
        'failed',
      ],
    ];
    for (const [title, statuses, want] of cases) {
      it(`${title} => ${String(want)}`, () => {
        expect(
          initContainersOutcome(pod({ phase: 'Pending', initContainerStatuses: statuses }), ['a', 'b']),
        ).to.equal(want);
      });
    }
  });
});
