import { expect } from 'chai';
import { buildStatusReport } from '../../src/cli/status/report.ts';
import fc from 'fast-check';
import { LAST_APPLIED_ANNOTATION, cachedPod, cachedWorkload } from '../../src/controller/cache-transforms.ts';
import { podFacts as execPodFacts } from '../../src/controller/exec-hooks/exec-plan.ts';
import { podFacts as initPodFacts } from '../../src/controller/init-hooks/pod-facts.ts';
import { createdDuringRestore } from '../../src/controller/membership.ts';
import {
  appContainersStarted,
  hasRestoreWait,
  holdsPodLocalRestoredData,
  isStillPending,
} from '../../src/controller/pod-progress.ts';
import { podHookCounts } from '../../src/controller/restores/hook-outcomes.ts';
import { EXEC_COMMAND, INIT_COMMAND, INIT_CONTAINER_IMAGE } from '../../src/hooks/annotations.ts';
import { planHooks } from '../../src/hooks/plan.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../src/hooks/validate.ts';
import { controllerOf } from '../../src/kube/owners.ts';
import type { Pod, Workload } from '../../src/kube/types.ts';
import { r2HookContainers, restoreR2 } from '../helpers/restore-fixtures.ts';

/** A pending pod as an API server sends it, with much the controller never reads. */
function fullPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      generateName: 'web-',
      namespace: 'app',
      uid: 'u1',
      resourceVersion: '42',
      creationTimestamp: '2026-11-24T10:00:00Z',
      labels: { app: 'web', 'velero.io/restore-name': 'r2' },
      annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', 'example.com/note': 'kept' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d', uid: 'rs1', controller: true },
      ],
      managedFields: [
        { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': {} } },
      ],
    },
    spec: {
      initContainers: [
        {
          name: 'restore-wait',
          image: 'velero/restore-helper',
          volumeMounts: [{ name: 'data', mountPath: '/d' }],
        },
      ],
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          env: [{ name: 'MODE', value: 'prod' }],
          resources: { requests: { cpu: '100m' } },
          readinessProbe: { httpGet: { path: '/', port: 80 } },
        },
      ],
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'config', configMap: { name: 'web-config', items: [{ key: 'a', path: 'a' }] } },
      ],
      nodeName: 'node-1',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
    },
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', lastTransitionTime: 'x' },
      ],
      hostIP: '10.0.0.1',
      startTime: '2026-11-24T10:00:01Z',
      initContainerStatuses: [
        {
          name: 'restore-wait',
          ready: false,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: '2026-11-24T10:00:02Z' } },
          image: 'velero/restore-helper',
          imageID: 'sha256:1',
          containerID: 'containerd://1',
        },
      ],
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 0,
          started: false,
          state: { waiting: { reason: 'PodInitializing' } },
          image: 'nginx:1.27',
          imageID: '',
        },
      ],
      qosClass: 'Burstable',
    },
  };
}

describe('cachedPod (what the pod informers keep of a pod)', () => {
  it('keeps the fields the controller reads, and nothing else', () => {
    expect(cachedPod(fullPod())).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-1',
        namespace: 'app',
        uid: 'u1',
        resourceVersion: '42',
        creationTimestamp: '2026-11-24T10:00:00Z',
        labels: { app: 'web', 'velero.io/restore-name': 'r2' },
        annotations: { 'example.com/note': 'kept' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d', uid: 'rs1', controller: true },
        ],
      },
      spec: {
        initContainers: [
          {
            name: 'restore-wait',
            image: 'velero/restore-helper',
            volumeMounts: [{ name: 'data', mountPath: '/d' }],
          },
        ],
        containers: [{ name: 'app' }],
        volumes: [{ name: 'data', emptyDir: {} }, { name: 'config' }],
      },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Initialized', status: 'False' }],
        initContainerStatuses: [
          {
            name: 'restore-wait',
            ready: false,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: '2026-11-24T10:00:02Z' } },
          },
        ],
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 0,
            started: false,
            state: { waiting: { reason: 'PodInitializing' } },
          },
        ],
      },
    });
  });

  it('leaves the object it was given unchanged', () => {
    const pod = fullPod();
    cachedPod(pod);
    expect(pod).to.deep.equal(fullPod());
  });

  it('passes an object without metadata or spec through as it is', () => {
    const odd = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } } as unknown as Pod;
    expect(cachedPod(odd)).to.equal(odd);
  });
});

