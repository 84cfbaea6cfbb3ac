/** Kind → resource for the kinds fixtures hold, and Velero's restore order. */

export interface ResourceType {
  /** `pods`, `deployments.apps`: Velero's names for resources. */
  readonly qualified: string;
  readonly resource: string;
  readonly group: string;
  readonly version: string;
  readonly namespaced: boolean;
}

const KNOWN: Record<string, [resource: string, namespaced: boolean]> = {
  Namespace: ['namespaces', false],
  Pod: ['pods', true],
  PersistentVolumeClaim: ['persistentvolumeclaims', true],
  PersistentVolume: ['persistentvolumes', false],
  ConfigMap: ['configmaps', true],
  Secret: ['secrets', true],
  ServiceAccount: ['serviceaccounts', true],
  Service: ['services', true],
  Endpoints: ['endpoints', true],
  LimitRange: ['limitranges', true],
  Event: ['events', true],
  Node: ['nodes', false],
  Deployment: ['deployments', true],
  ReplicaSet: ['replicasets', true],
  StatefulSet: ['statefulsets', true],
  DaemonSet: ['daemonsets', true],
  ControllerRevision: ['controllerrevisions', true],
  Job: ['jobs', true],
  CronJob: ['cronjobs', true],
  Role: ['roles', true],
  RoleBinding: ['rolebindings', true],
  ClusterRole: ['clusterroles', false],
  ClusterRoleBinding: ['clusterrolebindings', false],
  CustomResourceDefinition: ['customresourcedefinitions', false],
  StorageClass: ['storageclasses', false],
  Lease: ['leases', true],
  Backup: ['backups', true],
  Restore: ['restores', true],
};

/** Kinds outside this table are assumed namespaced with the lower-case plural of the kind. */
export function resourceTypeOf(apiVersion: string, kind: string): ResourceType {
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  const [resource, namespaced] = KNOWN[kind] ?? [`${kind.toLowerCase()}s`, true];
  return { resource, group, version, namespaced, qualified: group ? `${resource}.${group}` : resource };
}

/** Velero's default restore priorities: these first, in this order; then everything else alphabetically; then the low ones. */
export const HIGH_PRIORITIES = [
  'customresourcedefinitions.apiextensions.k8s.io',
  'namespaces',
  'storageclasses.storage.k8s.io',
  'volumesnapshotclass.snapshot.storage.k8s.io',
  'volumesnapshotcontents.snapshot.storage.k8s.io',
  'volumesnapshots.snapshot.storage.k8s.io',
  'datauploads.velero.io',
  'persistentvolumes',
  'persistentvolumeclaims',
  'serviceaccounts',
  'secrets',
  'configmaps',
  'limitranges',
  'pods',
  'replicasets.apps',
  'clusterclasses.cluster.x-k8s.io',
  'endpoints',
  'services',
];
export const LOW_PRIORITIES = [
  'clusterbootstraps.run.tanzu.vmware.com',
  'clusters.cluster.x-k8s.io',
  'clusterresourcesets.addons.cluster.x-k8s.io',
];

/** Resources Velero never restores. */
export const NON_RESTORABLE = new Set([
  'nodes',
  'events',
  'events.events.k8s.io',
  'backups.velero.io',
  'restores.velero.io',
  'resticrepositories.velero.io',
  'backuprepositories.velero.io',
  'csinodes.storage.k8s.io',
  'volumeattachments.storage.k8s.io',
]);

/** Sort key: [band, index within band or name]. */
export function restoreRank(qualified: string): [number, number | string] {
  const high = HIGH_PRIORITIES.indexOf(qualified);
  if (high >= 0) return [0, high];
  const low = LOW_PRIORITIES.indexOf(qualified);
  if (low >= 0) return [2, low];
  return [1, qualified];
}
