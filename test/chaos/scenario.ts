/**
 * The chaos scenario: a Velero backup of several hundred pods (Deployments with and without their restored
 * ReplicaSets and pods, StatefulSets with RollingUpdate and OnDelete, DaemonSets, bare pods), a Restore whose
 * spec.hooks covers one namespace while annotations carry the hooks in the other, and decoys the controller must
 * never write: objects in a namespace outside the restore, and objects in the restored namespaces that existed
 * before the Restore started (one of them labelled as `existingResourcePolicy=update` leaves it).
 *
 * Every pod waits some seconds for its sandbox (as restored pods wait for their volumes), so the controller has
 * time to act before application containers start.
 */

export const RESTORE_NAME = 'chaos';
export const BACKUP_NAME = 'chaos-backup';
export const VELERO_NAMESPACE = 'velero';
export const SPEC_NAMESPACE = 'chaos-spec';
export const ANNOTATION_NAMESPACE = 'chaos-annot';
export const DECOY_NAMESPACE = 'chaos-decoy';
export const RESTORED_NAMESPACES = [SPEC_NAMESPACE, ANNOTATION_NAMESPACE] as const;
export const NODE_COUNT = 3;

export interface HookExpectation {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
}

const SPEC_HOOKS: readonly HookExpectation[] = [
  { name: 'hook-spec-a', image: 'busybox:1.36', command: ['/bin/sh', '-c', 'echo spec-a'] },
  { name: 'hook-spec-b', image: 'busybox:1.36', command: ['/bin/sh', '-c', 'echo spec-b'] },
];
const ANNOTATION_HOOK: HookExpectation = {
  name: 'hook-annot',
  image: 'busybox:1.36',
  command: ['/bin/sh', '-c', 'echo annotation'],
};

const SPEC_EXEC_HOOK = { container: 'app', command: ['/bin/sh', '-c', 'echo spec-exec'] } as const;
const ANNOTATION_EXEC_HOOK = {
  container: 'app',
  command: ['/bin/sh', '-c', 'echo annotation-exec'],
} as const;

export interface ExecHookExpectation {
  readonly container: string;
  readonly command: readonly string[];
}

/** The exec hooks every running pod of a restored namespace must run. */
export function expectedExecHooks(namespace: string): readonly ExecHookExpectation[] {
  if (namespace === SPEC_NAMESPACE) return [SPEC_EXEC_HOOK];
  if (namespace === ANNOTATION_NAMESPACE) return [ANNOTATION_EXEC_HOOK];
  return [];
}

/** The init hooks every pod of a restored namespace must run, in order. */
export function expectedInitHooks(namespace: string): readonly HookExpectation[] {
  if (namespace === SPEC_NAMESPACE) return SPEC_HOOKS;
  if (namespace === ANNOTATION_NAMESPACE) return [ANNOTATION_HOOK];
  return [];
}

const annotationHook = {
  'init.hook.restore.velero.io/container-name': ANNOTATION_HOOK.name,
  'init.hook.restore.velero.io/container-image': ANNOTATION_HOOK.image,
  'init.hook.restore.velero.io/command': JSON.stringify(ANNOTATION_HOOK.command),
  'post.hook.restore.velero.io/container': ANNOTATION_EXEC_HOOK.container,
  'post.hook.restore.velero.io/command': JSON.stringify(ANNOTATION_EXEC_HOOK.command),
};

const START = 'devcluster.restore-hooks.io/start-seconds';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** A restored owner and how many pods it must end with. */
export interface ExpectedWorkload {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
}

export interface ScenarioSize {
  /** Per restored namespace. */
  readonly deployments: number;
  readonly deploymentReplicas: number;
  readonly statefulSetsRolling: number;
  readonly statefulSetsOnDelete: number;
  readonly statefulSetReplicas: number;
  readonly daemonSets: number;
  readonly barePods: number;
  /** Seconds a pod created from a workload's template waits for its sandbox. */
  readonly startSeconds: number;
  /**
   * Seconds a pod of a Deployment restored without its ReplicaSet waits: its Deployment controller creates pods from
   * the template at once, and restore-hooks needs three steps (pause, hook the ReplicaSet and resume, replace the
   * pods), each after another controller, to hook them through their ReplicaSet, leader kills included.
   */
  readonly recreatedDeploymentStartSeconds: number;
  /**
   * Seconds the bare pods of the backup wait for their sandbox (as restored pods wait for their volumes): the
   * controller has this long to replace them with their hooks.
   */
  readonly restoredBarePodStartSeconds: number;
  /**
   * Seconds the restored pods of a Deployment's ReplicaSet wait. They lack the hooks: the controller hooks their
   * ReplicaSet and replaces them, under the faults and kills, before they start (a roll-out would not: with the
   * default RollingUpdate it replaces one pod per maxUnavailable as new pods become ready, see docs/chaos.md).
   */
  readonly restoredReplicaSetPodStartSeconds: number;
}