// Every reader of a cached pod, each as the controller calls it: on any pod, a cached pod must give the same answers.
const restoreStart = '2026-11-24T10:00:00Z';
const specHookSpec = {
  resources: [
    {
      name: 'both',
      includedNamespaces: ['app'],
      postHooks: [
        { init: { initContainers: r2HookContainers() } },
        { exec: { container: 'sidecar', command: ['/bin/sh', '-c', 'echo'] } },
        { exec: { command: ['true'] } },
      ],
    },
  ],
};
const specHooks = parseRestoreHooks(
  {
    ...restoreR2({ hooks: specHookSpec }),
    metadata: { name: 'r2', namespace: 'velero', uid: 'r2-uid' },
  },
  DEFAULT_HOOK_POLICY,
);

const containerState = fc.oneof(
  fc.constant(undefined),
  fc.record({ waiting: fc.record({ reason: fc.constantFrom('ContainerCreating', 'PodInitializing') }) }),
  fc.record({ running: fc.record({ startedAt: fc.constant('2026-11-24T10:00:05Z') }) }),
  fc.record({
    terminated: fc.record({
      exitCode: fc.integer({ min: 0, max: 2 }),
      reason: fc.constantFrom('Completed', 'Error'),
    }),
  }),
);
const containerStatus = (names: readonly string[]) =>
  fc.record(
    {
      name: fc.constantFrom(...names),
      ready: fc.boolean(),
      restartCount: fc.nat(2),
      started: fc.boolean(),
      state: containerState,
      lastState: containerState,
      image: fc.constant('registry/image:1'),
      containerID: fc.constant('containerd://abc'),
    },
    { requiredKeys: ['name', 'ready', 'restartCount'] },
  );
const APP_CONTAINERS = ['app', 'sidecar', 'restore-hook-1'];
const INIT_NAMES = ['restore-wait', 'restore-hook-1', 'restore-hook-2', 'own-init'];
const VOLUMES = ['pvc1-vm', 'pvc2-vm', 'data', 'cache'];
const anyPod: fc.Arbitrary<Pod> = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constant('Pod'),
  metadata: fc.record(
    {
      name: fc.constantFrom('db-0', 'web-1', 'solo'),
      namespace: fc.constantFrom('app', 'other'),
      uid: fc.uuid(),
      resourceVersion: fc.nat().map(String),
      creationTimestamp: fc.constantFrom('2026-11-24T09:59:59Z', restoreStart, '2026-11-24T10:00:09Z'),
      deletionTimestamp: fc.constant('2026-11-24T10:01:00Z'),
      labels: fc.dictionary(
        fc.constantFrom('app', 'velero.io/restore-name', 'restore-hooks.dev/restore', 'tier'),
        fc.constantFrom('r2', 'web'),
      ),
      annotations: fc.dictionary(
        fc.constantFrom(INIT_CONTAINER_IMAGE, INIT_COMMAND, EXEC_COMMAND, LAST_APPLIED_ANNOTATION, 'x/y'),
        fc.constantFrom('alpine:3.20', '["/bin/sh","-c","date"]', '{}', 'v'),
      ),
      ownerReferences: fc.array(
        fc.record({
          apiVersion: fc.constant('apps/v1'),
          kind: fc.constantFrom('ReplicaSet', 'StatefulSet', 'Job'),
          name: fc.constant('owner'),
          uid: fc.constant('owner-uid'),
          controller: fc.boolean(),
        }),
        { maxLength: 2 },
      ),
      managedFields: fc.constant([{ manager: 'm', operation: 'Update' }]),
    },
    { requiredKeys: ['name', 'namespace', 'uid'] },
  ),
  spec: fc.record(
    {
      containers: fc.uniqueArray(
        fc.record({
          name: fc.constantFrom(...APP_CONTAINERS),
          image: fc.constant('nginx'),
          env: fc.constant([{ name: 'A', value: 'b' }]),
        }),
        { minLength: 1, maxLength: 3, selector: (c) => c.name },
      ),
      initContainers: fc.uniqueArray(
        fc.oneof(
          fc.record({
            name: fc.constantFrom(...INIT_NAMES),
            image: fc.constantFrom('velero/restore-helper', 'alpine'),
            volumeMounts: fc.array(
              fc.record({ name: fc.constantFrom(...VOLUMES), mountPath: fc.constant('/m') }),
              {
                maxLength: 2,
              },
            ),
          }),
          fc.constantFrom(...r2HookContainers()),
        ),
        { maxLength: 3, selector: (c) => c.name },
      ),
      volumes: fc.uniqueArray(
        fc.oneof(
          fc.record({ name: fc.constantFrom(...VOLUMES), emptyDir: fc.constant({}) }),
          fc.record({
            name: fc.constantFrom(...VOLUMES),
            persistentVolumeClaim: fc.constant({ claimName: 'c' }),
          }),
        ),
        { maxLength: 4, selector: (v) => v.name },
      ),
      nodeName: fc.constant('node-1'),
    },
    { requiredKeys: ['containers'] },
  ),
  status: fc.record(
    {
      phase: fc.constantFrom('Pending', 'Running', 'Succeeded', 'Failed'),
      conditions: fc.array(
        fc.record({
          type: fc.constantFrom('Initialized', 'Ready', 'PodScheduled'),
          status: fc.constantFrom('True', 'False'),
          reason: fc.constant('r'),
        }),
        { maxLength: 3 },
      ),
      initContainerStatuses: fc.array(containerStatus(INIT_NAMES), { maxLength: 3 }),
      containerStatuses: fc.array(containerStatus(APP_CONTAINERS), { maxLength: 3 }),
      hostIP: fc.constant('10.0.0.1'),
    },
    { requiredKeys: [] },
  ),
}) as fc.Arbitrary<Pod>;

