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
];

const replicas = (o: KubeObject, key: string) => Number(at(o, 'status', key) ?? 0);
const workloadColumns: Column[] = [
  NAME,
  {
    name: 'Ready',
    type: 'string',
    description: 'Number of the pods ready out of desired.',
    cell: (o) => `${replicas(o, 'readyReplicas')}/${Number(at(o, 'spec', 'replicas') ?? 0)}`,
  },
  {
    name: 'Up-to-date',
    type: 'integer',
    description: 'Total number of non-terminated pods with the desired template.',
    cell: (o) => replicas(o, 'updatedReplicas'),
  },
  {
    name: 'Available',
    type: 'integer',
    description: 'Total number of available pods.',
    cell: (o) => replicas(o, 'availableReplicas'),
  },
  AGE,
];

const since = (t: unknown, now: Date) =>
  typeof t === 'string' && t ? humanDuration(now.getTime() - Date.parse(t)) : '<unknown>';
const firstNonEmpty = (...values: unknown[]) =>
  values.find((v) => typeof v === 'string' && v !== '') as string;

/** kube's printEvent: timestamps from first/lastTimestamp, else eventTime and series (events.k8s.io-style). */
function eventSummary(o: KubeObject, now: Date) {
  const first = at(o, 'firstTimestamp')
    ? since(at(o, 'firstTimestamp'), now)
    : since(at(o, 'eventTime'), now);
  const series = at(o, 'series');
  const count = isObj(series) ? Number(series.count ?? 0) : Number(at(o, 'count') ?? 0) || 1;
  const last = isObj(series)
    ? since(series.lastObservedTime, now)
    : at(o, 'lastTimestamp')
      ? since(at(o, 'lastTimestamp'), now)
      : first;
  return { first, last, count };
}

const eventColumns: Column[] = [
  {
    name: 'Last Seen',
    type: 'string',
    description: 'The time at which the most recent occurrence of this event was recorded.',
    cell: (o, now) => eventSummary(o, now).last,
  },
  {
    name: 'Type',
    type: 'string',
    description: 'Type of this event (Normal, Warning), new types could be added in the future.',
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
    cell: (o) => {
      const kind = String(at(o, 'involvedObject', 'kind') ?? '').toLowerCase();
      const name = at(o, 'involvedObject', 'name');
      return typeof name === 'string' && name ? `${kind}/${name}` : kind;
    },
  },
  {
    name: 'Subobject',
    type: 'string',
    priority: 1,
    description: 'The subobject (field path) that this event is about.',
    cell: (o) => at(o, 'involvedObject', 'fieldPath') ?? '',
  },
  {
    name: 'Source',
    type: 'string',
    priority: 1,
    description: 'The component reporting this event.',
    cell: (o) => {
      const component = firstNonEmpty(at(o, 'source', 'component'), at(o, 'reportingComponent'));
      const instance = firstNonEmpty(at(o, 'source', 'host'), at(o, 'reportingInstance'));
      if (!component) return '<unknown>';
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
    description: 'The time at which the event was first recorded.',
    cell: (o, now) => eventSummary(o, now).first,
  },
  {
    name: 'Count',
    type: 'string',
    priority: 1,
    description: 'The number of times this event has occurred.',
    cell: (o, now) => eventSummary(o, now).count,
  },
  { ...NAME, format: '', priority: 1 },
];

const BUILTIN_COLUMNS: Record<string, Column[]> = {
  '/events': eventColumns,
  '/pods': podColumns,
  'apps/deployments': workloadColumns,
  '/namespaces': [
    NAME,
    {
      name: 'Status',
      type: 'string',
      description: 'The phase of the namespace.',
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
  '/nodes': [
    NAME,
    {
      name: 'Status',
      type: 'string',
      description: 'The status of the node.',
      cell: (o) =>
        list(at(o, 'status', 'conditions')).find((c) => c.type === 'Ready')?.status === 'True'
          ? 'Ready'
          : 'NotReady',
    },
    AGE,
  ],
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
