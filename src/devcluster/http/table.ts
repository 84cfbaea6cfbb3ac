import type { KubeObject } from '../api/types.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { parseAccept } from './accept.ts';

/** A column of a meta.k8s.io/v1 Table. Priority 0 columns show by default, 1 only with `-o wide`. */
interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format?: string;
  readonly priority?: number;
  readonly description: string;
  readonly cell: (object: KubeObject, now: Date) => unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** kubectl's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name ?? '',
};
const AGE: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) =>
    o.metadata.creationTimestamp
      ? humanDuration(now.getTime() - Date.parse(o.metadata.creationTimestamp))
      : '<unknown>',
};

function terminatedReason(t: Obj, prefix: string): string {
  if (typeof t.reason === 'string' && t.reason) return prefix + t.reason;
  if (typeof t.signal === 'number' && t.signal !== 0) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${String(t.exitCode ?? 0)}`;
}

/** The STATUS, READY and RESTARTS kubectl shows for a pod (its printPod logic, without sidecar containers). */
export function podSummary(pod: KubeObject): { status: string; ready: string; restarts: number } {
  const status = isObj(pod.status) ? pod.status : {};
  const containers = list(at(pod, 'spec', 'containers'));
  const initContainers = list(at(pod, 'spec', 'initContainers'));
  let reason =
    (typeof status.reason === 'string' && status.reason) ||
    (typeof status.phase === 'string' ? status.phase : '') ||
    'Pending';
  let restarts = 0;
  let readyContainers = 0;
  let initializing = false;
  list(status.initContainerStatuses).forEach((s, i) => {
    restarts += Number(s.restartCount ?? 0);
    if (initializing) return;
    const terminated = at(s, 'state', 'terminated');
    const waiting = at(s, 'state', 'waiting');
    if (isObj(terminated) && Number(terminated.exitCode ?? 0) === 0) return;
    initializing = true;
    if (isObj(terminated)) reason = terminatedReason(terminated, 'Init:');
    else if (
      isObj(waiting) &&
      typeof waiting.reason === 'string' &&
      waiting.reason &&
      waiting.reason !== 'PodInitializing'
    )
      reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${initContainers.length}`;
  });
  if (!initializing) {
    let hasRunning = false;
    for (const s of [...list(status.containerStatuses)].reverse()) {
      restarts += Number(s.restartCount ?? 0);
      const state = isObj(s.state) ? s.state : {};
      const waiting = state.waiting;
      const terminated = state.terminated;
      if (isObj(waiting) && typeof waiting.reason === 'string' && waiting.reason) reason = waiting.reason;
      else if (isObj(terminated)) reason = terminatedReason(terminated, '');
      else if (s.ready === true && isObj(state.running)) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { status: reason, ready: `${readyContainers}/${containers.length}`, restarts };
}

const podColumns: Column[] = [
  NAME,
  {
    name: 'Ready',
    type: 'string',
    description: 'The aggregate readiness state of this pod for accepting traffic.',
    cell: (o) => podSummary(o).ready,
  },
  {
    name: 'Status',
    type: 'string',
    description: 'The aggregate status of the containers in this pod.',
    cell: (o) => podSummary(o).status,
  },
  {
    name: 'Restarts',
    type: 'string',
    description: 'The number of times the containers in this pod have been restarted.',
    cell: (o) => String(podSummary(o).restarts),
  },
  AGE,
  {
    name: 'IP',
    type: 'string',
    priority: 1,
    description: 'IP address allocated to the pod.',
    cell: (o) => at(o, 'status', 'podIP') ?? '<none>',
  },
  {
    name: 'Node',
    type: 'string',
    priority: 1,
    description: 'Name of the Node this pod is assigned to.',
    cell: (o) => at(o, 'spec', 'nodeName') ?? '<none>',
  },
  {
    name: 'Nominated Node',
    type: 'string',
    priority: 1,
    description: 'Name of the Node where this pod is nominated to run, when preempting.',
    cell: (o) => at(o, 'status', 'nominatedNodeName') ?? '<none>',
  },
  {
    name: 'Readiness Gates',
    type: 'string',
    priority: 1,
    description: 'The readiness gates of the pod: how many are met.',
    cell: (o) => {
      const gates = list(at(o, 'spec', 'readinessGates'));
      if (gates.length === 0) return '<none>';
      const conditions = list(at(o, 'status', 'conditions'));
      const met = gates.filter((g) =>
        conditions.some((c) => c.type === g.conditionType && c.status === 'True'),
      ).length;
      return `${met}/${gates.length}`;
    },
  },
];

const replicas = (o: KubeObject, key: string) => Number(at(o, 'status', key) ?? 0);
const since = (now: Date, timestamp: unknown): string =>
  typeof timestamp === 'string' && timestamp
    ? humanDuration(now.getTime() - Date.parse(timestamp))
    : '<unknown>';

/** kubectl's labels.FormatLabels: sorted k=v pairs, or <none>. */
function formatLabels(labels: unknown): string {
  if (!isObj(labels) || Object.keys(labels).length === 0) return '<none>';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${String(labels[k])}`)
    .join(',');
}

/** metav1.FormatLabelSelector: matchLabels as k=v, expressions as `k in (a,b)`, `k notin (…)`, `k`, `!k`. */
function formatSelector(selector: unknown): string {
  if (!isObj(selector)) return '<none>';
  const parts: string[] = [];
  if (isObj(selector.matchLabels))
    for (const k of Object.keys(selector.matchLabels).sort())
      parts.push(`${k}=${String(selector.matchLabels[k])}`);
  for (const e of list(selector.matchExpressions)) {
    const values = (Array.isArray(e.values) ? e.values : []).map(String).sort().join(',');
    if (e.operator === 'In') parts.push(`${String(e.key)} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${String(e.key)} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${String(e.key)}`);
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

/** The Containers, Images (and Selector) -o wide columns of the workload kinds. */
const templateColumns = (withSelector: boolean): Column[] => [
  {
    name: 'Containers',
    type: 'string',
    priority: 1,
    description: 'Names of each container in the template.',
    cell: (o) =>
      list(at(o, 'spec', 'template', 'spec', 'containers'))
        .map((c) => String(c.name ?? ''))
        .join(','),
  },
  {
    name: 'Images',
    type: 'string',
    priority: 1,
    description: 'Images referenced by each container in the template.',
    cell: (o) =>
      list(at(o, 'spec', 'template', 'spec', 'containers'))
        .map((c) => String(c.image ?? ''))
        .join(','),
  },
  ...(withSelector
    ? [
        {
          name: 'Selector',
          type: 'string',
          priority: 1,
          description: 'Label selector for pods.',
          cell: (o: KubeObject) => formatSelector(at(o, 'spec', 'selector')),
        } satisfies Column,
      ]
    : []),
];

const integer = (name: string, description: string, cell: Column['cell']): Column => ({
  name,
  type: 'integer',
  description,
  cell,
});

const deploymentColumns: Column[] = [
  NAME,
  {
    name: 'Ready',
    type: 'string',
    description: 'Number of the pods ready out of desired.',
    cell: (o) => `${replicas(o, 'readyReplicas')}/${Number(at(o, 'spec', 'replicas') ?? 0)}`,
  },
  integer('Up-to-date', 'Total number of non-terminated pods with the desired template.', (o) =>
    replicas(o, 'updatedReplicas'),
  ),
  integer('Available', 'Total number of available pods.', (o) => replicas(o, 'availableReplicas')),
  AGE,
  ...templateColumns(true),
];

const replicaSetColumns: Column[] = [
  NAME,
  integer('Desired', 'Number of desired pods.', (o) => Number(at(o, 'spec', 'replicas') ?? 0)),
  integer('Current', 'Number of actual replicas.', (o) => replicas(o, 'replicas')),
  integer('Ready', 'Number of ready replicas.', (o) => replicas(o, 'readyReplicas')),
  AGE,
  ...templateColumns(true),
];

const statefulSetColumns: Column[] = [
  NAME,
  {
    name: 'Ready',
    type: 'string',
    description: 'Number of the pods ready out of desired.',
    cell: (o) => `${replicas(o, 'readyReplicas')}/${Number(at(o, 'spec', 'replicas') ?? 0)}`,
  },
  AGE,
  ...templateColumns(false),
];

const daemonSetColumns: Column[] = [
  NAME,
  integer('Desired', 'The number of nodes that should be running the daemon pod.', (o) =>
    replicas(o, 'desiredNumberScheduled'),
  ),
  integer('Current', 'The number of nodes running at least one daemon pod.', (o) =>
    replicas(o, 'currentNumberScheduled'),
  ),
  integer('Ready', 'The number of nodes that should be running the daemon pod and are ready.', (o) =>
    replicas(o, 'numberReady'),
  ),
  integer('Up-to-date', 'The number of nodes running the updated daemon pod.', (o) =>
    replicas(o, 'updatedNumberScheduled'),
  ),
  integer('Available', 'The number of nodes running the daemon pod and available.', (o) =>
    replicas(o, 'numberAvailable'),
  ),
  {
    name: 'Node Selector',
    type: 'string',
    description: 'NodeSelector is a selector which must be true for the pod to fit on a node.',
    cell: (o) => formatLabels(at(o, 'spec', 'template', 'spec', 'nodeSelector')),
  },
  AGE,
  ...templateColumns(true),
];

const hasCondition = (o: KubeObject, type: string): boolean =>
  list(at(o, 'status', 'conditions')).some((c) => c.type === type && c.status === 'True');

/** kubectl's Job STATUS (Kubernetes 1.30 and later). */
function jobStatus(o: KubeObject): string {
  if (hasCondition(o, 'Complete')) return 'Complete';
  if (hasCondition(o, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(o, 'Suspended')) return 'Suspended';
  if (hasCondition(o, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(o, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

const jobColumns: Column[] = [
  NAME,
  {
    name: 'Status',
    type: 'string',
    description: 'Status of the job.',
    cell: jobStatus,
  },
  {
    name: 'Completions',
    type: 'string',
    description: 'The desired number of successfully finished pods the job should be run with.',
    cell: (o) => {
      const succeeded = replicas(o, 'succeeded');
      const completions = at(o, 'spec', 'completions');
      const parallelism = at(o, 'spec', 'parallelism');
      if (typeof completions === 'number') return `${succeeded}/${completions}`;
      if (typeof parallelism === 'number' && parallelism > 1) return `${succeeded}/1 of ${parallelism}`;
      return `${succeeded}/1`;
    },
  },
  {
    name: 'Duration',
    type: 'string',
    description: 'Time required to complete the job.',
    cell: (o, now) => {
      const start = at(o, 'status', 'startTime');
      const end = at(o, 'status', 'completionTime');
      if (typeof start !== 'string') return '';
      return humanDuration((typeof end === 'string' ? Date.parse(end) : now.getTime()) - Date.parse(start));
    },
  },
  AGE,
  ...templateColumns(true),
];

/** The involved object as kubectl prints it: `kind/name` in lower-case kind. */
function eventObject(o: KubeObject): string {
  const kind = String(at(o, 'involvedObject', 'kind') ?? '').toLowerCase();
  const name = at(o, 'involvedObject', 'name');
  return typeof name === 'string' && name ? `${kind}/${name}` : kind;
}

function eventTimes(o: KubeObject, now: Date): { first: string; last: string; count: number } {
  const firstTimestamp = at(o, 'firstTimestamp');
  const first = firstTimestamp ? since(now, firstTimestamp) : since(now, at(o, 'eventTime'));
  let last = at(o, 'lastTimestamp') ? since(now, at(o, 'lastTimestamp')) : first;
  let count = Number(at(o, 'count') ?? 0);
  const series = at(o, 'series');
  if (isObj(series)) {
    last = since(now, series.lastObservedTime);
    count = Number(series.count ?? 0);
  } else if (count === 0) count = 1;
  return { first, last, count };
}

const nonEmpty = (...values: unknown[]): string =>
  (values.find((v) => typeof v === 'string' && v !== '') as string | undefined) ?? '';

const eventColumns: Column[] = [
  {
    name: 'Last Seen',
    type: 'string',
    description: 'The time at which the most recent occurrence of this event was recorded.',
    cell: (o, now) => eventTimes(o, now).last,
  },
  {
    name: 'Type',
    type: 'string',
    description: 'Type of this event (Normal, Warning), new types could be added in the future',
    cell: (o) => at(o, 'type') ?? '',
  },
  {
    name: 'Reason',
    type: 'string',
    description:
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    cell: (o) => at(o, 'reason') ?? '',
  },
  {
    name: 'Object',
    type: 'string',
    description: 'The object that this event is about.',
    cell: eventObject,
  },
  {
    name: 'Subobject',
    type: 'string',
    priority: 1,
    description:
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
    cell: (o) => at(o, 'involvedObject', 'fieldPath') ?? '',
  },
  {
    name: 'Source',
    type: 'string',
    priority: 1,
    description: 'The component reporting this event. Should be a short machine understandable string.',
    cell: (o) => {
      const component = nonEmpty(at(o, 'source', 'component'), at(o, 'reportingComponent'));
      const instance = nonEmpty(at(o, 'source', 'host'), at(o, 'reportingInstance'));
      return instance ? `${component}, ${instance}` : component;
    },
  },
  {
    name: 'Message',
    type: 'string',
    description: 'A human-readable description of the status of this operation.',
    cell: (o) => String(at(o, 'message') ?? '').trim(),
  },
  {
    name: 'First Seen',
    type: 'string',
    priority: 1,
    description: 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
    cell: (o, now) => eventTimes(o, now).first,
  },
  {
    name: 'Count',
    type: 'string',
    priority: 1,
    description: 'The number of times this event has occurred.',
    cell: (o, now) => eventTimes(o, now).count,
  },
  { ...NAME, priority: 1 },
];

function nodeAddress(o: KubeObject, type: string): string {
  const address = list(at(o, 'status', 'addresses')).find((a) => a.type === type)?.address;
  return typeof address === 'string' && address ? address : '<none>';
}

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const nodeColumns: Column[] = [
  NAME,
  {
    name: 'Status',
    type: 'string',
    description: 'The status of the node',
    cell: (o) => {
      const ready = list(at(o, 'status', 'conditions')).find((c) => c.type === 'Ready');
      const status = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
      return at(o, 'spec', 'unschedulable') === true ? `${status},SchedulingDisabled` : status;
    },
  },
  {
    name: 'Roles',
    type: 'string',
    description: 'The roles of the node',
    cell: (o) => {
      const labels = o.metadata.labels ?? {};
      const roles = new Set<string>();
      for (const [k, v] of Object.entries(labels)) {
        if (k.startsWith(NODE_ROLE_PREFIX) && k.length > NODE_ROLE_PREFIX.length)
          roles.add(k.slice(NODE_ROLE_PREFIX.length));
        else if (k === 'kubernetes.io/role' && v) roles.add(v);
      }
      return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
    },
  },
  AGE,
  {
    name: 'Version',
    type: 'string',
    description: 'Kubelet Version reported by the node.',
    cell: (o) => at(o, 'status', 'nodeInfo', 'kubeletVersion') ?? '',
  },
  {
    name: 'Internal-IP',
    type: 'string',
    priority: 1,
    description: 'List of addresses reachable to the node. Queried from cloud provider, if available.',
    cell: (o) => nodeAddress(o, 'InternalIP'),
  },
  {
    name: 'External-IP',
    type: 'string',
    priority: 1,
    description: 'List of addresses reachable to the node. Queried from cloud provider, if available.',
    cell: (o) => nodeAddress(o, 'ExternalIP'),
  },
  {
    name: 'OS-Image',
    type: 'string',
    priority: 1,
    description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
    cell: (o) => nonEmpty(at(o, 'status', 'nodeInfo', 'osImage')) || '<unknown>',
  },
  {
    name: 'Kernel-Version',
    type: 'string',
    priority: 1,
    description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    cell: (o) => nonEmpty(at(o, 'status', 'nodeInfo', 'kernelVersion')) || '<unknown>',
  },
  {
    name: 'Container-Runtime',
    type: 'string',
    priority: 1,
    description:
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
    cell: (o) => nonEmpty(at(o, 'status', 'nodeInfo', 'containerRuntimeVersion')) || '<unknown>',
  },
];

const BUILTIN_COLUMNS: Record<string, Column[]> = {
  '/events': eventColumns,
  '/pods': podColumns,
  'apps/deployments': deploymentColumns,
  'apps/replicasets': replicaSetColumns,
  'apps/statefulsets': statefulSetColumns,
  'apps/daemonsets': daemonSetColumns,
  'batch/jobs': jobColumns,
  'coordination.k8s.io/leases': [
    NAME,
    {
      name: 'Holder',
      type: 'string',
      description: 'The holder of the lease.',
      cell: (o) => at(o, 'spec', 'holderIdentity') ?? '',
    },
    AGE,
  ],
  '/namespaces': [
    NAME,
    {
      name: 'Status',
      type: 'string',
      description: 'The status of the namespace',
      cell: (o) => at(o, 'status', 'phase') ?? '',
    },
    AGE,
  ],
  '/configmaps': [
    NAME,
    {
      name: 'Data',
      type: 'integer',
      description: 'Number of data entries.',
      cell: (o) => Object.keys({ ...(at(o, 'data') as object), ...(at(o, 'binaryData') as object) }).length,
    },
    AGE,
  ],
  '/nodes': nodeColumns,
};

/** Columns of a CRD version's additionalPrinterColumns (simple `.a.b` JSONPaths), else Name and Age. */
function customColumns(printerColumns: unknown): Column[] {
  const defs = list(printerColumns);
  if (defs.length === 0) return [NAME, AGE];
  return [
    NAME,
    ...defs.map((d): Column => {
      const path = String(d.jsonPath ?? '')
        .replace(/^\./, '')
        .split('.')
        .filter(Boolean);
      const type = String(d.type ?? 'string');
      return {
        name: String(d.name ?? ''),
        type: (['integer', 'number', 'boolean', 'date'].includes(type) ? type : 'string') as Column['type'],
        priority: Number(d.priority ?? 0),
        description: String(d.description ?? ''),
        cell: (o, now) => {
          const v = at(o, ...path);
          if (type === 'date' && typeof v === 'string') return humanDuration(now.getTime() - Date.parse(v));
          return v ?? null;
        },
      };
    }),
    ...(defs.some((d) => d.name === 'Age') ? [] : [AGE]),
  ];
}

/** The Table version an Accept header asks for, if a Table range comes before plain JSON. */
export function negotiateTable(accept: string | undefined): 'v1' | 'v1beta1' | undefined {
  for (const r of parseAccept(accept)) {
    const json = r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*';
    if (!json) continue;
    if (
      r.params.as === 'Table' &&
      r.params.g === 'meta.k8s.io' &&
      (r.params.v === 'v1' || r.params.v === 'v1beta1')
    )
      return r.params.v;
    if (r.params.as === undefined) return undefined;
  }
  return undefined;
}

function columnsOf(info: ResourceInfo): Column[] {
  if (info.custom) return customColumns(info.custom.printerColumns);
  return BUILTIN_COLUMNS[`${info.group}/${info.resource}`] ?? [NAME, AGE];
}

export interface TableOptions {
  /** includeObject: Object (the full object), None, or Metadata (the default: PartialObjectMetadata). */
  readonly includeObject: string | undefined;
  readonly resourceVersion?: string;
  readonly continue?: string;
  /** False for watch events after the first, which kube-apiserver sends without column definitions. */
  readonly withColumns?: boolean;
}

/** Renders objects as a meta.k8s.io Table, as kubectl get asks for. */
export function renderTable(
  info: ResourceInfo,
  version: 'v1' | 'v1beta1',
  objects: readonly KubeObject[],
  options: TableOptions,
): Obj {
  const columns = columnsOf(info);
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: {
      ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
      ...(options.continue ? { continue: options.continue } : {}),
    },
    columnDefinitions:
      options.withColumns === false
        ? []
        : columns.map((c) => ({
            name: c.name,
            type: c.type,
            format: c.format ?? '',
            description: c.description,
            priority: c.priority ?? 0,
          })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object:
        options.includeObject === 'Object'
          ? o
          : options.includeObject === 'None'
            ? null
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