export const DEFAULT_SIZE: ScenarioSize = {
  deployments: 28,
  deploymentReplicas: 4,
  statefulSetsRolling: 3,
  statefulSetsOnDelete: 3,
  statefulSetReplicas: 2,
  daemonSets: 2,
  barePods: 24,
  startSeconds: 45,
  recreatedDeploymentStartSeconds: 90,
  restoredBarePodStartSeconds: 90,
  restoredReplicaSetPodStartSeconds: 150,
};

/**
 * The short run's scenario (`--short`, the real bed in CI): 58 pods. Per namespace 6 Deployments of 3 (half with
 * their ReplicaSet and pods), 1 StatefulSet of each strategy, 1 DaemonSet, 4 bare pods. Pods their owners create
 * get their hooks at admission, so their windows matter only when admission was bypassed: 45 s (60 s for a
 * Deployment restored without its ReplicaSet), as in the full scenario; the pods Velero restores itself (bare pods, a
 * restored ReplicaSet's pods) always wait for the reconcilers, through the schedule's leader kills, and get 90 s.
 */
export const SHORT_SIZE: ScenarioSize = {
  deployments: 6,
  deploymentReplicas: 3,
  statefulSetsRolling: 1,
  statefulSetsOnDelete: 1,
  statefulSetReplicas: 2,
  daemonSets: 1,
  barePods: 4,
  startSeconds: 45,
  recreatedDeploymentStartSeconds: 60,
  restoredBarePodStartSeconds: 90,
  restoredReplicaSetPodStartSeconds: 90,
};

export interface Scenario {
  /** Manifests of the backup, as Velero stored them (uids, ownerReferences, status are dropped on restore). */
  readonly backup: Record<string, unknown>[];
  readonly restore: Record<string, unknown>;
  readonly workloads: readonly ExpectedWorkload[];
  /** Bare pods of the restore, by namespace/name. */
  readonly barePods: readonly { namespace: string; name: string }[];
  /** Objects created before the Restore starts that the controller must never write. */
  readonly decoys: Record<string, unknown>[];
  /** Pods the restore brings back or its owners create, when every owner is at its replicas. */
  readonly expectedPods: number;
}

function container(name = 'app', image = 'nginx:1.27') {
  return { name, image };
}

function template(app: string, namespace: string, startSeconds: number) {
  return {
    metadata: {
      labels: { app },
      annotations: {
        [START]: String(startSeconds),
        ...(namespace === ANNOTATION_NAMESPACE ? annotationHook : {}),
      },
    },
    spec: { containers: [container()], terminationGracePeriodSeconds: 0 },
  };
}

/**
 * The strategies of the Deployments that come back without their ReplicaSet: the default RollingUpdate (25%/25%), a
 * RollingUpdate without surge (maxSurge 0, maxUnavailable 1), and Recreate. Their Deployment controller creates pods
 * from the template before restore-hooks can patch it, more so while it is killed or the API pauses; none of those
 * pods is available yet, so a roll-out could not replace them in time: restore-hooks hooks their ReplicaSet instead.
 */
function deploymentStrategy(i: number) {
  if (i % 8 === 7) return { strategy: { type: 'Recreate' } };
  if (i % 4 === 3)
    return { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } };
  return {};
}

function withStart(
  metadata: { labels: Record<string, string>; annotations: Record<string, string> },
  seconds: number,
) {
  return { ...metadata, annotations: { ...metadata.annotations, [START]: String(seconds) } };
}

function meta(kind: string, namespace: string, name: string, extra: Record<string, unknown> = {}) {
  const apiVersion = kind === 'Pod' || kind === 'Namespace' ? 'v1' : 'apps/v1';
  return { apiVersion, kind, metadata: { name, namespace, ...extra } };
}

