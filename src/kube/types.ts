/**
 * Plain-JSON shapes of the Kubernetes objects the controller reads, as they travel on the wire (timestamps are
 * RFC 3339 strings). client-node's model classes type timestamps as Date, which is only true for some of its
 * code paths; the informers normalise everything to this representation.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** ObjectMeta's fields, and no others: as the devcluster stores metadata. */
export interface ObjectMetaFields {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/** Metadata as a client reads it: fields it does not know pass through. */
export interface ObjectMeta extends ObjectMetaFields {
  [field: string]: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  volumeMounts?: VolumeMount[];
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  [field: string]: unknown;
}

export interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
  nodeName?: string;
  [field: string]: unknown;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state?: ContainerState;
  lastState?: ContainerState;
  [field: string]: unknown;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: PodCondition[];
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  [field: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

/** Deployments, StatefulSets, DaemonSets and ReplicaSets: the owners whose pod template the controller patches. */
export interface Workload {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    template: PodTemplateSpec;
    selector?: { matchLabels?: Record<string, string> };
    replicas?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
    podManagementPolicy?: string;
    [field: string]: unknown;
  };
  status?: Record<string, unknown>;
}

/** The ConfigMaps the controller keeps its records in (hook-count ledgers, the replacement journal). */
export interface ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { name: string };
  data?: Record<string, string>;
}
