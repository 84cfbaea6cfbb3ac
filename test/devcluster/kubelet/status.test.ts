import { expect } from 'chai';
import fc from 'fast-check';
import { readPodBehaviour, terminationDelaySeconds } from '../../../src/devcluster/kubelet/behaviour.ts';
import type { BehaviourProblem } from '../../../src/devcluster/kubelet/behaviour.ts';
import { imageID, normalizeImage } from '../../../src/devcluster/kubelet/images.ts';
import { kubeletPodStatus } from '../../../src/devcluster/kubelet/status.ts';
import type { ContainerStatus, PodLike } from '../../../src/devcluster/kubelet/status.ts';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const at = (seconds: number) => ({
  startedAt: T0,
  now: T0 + seconds * 1000,
  hostIP: '10.0.0.1',
  podIP: '10.244.0.5',
});
const P = 'devcluster.restore-hooks.io/';

function pod(
  annotations: Record<string, string>,
  inits: string[],
  apps: string[],
  restartPolicy = 'Always',
): PodLike {
  return {
    metadata: { name: 'p', namespace: 'app', uid: 'uid-1', annotations },
    spec: {
      restartPolicy,
      initContainers: inits.map((name) => ({ name, image: 'alpine:latest' })),
      containers: apps.map((name) => ({
        name,
        image: 'nginx:1.27',
        volumeMounts: [{ name: 'pvc1-vm', mountPath: '/data' }],
      })),
    },
  };
}

const stateOf = (s: ContainerStatus) =>
  Object.keys(s.state)[0] + ':' + JSON.stringify(Object.values(s.state)[0]);
const reasonOf = (s: ContainerStatus) => {
  const state = s.state as Record<string, { reason?: string }>;
  return 'running' in state ? 'running' : (Object.values(state)[0]!.reason ?? '');
};
const conditionsOf = (status: { conditions?: { type: string; status: string; reason?: string }[] }) =>
  Object.fromEntries(
    (status.conditions ?? []).map((c) => [c.type, c.reason ? `${c.status}/${c.reason}` : c.status]),
  );

