/**
 * What a Velero restore brings back for one pod-producing target, in Velero's order: the restored pods first
 * (ownerReferences stripped, restore labels kept), then their owners, which adopt them. Every pod stays Pending
 * (the simulated kubelet keeps its sandbox in ContainerCreating), so it is a pod the controller may still hook.
 */
import { podSpec, restoredLabels } from './restore-fixtures.ts';

export const TARGETS = [
  'bare pod',
  'Deployment',
  'StatefulSet (RollingUpdate)',
  'StatefulSet (OnDelete)',
  'DaemonSet',
  'adopted ReplicaSet',
] as const;
export type Target = (typeof TARGETS)[number];

/** The simulated kubelet keeps such a pod's sandbox starting for an hour: it stays Pending, never started. */
export const STAYS_PENDING = { 'devcluster.restore-hooks.io/start-seconds': '3600' };

export interface KubeBody {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface RestoredTarget {
  readonly target: Target;
  /** The kind at the top of the pods' controller chain ('Pod' for a bare pod). */
  readonly kind: 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet';
  readonly name: string;
  readonly namespace: string;
  /** Selects the target's pods. */
  readonly podSelector: string;
  /** Objects to create, in Velero's restore order. */
  readonly objects: readonly KubeBody[];
  /** How many pods the target runs once settled (the DaemonSet runs on node-1 only). */
  readonly replicas: number;
  /** Whether the controller, not the owner, deletes the restored pending pod so it comes back hooked. */
  readonly controllerReplacesPod: boolean;
}

export interface TargetOptions {
  readonly namespace?: string;
  readonly restore?: string;
  /** Annotations of the pod template (and so of the restored pods), e.g. the annotation hook. */
  readonly annotations?: Record<string, string>;
  /** Init containers of the pod template (and of the restored pods). */
  readonly initContainers?: unknown[];
  /** Init containers of the restored pods only (e.g. hooks Velero injected, or restore-wait). */
  readonly restoredPodInitContainers?: unknown[];
  /** Labels on the owner; default the restore's labels. */
  readonly ownerLabels?: Record<string, string>;
  /** Restored pods (Deployment and adopted ReplicaSet targets); default 1. */
  readonly replicas?: number;
  /** The restored pods start at once instead of staying Pending (their templates' pods still stay Pending). */
  readonly restoredPodsStart?: boolean;
}

export function plural(kind: string): string {
  return `${kind.toLowerCase()}s`;
}

export function collectionPath(body: { apiVersion: string; kind: string; metadata: { namespace: string } }) {
  const base = body.apiVersion === 'v1' ? '/api/v1' : `/apis/${body.apiVersion}`;
  return `${base}/namespaces/${body.metadata.namespace}/${plural(body.kind)}`;
}

export function restoredTarget(target: Target, name: string, options: TargetOptions = {}): RestoredTarget {
  const namespace = options.namespace ?? 'app';
  const restore = options.restore ?? 'r2';
  const annotations = { ...STAYS_PENDING, ...options.annotations };
  const spec = (extra: Record<string, unknown> = {}) =>
    podSpec({ ...(options.initContainers ? { initContainers: options.initContainers } : {}), ...extra });
  const template = (labels: Record<string, string>) => ({ metadata: { labels, annotations }, spec: spec() });
  const restoredPod = (
    podName: string,
    labels: Record<string, string>,
    extra: Record<string, unknown> = {},
  ) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      namespace,
      labels: restoredLabels(restore, labels),
      annotations: options.restoredPodsStart ? { ...options.annotations } : annotations,
    },
    spec: spec({
      ...(options.restoredPodInitContainers ? { initContainers: options.restoredPodInitContainers } : {}),
      ...extra,
    }),
  });
  const ownerLabels = options.ownerLabels ?? restoredLabels(restore);
  const owner = (
    apiVersion: string,
    kind: string,
    ownerName: string,
    ownerSpec: Record<string, unknown>,
    labels: Record<string, string> = {},
  ) => ({
    apiVersion,
    kind,
    metadata: { name: ownerName, namespace, labels: { ...labels, ...ownerLabels } },
    spec: ownerSpec,
  });
  const app = { app: name };
  const replicas = options.replicas ?? 1;
  const suffixes = ['x2x9q', 'm4d7r', 'p9z3k', 'h2v8w'].slice(0, replicas);
  const common = { target, name, namespace, podSelector: `app=${name}`, replicas: 1 };
  switch (target) {
    case 'bare pod':
      return {
        ...common,
        kind: 'Pod',
        objects: [restoredPod(name, app)],
        controllerReplacesPod: true,
      };
    case 'Deployment': {
      // Velero restores the Deployment's ReplicaSet too; the Deployment adopts it (same template).
      const hashed = { ...app, 'pod-template-hash': '5d4f8b7c9' };
      return {
        ...common,
        kind: 'Deployment',
        replicas,
        objects: [
          ...suffixes.map((suffix) => restoredPod(`${name}-5d4f8b7c9-${suffix}`, hashed)),
          owner(
            'apps/v1',
            'ReplicaSet',
            `${name}-5d4f8b7c9`,
            { replicas, selector: { matchLabels: hashed }, template: template(hashed) },
            hashed,
          ),
          owner('apps/v1', 'Deployment', name, {
            replicas,
            // These pods never become available, so a surge-first rollout would wait forever (as in Kubernetes).
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
            selector: { matchLabels: app },
            template: template(app),
          }),
        ],
        controllerReplacesPod: false,
      };
    }
    case 'StatefulSet (RollingUpdate)':
    case 'StatefulSet (OnDelete)': {
      const pod = `${name}-0`;
      return {
        ...common,
        kind: 'StatefulSet',
        objects: [
          restoredPod(
            pod,
            {
              ...app,
              'controller-revision-hash': `${name}-6b9f7c5d8`,
              'statefulset.kubernetes.io/pod-name': pod,
            },
            { hostname: pod, subdomain: name },
          ),
          owner('apps/v1', 'StatefulSet', name, {
            replicas: 1,
            serviceName: name,
            selector: { matchLabels: app },
            updateStrategy: { type: target === 'StatefulSet (OnDelete)' ? 'OnDelete' : 'RollingUpdate' },
            template: template(app),
          }),
        ],
        // OnDelete never replaces a pod; OrderedReady RollingUpdate is blocked by the pending pod.
        controllerReplacesPod: true,
      };
    }
    case 'DaemonSet':
      return {
        ...common,
        kind: 'DaemonSet',
        objects: [
          restoredPod(
            `${name}-k8x2p`,
            { ...app, 'controller-revision-hash': '7c9d6f5b4', 'pod-template-generation': '1' },
            {
              affinity: {
                nodeAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [
                      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
                    ],
                  },
                },
              },
            },
          ),
          owner('apps/v1', 'DaemonSet', name, {
            selector: { matchLabels: app },
            template: {
              ...template(app),
              spec: spec({ nodeSelector: { 'kubernetes.io/hostname': 'node-1' } }),
            },
          }),
        ],
        controllerReplacesPod: false,
      };
    case 'adopted ReplicaSet':
      return {
        ...common,
        kind: 'ReplicaSet',
        replicas,
        objects: [
          ...suffixes.map((suffix) => restoredPod(`${name}-${suffix}`, app)),
          owner('apps/v1', 'ReplicaSet', name, {
            replicas,
            selector: { matchLabels: app },
            template: template(app),
          }),
        ],
        controllerReplacesPod: true,
      };
  }
}