const template = {
  metadata: { annotations: { [INIT_CONTAINER_IMAGE]: 'alpine:3.20' } },
  spec: { containers: [{ name: 'app' }] },
};
const readers: Record<string, (pod: Pod) => unknown> = {
  isStillPending,
  appContainersStarted,
  hasRestoreWait,
  holdsPodLocalRestoredData,
  'controllerOf (owner chain)': (p) => controllerOf(p.metadata),
  createdDuringRestore: (p) => createdDuringRestore(p.metadata, restoreStart),
  'podFacts (exec hooks)': execPodFacts,
  'podHookCounts (Restore status)': (p) => podHookCounts(p, {}),
  'podFacts (workload reconciler)': (p) =>
    initPodFacts(p, template, specHooks, DEFAULT_HOOK_POLICY, restoreStart),
  'planHooks (bare pods, exec hooks, hook counts)': (p) =>
    planHooks(
      specHooks,
      {
        namespace: p.metadata.namespace ?? '',
        labels: p.metadata.labels ?? {},
        annotations: p.metadata.annotations ?? {},
        podSpec: p.spec,
      },
      { policy: DEFAULT_HOOK_POLICY },
    ),
  // restore-hooks status reads pods through cachedPod too (src/cli/status/collect.ts).
  'buildStatusReport (restore-hooks status)': (p) =>
    buildStatusReport({
      restore: { ...restoreR2({ hooks: specHookSpec }), metadata: { name: 'r2', namespace: 'velero' } },
      workloads: [],
      hookedReplicaSets: [],
      pods: [p],
      events: [],
    }),
  'the restore label, annotations and deletion': (p) => [
    p.metadata.labels,
    { ...p.metadata.annotations, [LAST_APPLIED_ANNOTATION]: undefined },
    p.metadata.deletionTimestamp,
    p.metadata.resourceVersion,
  ],
};

describe('cachedPod keeps what every reader of the pod caches uses (property)', () => {
  for (const [name, read] of Object.entries(readers)) {
    it(`${name} answers the same on the cached pod`, () => {
      fc.assert(
        fc.property(anyPod, (pod) => {
          expect(read(cachedPod(pod))).to.deep.equal(read(pod));
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('cachedWorkload (what the workload informers keep)', () => {
  const workload = (): Workload => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'app',
      annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', 'deployment.kubernetes.io/revision': '2' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
    },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    },
  });

  it('drops managedFields and kubectl’s last-applied copy, and keeps everything else', () => {
    const { managedFields: _m, ...metadata } = workload().metadata;
    expect(cachedWorkload(workload())).to.deep.equal({
      ...workload(),
      metadata: { ...metadata, annotations: { 'deployment.kubernetes.io/revision': '2' } },
    });
  });

  it('returns the object itself when there is nothing to drop', () => {
    const bare = { ...workload(), metadata: { name: 'web', namespace: 'app', annotations: { a: 'b' } } };
    expect(cachedWorkload(bare)).to.equal(bare);
  });
});