export function buildScenario(size: ScenarioSize = DEFAULT_SIZE): Scenario {
  const backup: Record<string, unknown>[] = [];
  const workloads: ExpectedWorkload[] = [];
  const barePods: { namespace: string; name: string }[] = [];
  for (const ns of RESTORED_NAMESPACES) {
    backup.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (let i = 0; i < size.deployments; i++) {
      const name = `web-${i}`;
      const restoredWithPods = i % 2 === 0;
      const tpl = template(
        name,
        ns,
        restoredWithPods ? size.startSeconds : size.recreatedDeploymentStartSeconds,
      );
      backup.push({
        ...meta('Deployment', ns, name),
        spec: {
          replicas: size.deploymentReplicas,
          selector: { matchLabels: { app: name } },
          template: tpl,
          ...(restoredWithPods ? {} : deploymentStrategy(i)),
        },
      });
      workloads.push({ kind: 'Deployment', namespace: ns, name, replicas: size.deploymentReplicas });
      // Every other Deployment comes back with its ReplicaSet and pods, the rest recreate theirs.
      if (!restoredWithPods) continue;
      const hash = `5d8f7c${String(i).padStart(4, '0')}`;
      const rsTemplate = {
        ...tpl,
        metadata: { ...tpl.metadata, labels: { app: name, 'pod-template-hash': hash } },
      };
      backup.push({
        ...meta('ReplicaSet', ns, `${name}-${hash}`, { labels: { app: name, 'pod-template-hash': hash } }),
        spec: {
          replicas: size.deploymentReplicas,
          selector: { matchLabels: { app: name, 'pod-template-hash': hash } },
          template: rsTemplate,
        },
      });
      const podMeta = withStart(rsTemplate.metadata, size.restoredReplicaSetPodStartSeconds);
      for (let p = 0; p < size.deploymentReplicas; p++)
        backup.push({ ...meta('Pod', ns, `${name}-${hash}-p${p}`, podMeta), spec: rsTemplate.spec });
    }
    const statefulSets: (readonly [string, 'RollingUpdate' | 'OnDelete'])[] = [
      ...Array.from({ length: size.statefulSetsRolling }, (_, i) => [`db-${i}`, 'RollingUpdate'] as const),
      ...Array.from({ length: size.statefulSetsOnDelete }, (_, i) => [`cache-${i}`, 'OnDelete'] as const),
    ];
    for (const [name, strategy] of statefulSets) {
      backup.push({
        ...meta('StatefulSet', ns, name),
        spec: {
          replicas: size.statefulSetReplicas,
          serviceName: name,
          selector: { matchLabels: { app: name } },
          // A RollingUpdate roll-out waits for each new pod to be Ready, so it uses OrderedReady, whose roll-out a pending
          // pod blocks and restore-hooks unblocks; OnDelete ones start in parallel and restore-hooks deletes their pods.
          podManagementPolicy: strategy === 'RollingUpdate' ? 'OrderedReady' : 'Parallel',
          updateStrategy: { type: strategy },
          template: template(name, ns, size.startSeconds),
        },
      });
      workloads.push({ kind: 'StatefulSet', namespace: ns, name, replicas: size.statefulSetReplicas });
    }
    for (let i = 0; i < size.daemonSets; i++) {
      const name = `agent-${i}`;
      backup.push({
        ...meta('DaemonSet', ns, name),
        spec: {
          selector: { matchLabels: { app: name } },
          updateStrategy:
            i === 0 ? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } : { type: 'OnDelete' },
          template: template(name, ns, size.startSeconds),
        },
      });
      workloads.push({ kind: 'DaemonSet', namespace: ns, name, replicas: NODE_COUNT });
    }
    for (let i = 0; i < size.barePods; i++) {
      const name = `solo-${i}`;
      const tpl = template(name, ns, size.restoredBarePodStartSeconds);
      backup.push({ ...meta('Pod', ns, name, tpl.metadata), spec: tpl.spec });
      barePods.push({ namespace: ns, name });
    }
  }
  const hookSpec = {
    resources: [
      {
        name: 'chaos-spec-hooks',
        includedNamespaces: [SPEC_NAMESPACE],
        postHooks: [
          {
            init: {
              initContainers: SPEC_HOOKS.map((h) => ({ name: h.name, image: h.image, command: h.command })),
            },
          },
          { exec: { ...SPEC_EXEC_HOOK, onError: 'Continue', execTimeout: '10s' } },
        ],
      },
    ],
  };
  const restore = {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: RESTORE_NAME, namespace: VELERO_NAMESPACE },
    spec: { backupName: BACKUP_NAME, includedNamespaces: [...RESTORED_NAMESPACES], hooks: hookSpec },
  };
  const expectedPods = workloads.reduce((n, w) => n + w.replicas, 0) + barePods.length;
  return { backup, restore, workloads, barePods, decoys: decoys(), expectedPods };
}

