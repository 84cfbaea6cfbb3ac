import { expect } from 'chai';
import fc from 'fast-check';
import { CacheInterner } from '../../src/controller/cache-interner.ts';
import { cachedPod } from '../../src/controller/cache-transforms.ts';
import type { Pod } from '../../src/kube/types.ts';

/** Parsed afresh each call, as each informer parses its own copy of a watch event. */
const parsed = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function pendingPod(name: string, uid: string, resourceVersion: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid,
      resourceVersion,
      creationTimestamp: '2026-11-25T03:00:00Z',
      labels: { app: 'web', 'pod-template-hash': '7d' },
      annotations: { 'example.com/hooks': '{"restore":"velero/r1"}' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d', uid: 'rs1', controller: true },
      ],
    },
    spec: {
      initContainers: [
        {
          name: 'restore-hook',
          image: 'alpine:3.20',
          command: ['sh', '-c', 'echo restored'],
          // The service-account token's volume has a random name per pod.
          volumeMounts: [
            { name: `kube-api-access-${uid}`, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
          ],
        },
      ],
      containers: [{ name: 'app', image: 'nginx:1.27' }],
      volumes: [{ name: 'data', emptyDir: {} }, { name: `kube-api-access-${uid}` }],
    },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True' }],
      initContainerStatuses: [
        {
          name: 'restore-hook',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'PodInitializing' } },
        },
      ],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: '2026-11-25T03:00:01Z' } },
        },
      ],
    },
  } as Pod;
}

describe('CacheInterner', () => {
  it('returns one copy of values with the same content, and keeps different content apart', () => {
    const intern = new CacheInterner();
    const a = intern.value(parsed({ app: 'web', tier: ['front'] }));
    expect(intern.value(parsed({ app: 'web', tier: ['front'] }))).to.equal(a);
    expect(intern.value(parsed({ app: 'web', tier: ['back'] }))).to.not.equal(a);
    expect(intern.value(parsed({ app: 'api', tier: ['front'] }))).to.deep.equal({
      app: 'api',
      tier: ['front'],
    });
    expect(intern.value(undefined)).to.equal(undefined);
    expect(intern.string('shop')).to.equal('shop');
  });

  it('freezes what it shares, deeply, so that a write into one pod’s copy fails instead of changing others', () => {
    const shared = new CacheInterner().value(parsed({ labels: { app: 'web' }, list: [{ name: 'a' }] }));
    expect(
      Object.isFrozen(shared) && Object.isFrozen(shared.labels) && Object.isFrozen(shared.list[0]),
    ).to.equal(true);
    expect(() => ((shared.labels as Record<string, string>).app = 'db')).to.throw(TypeError);
  });

  it('starts over past its limit: later values are no longer shared with earlier ones, and stay correct', () => {
    const intern = new CacheInterner(2);
    const first = intern.value(parsed({ n: 1 }));
    intern.value(parsed({ n: 2 }));
    intern.value(parsed({ n: 3 }));
    expect(intern.size).to.equal(1);
    const again = intern.value(parsed({ n: 1 }));
    expect(again).to.deep.equal(first);
    expect(again).to.not.equal(first);
  });

  it('refuses a limit that is not a positive integer, naming it', () => {
    expect(() => new CacheInterner(0)).to.throw(RangeError, /limit/);
    expect(() => new CacheInterner(1.5)).to.throw(RangeError, /limit/);
  });
});

describe('cachedPod with one interner for the pod informers', () => {
  it('shares the pieces pods have in common, between pods and between the two caches of one pod', () => {
    const intern = new CacheInterner();
    const pending = cachedPod(parsed(pendingPod('web-1', 'u1', '10')), intern);
    const hooked = cachedPod(parsed(pendingPod('web-1', 'u1', '10')), intern);
    const sibling = cachedPod(parsed(pendingPod('web-2', 'u2', '11')), intern);
    const [p, h, s] = [pending, hooked, sibling];
    expect(h).to.deep.equal(p);
    for (const other of [h, s]) {
      expect(other!.metadata!.labels).to.equal(p!.metadata!.labels);
      expect(other!.metadata!.annotations).to.equal(p!.metadata!.annotations);
      expect(other!.metadata!.ownerReferences).to.equal(p!.metadata!.ownerReferences);
      expect(other!.spec!.initContainers![0]!.command).to.equal(p!.spec!.initContainers![0]!.command);
      expect(other!.status!.conditions).to.equal(p!.status!.conditions);
      expect(other!.status!.initContainerStatuses![0]).to.equal(p!.status!.initContainerStatuses![0]);
    }
    // What is the pod's own is its own, with the strings shared.
    const [mine, theirs] = [
      p!.spec!.initContainers![0]!.volumeMounts![0]!,
      s!.spec!.initContainers![0]!.volumeMounts![0]!,
    ];
    expect(theirs.name).to.equal('kube-api-access-u2');
    expect(mine.name).to.equal('kube-api-access-u1');
    expect(Object.isFrozen(mine) && Object.isFrozen(s!.spec!.volumes![1])).to.equal(true);
    // A running container's status carries its own start time: each pod keeps its own.
    expect(s!.status!.containerStatuses![0]).to.not.equal(p!.status!.containerStatuses![0]);
    expect(s!.metadata!.name).to.equal('web-2');
  });

  it('gives every pod its own content whatever the pods shared before (property)', () => {
    const label = fc.constantFrom('web', 'api', 'db');
    fc.assert(
      fc.property(fc.array(fc.tuple(label, label, fc.boolean()), { minLength: 1, maxLength: 20 }), (pods) => {
        const intern = new CacheInterner(3);
        const sources = pods.map(([app, container, waiting], i) => {
          const pod = pendingPod(`p${i}`, `u${i}`, String(i));
          pod.metadata!.labels = { app };
          pod.spec!.initContainers![0]!.name = container;
          if (!waiting) pod.status!.initContainerStatuses![0]!.state = { running: { startedAt: `t${i}` } };
          return pod;
        });
        const cached = sources.map((pod) => cachedPod(parsed(pod), intern));
        sources.forEach((pod, i) => {
          expect(cached[i]).to.deep.equal(cachedPod(parsed(pod)));
        });
      }),
    );
  });
});
