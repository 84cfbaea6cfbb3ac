import type { KubeObject } from '../api/types.ts';
import type { ResourceInfo } from './resource.ts';
import { ALL_VERBS } from './resource.ts';

type Spec = Partial<ResourceInfo> & Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'kind'>;

function path(object: KubeObject, ...keys: string[]): string | undefined {
  let v: unknown = object;
  for (const k of keys) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

function resource(spec: Spec): ResourceInfo {
  return {
    singular: spec.kind.toLowerCase(),
    listKind: `${spec.kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    statusSubresource: false,
    extraSubresources: [],
    hasGeneration: false,
    returnDeletedObject: false,
    selectableFields: {},
    ...spec,
  };
}

const core = { group: '', version: 'v1' };
const apps = {
  group: 'apps',
  version: 'v1',
  statusSubresource: true,
  hasGeneration: true,
  categories: ['all'],
};
const batch = {
  group: 'batch',
  version: 'v1',
  statusSubresource: true,
  hasGeneration: true,
  categories: ['all'],
};
const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1' };

const eventFields = {
  'involvedObject.kind': (o: KubeObject) => path(o, 'involvedObject', 'kind'),
  'involvedObject.namespace': (o: KubeObject) => path(o, 'involvedObject', 'namespace'),
  'involvedObject.name': (o: KubeObject) => path(o, 'involvedObject', 'name'),
  'involvedObject.uid': (o: KubeObject) => path(o, 'involvedObject', 'uid'),
  'involvedObject.apiVersion': (o: KubeObject) => path(o, 'involvedObject', 'apiVersion'),
  'involvedObject.resourceVersion': (o: KubeObject) => path(o, 'involvedObject', 'resourceVersion'),
  'involvedObject.fieldPath': (o: KubeObject) => path(o, 'involvedObject', 'fieldPath'),
  reason: (o: KubeObject) => path(o, 'reason'),
  reportingComponent: (o: KubeObject) => path(o, 'reportingComponent'),
  source: (o: KubeObject) => path(o, 'source', 'component'),
  type: (o: KubeObject) => path(o, 'type'),
};

/** Every built-in resource the devcluster serves (the issue #3 table, plus persistentvolumes). */
export const BUILTIN_RESOURCES: readonly ResourceInfo[] = [
  resource({
    ...core,
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    statusSubresource: true,
    returnDeletedObject: true,
    selectableFields: { 'status.phase': (o) => path(o, 'status', 'phase') },
  }),
  resource({
    ...core,
    resource: 'pods',
    kind: 'Pod',
    shortNames: ['po'],
    categories: ['all'],
    statusSubresource: true,
    extraSubresources: ['exec', 'binding'],
    returnDeletedObject: true,
    selectableFields: {
      'spec.nodeName': (o) => path(o, 'spec', 'nodeName'),
      'spec.restartPolicy': (o) => path(o, 'spec', 'restartPolicy'),
      'spec.schedulerName': (o) => path(o, 'spec', 'schedulerName'),
      'spec.serviceAccountName': (o) => path(o, 'spec', 'serviceAccountName'),
      'spec.hostNetwork': (o) => path(o, 'spec', 'hostNetwork') ?? 'false',
      'status.phase': (o) => path(o, 'status', 'phase'),
      'status.podIP': (o) => path(o, 'status', 'podIP'),
      'status.nominatedNodeName': (o) => path(o, 'status', 'nominatedNodeName'),
    },
  }),
  resource({
    ...core,
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    shortNames: ['pvc'],
    statusSubresource: true,
  }),
  resource({
    ...core,
    resource: 'persistentvolumes',
    kind: 'PersistentVolume',
    namespaced: false,
    shortNames: ['pv'],
    statusSubresource: true,
  }),
  resource({ ...core, resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  resource({
    ...core,
    resource: 'secrets',
    kind: 'Secret',
    selectableFields: { type: (o) => path(o, 'type') },
  }),
  resource({ ...core, resource: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'] }),
  resource({
    ...core,
    resource: 'services',
    kind: 'Service',
    shortNames: ['svc'],
    categories: ['all'],
    statusSubresource: true,
    returnDeletedObject: true,
  }),
  resource({ ...core, resource: 'events', kind: 'Event', shortNames: ['ev'], selectableFields: eventFields }),
  resource({
    ...core,
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    statusSubresource: true,
    selectableFields: { 'spec.unschedulable': (o) => path(o, 'spec', 'unschedulable') ?? 'false' },
  }),
  resource({ group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', shortNames: ['ev'] }),
  resource({
    ...apps,
    resource: 'deployments',
    kind: 'Deployment',
    shortNames: ['deploy'],
    extraSubresources: ['scale'],
  }),
  resource({
    ...apps,
    resource: 'replicasets',
    kind: 'ReplicaSet',
    shortNames: ['rs'],
    extraSubresources: ['scale'],
    selectableFields: { 'status.replicas': (o) => path(o, 'status', 'replicas') ?? '0' },
  }),
  resource({
    ...apps,
    resource: 'statefulsets',
    kind: 'StatefulSet',
    shortNames: ['sts'],
    extraSubresources: ['scale'],
  }),
  resource({ ...apps, resource: 'daemonsets', kind: 'DaemonSet', shortNames: ['ds'] }),
  resource({
    group: 'apps',
    version: 'v1',
    resource: 'controllerrevisions',
    kind: 'ControllerRevision',
  }),
  resource({
    ...batch,
    resource: 'jobs',
    kind: 'Job',
    selectableFields: { 'status.successful': (o) => path(o, 'status', 'successful') ?? '0' },
  }),
  resource({ ...batch, resource: 'cronjobs', kind: 'CronJob', shortNames: ['cj'] }),
  resource({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease' }),
  resource({ ...rbac, resource: 'roles', kind: 'Role' }),
  resource({ ...rbac, resource: 'clusterroles', kind: 'ClusterRole', namespaced: false }),
  resource({ ...rbac, resource: 'rolebindings', kind: 'RoleBinding' }),
  resource({ ...rbac, resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false }),
  resource({ ...core, resource: 'endpoints', kind: 'Endpoints', shortNames: ['ep'] }),
  resource({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice' }),
  resource({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource: 'mutatingwebhookconfigurations',
    kind: 'MutatingWebhookConfiguration',
    namespaced: false,
    categories: ['api-extensions'],
  }),
  resource({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource: 'validatingwebhookconfigurations',
    kind: 'ValidatingWebhookConfiguration',
    namespaced: false,
    categories: ['api-extensions'],
  }),
  resource({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    singular: 'customresourcedefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    statusSubresource: true,
    hasGeneration: true,
  }),
];

export { resource as builtinResource };