describe('devcluster kubelet pod status (pure state machine)', () => {
  const twoInits = pod({ [`${P}init-seconds`]: '5' }, ['restore-hook-init1', 'restore-hook-init2'], ['app']);

  const timeline: [number, string, string[], string[], number | undefined][] = [
    [0, 'Pending', ['running', 'PodInitializing'], ['PodInitializing'], 5],
    [4, 'Pending', ['running', 'PodInitializing'], ['PodInitializing'], 5],
    [5, 'Pending', ['Completed', 'running'], ['PodInitializing'], 10],
    [10, 'Running', ['Completed', 'Completed'], ['running'], undefined],
  ];
  for (const [seconds, phase, inits, apps, next] of timeline) {
    it(`runs init containers one after another: at ${seconds}s phase ${phase}, init ${inits.join(',')}`, () => {
      const { status, nextChangeAt } = kubeletPodStatus(twoInits, at(seconds));
      expect(status.phase).to.equal(phase);
      expect(status.initContainerStatuses!.map(reasonOf)).to.deep.equal(inits);
      expect(status.containerStatuses!.map(reasonOf)).to.deep.equal(apps);
      expect(nextChangeAt).to.equal(next === undefined ? undefined : T0 + next * 1000);
    });
  }

  it('writes conditions in kubelet order with kubelet reasons and messages while initializing', () => {
    const { status } = kubeletPodStatus(twoInits, at(0));
    expect(status.conditions).to.deep.equal([
      {
        type: 'PodReadyToStartContainers',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: '2026-11-24T10:00:00Z',
      },
      {
        type: 'Initialized',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: '2026-11-24T10:00:00Z',
        reason: 'ContainersNotInitialized',
        message: 'containers with incomplete status: [restore-hook-init1 restore-hook-init2]',
      },
      {
        type: 'Ready',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: '2026-11-24T10:00:00Z',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [app]',
      },
      {
        type: 'ContainersReady',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: '2026-11-24T10:00:00Z',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [app]',
      },
      {
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: '2026-11-24T10:00:00Z',
      },
    ]);
  });

  it('shapes init and app container statuses like a real kubelet', () => {
    const { status } = kubeletPodStatus(twoInits, at(12));
    const [init1] = status.initContainerStatuses!;
    expect(init1).to.deep.equal({
      name: 'restore-hook-init1',
      lastState: {},
      restartCount: 0,
      image: 'docker.io/library/alpine:latest',
      imageID: imageID('alpine:latest'),
      state: {
        terminated: {
          exitCode: 0,
          reason: 'Completed',
          startedAt: '2026-11-24T10:00:00Z',
          finishedAt: '2026-11-24T10:00:05Z',
          containerID: init1!.containerID,
        },
      },
      ready: true,
      containerID: init1!.containerID,
      started: false,
    });
    expect(init1!.containerID).to.match(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(status.containerStatuses![0]).to.deep.include({
      name: 'app',
      state: { running: { startedAt: '2026-11-24T10:00:10Z' } },
      ready: true,
      started: true,
      restartCount: 0,
      image: 'docker.io/library/nginx:1.27',
      volumeMounts: [{ name: 'pvc1-vm', mountPath: '/data' }],
    });
    expect(status).to.deep.include({
      hostIP: '10.0.0.1',
      hostIPs: [{ ip: '10.0.0.1' }],
      podIP: '10.244.0.5',
      startTime: '2026-11-24T10:00:00Z',
      qosClass: 'BestEffort',
    });
    expect(conditionsOf(status)).to.deep.equal({
      PodReadyToStartContainers: 'True',
      Initialized: 'True',
      Ready: 'True',
      ContainersReady: 'True',
      PodScheduled: 'True',
    });
  });

  it('shows ContainerCreating and no pod IP before the sandbox is ready', () => {
    const { status, nextChangeAt } = kubeletPodStatus(
      pod({ [`${P}start-seconds`]: '3' }, [], ['app']),
      at(1),
    );
    expect(status.containerStatuses!.map(reasonOf)).to.deep.equal(['ContainerCreating']);
    expect(status.podIP).to.equal(undefined);
    expect(conditionsOf(status).PodReadyToStartContainers).to.equal('False');
    expect(nextChangeAt).to.equal(T0 + 3000);
  });

  const delays: [startDelayMs: number, startSeconds: string | undefined, firstStartMs: number][] = [
    [0, undefined, 0],
    [1000, undefined, 1000],
    [200, undefined, 200],
    [1000, '2', 3000],
  ];
  for (const [startDelayMs, startSeconds, firstStartMs] of delays) {
    it(`starts the first container ${firstStartMs} ms after admission (start delay ${startDelayMs} ms, start-seconds ${startSeconds ?? 'unset'})`, () => {
      const p = pod(
        startSeconds === undefined ? {} : { [`${P}start-seconds`]: startSeconds },
        ['init'],
        ['app'],
      );
      const runtime = (ms: number) => ({ ...at(0), now: T0 + ms, startDelayMs });
      if (firstStartMs > 0) {
        const before = kubeletPodStatus(p, runtime(firstStartMs - 1));
        expect(before.status.initContainerStatuses!.map(reasonOf)).to.deep.equal(['PodInitializing']);
        expect(before.nextChangeAt).to.equal(T0 + firstStartMs);
      }
      const started = kubeletPodStatus(p, runtime(firstStartMs));
      expect(started.status.initContainerStatuses!.map(reasonOf)).to.deep.equal(['Completed']);
      expect(started.status.containerStatuses!.map(reasonOf)).to.deep.equal(['running']);
      expect(started.status.startTime).to.equal('2026-11-24T10:00:00Z');
    });
  }

  const terminations: [annotations: Record<string, string>, grace: number | undefined, seconds: number][] = [
    [{}, undefined, 0],
    [{ [`${P}termination-seconds`]: '5' }, undefined, 5],
    [{ [`${P}termination-seconds`]: '5' }, 2, 2],
    [{ [`${P}termination-seconds`]: '60' }, undefined, 30],
    [{ [`${P}termination-seconds`]: 'later' }, 10, 0],
  ];
  for (const [annotations, grace, seconds] of terminations) {
    it(`stops a deleted pod's containers after ${seconds}s (${JSON.stringify(annotations)}, grace ${grace ?? 'unset'})`, () => {
      expect(terminationDelaySeconds(annotations, grace)).to.equal(seconds);
    });
  }

  it('crash-loops with the doubling back-off, counting restarts', () => {
    const p = pod({ [`${P}crash-loop.app`]: 'true' }, [], ['app']);
    const first = kubeletPodStatus(p, at(0));
    const app = first.status.containerStatuses![0]!;
    expect(first.status.phase).to.equal('Running');
    expect(app.restartCount).to.equal(1);
    expect(app.state).to.deep.equal({
      waiting: {
        reason: 'CrashLoopBackOff',
        message: 'back-off 10s restarting failed container=app pod=p_app(uid-1)',
      },
    });
    expect(stateOf({ ...app, state: app.lastState as ContainerStatus['state'] })).to.contain(
      '"exitCode":1,"reason":"Error"',
    );
    expect(first.nextChangeAt).to.equal(T0 + 10_000);
    const later = kubeletPodStatus(p, at(10));
    expect(later.status.containerStatuses![0]!.restartCount).to.equal(2);
    expect(later.nextChangeAt).to.equal(T0 + 30_000);
    const capped = kubeletPodStatus(p, at(3600)).status.containerStatuses![0]!.state;
    expect(capped).to.have.nested.property('waiting.message').that.contains('back-off 300s');
  });

  it('keeps a never-ready container running but not Ready', () => {
    const { status } = kubeletPodStatus(pod({ [`${P}never-ready`]: 'true' }, [], ['app', 'side']), at(60));
    expect(status.phase).to.equal('Running');
    expect(status.containerStatuses!.map((c) => c.ready)).to.deep.equal([false, false]);
    expect(status.conditions!.find((c) => c.type === 'Ready')).to.deep.include({
      status: 'False',
      message: 'containers with unready status: [app side]',
    });
  });

  it('becomes Ready after ready-after-seconds', () => {
    const p = pod({ [`${P}ready-after-seconds.app`]: '4' }, [], ['app']);
    expect(kubeletPodStatus(p, at(1))).to.deep.include({ nextChangeAt: T0 + 4000 });
    expect(kubeletPodStatus(p, at(4)).status.containerStatuses![0]!.ready).to.equal(true);
  });

  it('reports ErrImagePull, then ImagePullBackOff, and stays Pending', () => {
    const p = pod({ [`${P}image-pull-failure.app`]: 'true' }, [], ['app']);
    const early = kubeletPodStatus(p, at(0));
    expect(early.status.phase).to.equal('Pending');
    expect(early.status.containerStatuses![0]!.state).to.have.nested.property(
      'waiting.reason',
      'ErrImagePull',
    );
    const late = kubeletPodStatus(p, at(30)).status.containerStatuses![0]!;
    expect(late.state).to.deep.equal({
      waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nginx:1.27"' },
    });
    expect(late.imageID).to.equal('');
  });

  it('blocks initialization on an init container whose image cannot be pulled', () => {
    const { status } = kubeletPodStatus(
      pod({ [`${P}image-pull-failure.i1`]: 'true' }, ['i1'], ['app']),
      at(30),
    );
    expect(status.phase).to.equal('Pending');
    expect(status.initContainerStatuses!.map(reasonOf)).to.deep.equal(['ImagePullBackOff']);
    expect(status.containerStatuses!.map(reasonOf)).to.deep.equal(['PodInitializing']);
  });

  const terminalCases: [string, Record<string, string>, string, string, string][] = [
    ['Never + exit 3', { [`${P}run-seconds`]: '2', [`${P}exit-code`]: '3' }, 'Never', 'Failed', 'PodFailed'],
    ['Never + exit 0', { [`${P}run-seconds`]: '2' }, 'Never', 'Succeeded', 'PodCompleted'],
    ['OnFailure + exit 0', { [`${P}run-seconds`]: '2' }, 'OnFailure', 'Succeeded', 'PodCompleted'],
  ];
  for (const [name, annotations, policy, phase, reason] of terminalCases) {
    it(`ends ${phase} for ${name}`, () => {
      const { status, nextChangeAt } = kubeletPodStatus(pod(annotations, [], ['app'], policy), at(2));
      expect(status.phase).to.equal(phase);
      expect(conditionsOf(status).Ready).to.equal(`False/${reason}`);
      expect(nextChangeAt).to.equal(undefined);
    });
  }

  it('restarts a failing container under OnFailure and keeps the pod Running', () => {
    const p = pod({ [`${P}run-seconds`]: '1', [`${P}exit-code`]: '2' }, [], ['app'], 'OnFailure');
    expect(kubeletPodStatus(p, at(5)).status.phase).to.equal('Running');
  });

  it('fails the pod when an init container fails under restartPolicy Never', () => {
    const p = pod({ [`${P}exit-code.i1`]: '1' }, ['i1', 'i2'], ['app'], 'Never');
    const { status } = kubeletPodStatus(p, at(0));
    expect(status.phase).to.equal('Failed');
    expect(status.initContainerStatuses!.map(reasonOf)).to.deep.equal(['Error', 'PodInitializing']);
  });

  it('crash-loops a failing init container under restartPolicy Always (Init:CrashLoopBackOff)', () => {
    const p = pod({ [`${P}exit-code.i1`]: '1' }, ['i1'], ['app']);
    const { status } = kubeletPodStatus(p, at(1));
    expect(status.phase).to.equal('Pending');
    expect(status.initContainerStatuses!.map(reasonOf)).to.deep.equal(['CrashLoopBackOff']);
  });

  it('keeps lastTransitionTime for conditions whose status did not change', () => {
    const first = kubeletPodStatus(twoInits, at(0)).status;
    const later = kubeletPodStatus({ ...twoInits, status: first }, at(5)).status;
    const byType = Object.fromEntries(later.conditions!.map((c) => [c.type, c.lastTransitionTime]));
    expect(byType.Initialized).to.equal('2026-11-24T10:00:00Z');
    const ready = kubeletPodStatus({ ...twoInits, status: later }, at(10)).status;
    expect(ready.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime).to.equal(
      '2026-11-24T10:00:10Z',
    );
  });

  it('derives the QoS class from requests and limits', () => {
    const p = pod({}, [], ['app']);
    p.spec!.containers![0]!.resources = { requests: { cpu: '1' } };
    expect(kubeletPodStatus(p, at(0)).status.qosClass).to.equal('Burstable');
    p.spec!.containers![0]!.resources = {
      limits: { cpu: '1', memory: '1Gi' },
      requests: { cpu: '1', memory: '1Gi' },
    };
    expect(kubeletPodStatus(p, at(0)).status.qosClass).to.equal('Guaranteed');
  });

  const images: [string, string][] = [
    ['alpine', 'docker.io/library/alpine:latest'],
    ['alpine:3.20', 'docker.io/library/alpine:3.20'],
    ['velero/velero:v1.17.0', 'docker.io/velero/velero:v1.17.0'],
    ['quay.io/org/img', 'quay.io/org/img:latest'],
    ['localhost:5000/img:1', 'localhost:5000/img:1'],
    ['busybox@sha256:abc', 'docker.io/library/busybox@sha256:abc'],
  ];
  for (const [image, normalized] of images) {
    it(`normalizes image ${image}`, () => expect(normalizeImage(image)).to.equal(normalized));
  }

  it('reports bad behaviour annotations by key and falls back to defaults', () => {
    const problems: BehaviourProblem[] = [];
    const b = readPodBehaviour(
      { [`${P}run-seconds.app`]: 'soon', [`${P}never-ready`]: 'yes', [`${P}exit-code`]: '300' },
      [],
      ['app'],
      problems,
    );
    expect(b.app.get('app')).to.deep.include({ runSeconds: Infinity, neverReady: false, exitCode: 0 });
    expect(problems.map((p) => p.annotation)).to.deep.equal([
      `${P}run-seconds.app`,
      `${P}exit-code`,
      `${P}never-ready`,
    ]);
  });

  it('always yields a valid phase and a next change strictly in the future (property)', () => {
    const seconds = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 30 }).map(String));
    fc.assert(
      fc.property(
        fc.record({
          start: seconds,
          init: seconds,
          run: seconds,
          ready: seconds,
          exit: fc.constantFrom(undefined, '0', '1'),
        }),
        fc.constantFrom('Always', 'OnFailure', 'Never'),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 4000 }),
        (a, policy, crash, pull, now) => {
          const annotations: Record<string, string> = {};
          const set = (k: string, v: string | undefined) => v !== undefined && (annotations[P + k] = v);
          set('start-seconds', a.start);
          set('init-seconds', a.init);
          set('run-seconds', a.run);
          set('ready-after-seconds', a.ready);
          set('exit-code', a.exit);
          if (crash) annotations[`${P}crash-loop.app`] = 'true';
          if (pull) annotations[`${P}image-pull-failure.side`] = 'true';
          const { status, nextChangeAt } = kubeletPodStatus(
            pod(annotations, ['i1'], ['app', 'side'], policy),
            at(now),
          );
          expect(['Pending', 'Running', 'Succeeded', 'Failed']).to.include(status.phase);
          if (nextChangeAt !== undefined) expect(nextChangeAt).to.be.greaterThan(T0 + now * 1000);
          expect(status.conditions!.map((c) => c.type)).to.deep.equal([
            'PodReadyToStartContainers',
            'Initialized',
            'Ready',
            'ContainersReady',
            'PodScheduled',
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