/**
 * Created before the Restore: a namespace the restore does not include, with annotated pods and a Deployment
 * labelled as restored by this Restore; and, inside the restored namespaces, an annotated pod and a labelled
 * Deployment that predate the Restore's startTimestamp.
 */
function decoys(): Record<string, unknown>[] {
  const restoredLabel = { 'velero.io/restore-name': RESTORE_NAME, 'velero.io/backup-name': BACKUP_NAME };
  const out: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DECOY_NAMESPACE } },
  ];
  for (const ns of [DECOY_NAMESPACE, ...RESTORED_NAMESPACES]) {
    out.push({
      ...meta('Pod', ns, 'decoy-pod', {
        labels: restoredLabel,
        annotations: { ...annotationHook, [START]: '5' },
      }),
      spec: { containers: [container()], terminationGracePeriodSeconds: 0 },
    });
    out.push({
      ...meta('Deployment', ns, 'decoy-web', { labels: restoredLabel }),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'decoy-web' } },
        template: template('decoy-web', ANNOTATION_NAMESPACE, 5),
      },
    });
  }
  return out;
}

/** Restored namespaces first, so the decoys there exist before the Restore. */
export function decoyNamespaces(): Record<string, unknown>[] {
  return RESTORED_NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
}

/** Pod name prefix of the forging tenant's Deployment: its pods are decoys too. */
export const FORGED_WEB = 'forged-web';
/** The forging tenant's Deployment in a restored namespace, with only restore-hooks' mark: its pods are decoys too. */
export const FORGED_MARK = 'forged-mark';
/** Pod name prefixes of the forging tenant's Deployments. */
export const FORGED_POD_PREFIXES = [FORGED_WEB, FORGED_MARK] as const;

/**
 * A forging tenant, created once the Restore has started (so the creation-time check cannot keep them out): in a
 * namespace the Restore does not include, a Deployment and a bare pod labelled as restored by this Restore; in a
 * namespace it restores, a Deployment without Velero's label whose pod template carries restore-hooks' own mark
 * (`restore-hooks.dev/restore`), so its pods look hooked for the Restore. All with annotation hooks of their own,
 * among them an exec hook that fails with onError Fail. None of it may be touched, run or counted in the Restore's
 * status.
 */
export function forgedObjects(): Record<string, unknown>[] {
  const forgedLabel = { 'velero.io/restore-name': RESTORE_NAME, 'velero.io/backup-name': BACKUP_NAME };
  const forgedHooks = {
    ...annotationHook,
    'post.hook.restore.velero.io/command': JSON.stringify(['/bin/sh', '-c', 'exit 3']),
    'post.hook.restore.velero.io/on-error': 'Fail',
    [START]: '1',
  };
  return [
    {
      ...meta('Pod', DECOY_NAMESPACE, 'forged-pod', { labels: forgedLabel, annotations: forgedHooks }),
      spec: { containers: [container()], terminationGracePeriodSeconds: 0 },
    },
    {
      ...meta('Deployment', DECOY_NAMESPACE, FORGED_WEB, { labels: forgedLabel }),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: FORGED_WEB } },
        template: {
          metadata: { labels: { app: FORGED_WEB, ...forgedLabel }, annotations: forgedHooks },
          spec: { containers: [container()], terminationGracePeriodSeconds: 0 },
        },
      },
    },
    {
      ...meta('Deployment', ANNOTATION_NAMESPACE, FORGED_MARK),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: FORGED_MARK } },
        template: {
          metadata: {
            labels: { app: FORGED_MARK, 'restore-hooks.dev/restore': RESTORE_NAME },
            annotations: forgedHooks,
          },
          spec: { containers: [container()], terminationGracePeriodSeconds: 0 },
        },
      },
    },
  ];
}
