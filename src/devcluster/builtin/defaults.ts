/**
 * Defaulting of built-in kinds as kube-apiserver 1.32 applies it: the scheme's SetDefaults_* functions (run on every
 * decode), plus — when `operation` is 'create' — the create-time work of the registry strategies (PrepareForCreate)
 * and of the default admission plugins that touch pods (ServiceAccount, Priority, DefaultTolerationSeconds).
 * Everything here is pure: the input is never mutated, a defaulted copy is returned.
 */
import type { KubeObject } from '../api/types.ts';
import type { Obj } from '../../kube/container-defaults.ts';
import {
  defaultContainerInPlace,
  defaultFieldRef,
  eachObj,
  ensureObj,
  isObj,
  objAt,
  setIfUnset,
} from '../../kube/container-defaults.ts';

export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface DefaultingOptions {
  /** 'create' (the default) also applies create-time strategy and admission defaults; 'update' only the scheme's. */
  operation?: 'create' | 'update';
  /** The object is the caller's own copy: default it in place rather than copying it first. */
  inPlace?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Pod specs (containers: src/kube/container-defaults.ts)

const DEFAULT_MODE = 0o644; // 420

function defaultPvcSpec(spec: Obj): void {
  setIfUnset(spec, 'volumeMode', 'Filesystem');
}

function defaultVolume(volume: Obj): void {
  const sources = Object.keys(volume).filter(
    (k) => k !== 'name' && volume[k] !== null && volume[k] !== undefined,
  );
  if (sources.length === 0) volume.emptyDir = {};
  for (const key of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const source = objAt(volume, key);
    if (source) setIfUnset(source, 'defaultMode', DEFAULT_MODE);
  }
  const hostPath = objAt(volume, 'hostPath');
  if (hostPath && hostPath.type === undefined) hostPath.type = '';
  eachObj(objAt(volume, 'downwardAPI')?.items, defaultFieldRef);
  eachObj(objAt(volume, 'projected')?.sources, (source) => {
    eachObj(objAt(source, 'downwardAPI')?.items, defaultFieldRef);
    const token = objAt(source, 'serviceAccountToken');
    if (token) setIfUnset(token, 'expirationSeconds', 3600);
  });
  const ephemeralSpec = objAt(objAt(objAt(volume, 'ephemeral') ?? {}, 'volumeClaimTemplate') ?? {}, 'spec');
  if (ephemeralSpec) defaultPvcSpec(ephemeralSpec);
}

/** SetDefaults_PodSpec and everything below it; shared by pods and every pod template. */
function defaultPodSpec(spec: Obj): void {
  setIfUnset(spec, 'dnsPolicy', 'ClusterFirst');
  setIfUnset(spec, 'restartPolicy', 'Always');
  setIfUnset(spec, 'terminationGracePeriodSeconds', 30);
  setIfUnset(spec, 'schedulerName', 'default-scheduler');
  ensureObj(spec, 'securityContext');
  // v1 conversion: serviceAccount is the deprecated alias of serviceAccountName and is echoed on output.
  if (!spec.serviceAccountName && typeof spec.serviceAccount === 'string' && spec.serviceAccount) {
    spec.serviceAccountName = spec.serviceAccount;
  }
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName) {
    spec.serviceAccount = spec.serviceAccountName;
  }
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    eachObj(spec[list], defaultContainerInPlace);
  }
  eachObj(spec.volumes, defaultVolume);
}

function defaultPodTemplate(template: unknown): void {
  if (!isObj(template)) return;
  defaultPodSpec(ensureObj(template, 'spec'));
}

/** SetDefaults_Pod: only for Pods, not for templates. */
function defaultPodOnly(pod: Obj): void {
  const spec = ensureObj(pod, 'spec');
  for (const list of ['initContainers', 'containers']) {
    eachObj(spec[list], (container) => {
      const resources = ensureObj(container, 'resources');
      const limits = objAt(resources, 'limits');
      if (!limits) return;
      const requests = ensureObj(resources, 'requests');
      for (const [name, quantity] of Object.entries(limits))
        if (requests[name] === undefined) requests[name] = quantity;
    });
  }
  setIfUnset(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const list of ['initContainers', 'containers']) {
      eachObj(spec[list], (container) =>
        eachObj(container.ports, (port) => setIfUnset(port, 'hostPort', port.containerPort)),
      );
    }
  }
}

const SYSTEM_PRIORITIES: Readonly<Record<string, number>> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};
const DEFAULT_TOLERATION_SECONDS = 300;
const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/** The ServiceAccount, Priority and DefaultTolerationSeconds admission plugins, as they mutate a new pod. */
function admitPod(pod: Obj): void {
  const spec = ensureObj(pod, 'spec');
  if (!spec.serviceAccountName) {
    spec.serviceAccountName = 'default';
    spec.serviceAccount = 'default';
  }
  const className = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  if (spec.priority === undefined) {
    if (className === '') spec.priority = 0;
    else if (SYSTEM_PRIORITIES[className] !== undefined) spec.priority = SYSTEM_PRIORITIES[className];
  }
  setIfUnset(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  const tolerations = Array.isArray(spec.tolerations) ? [...(spec.tolerations as unknown[])] : [];
  const tolerates = (taint: string) =>
    tolerations.some(
      (t) => isObj(t) && (!t.key || t.key === taint) && (!t.effect || t.effect === 'NoExecute'),
    );
  const added: Obj[] = [];
  for (const taint of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    if (!tolerates(taint)) {
      added.push({
        key: taint,
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: DEFAULT_TOLERATION_SECONDS,
      });
    }
  }
  if (added.length > 0) spec.tolerations = [...tolerations, ...added];
}

export const SERVICE_ACCOUNT_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_VOLUME_PREFIX = 'kube-api-access-';

/**
 * The ServiceAccount admission plugin's token volume, for a new pod: unless spec.automountServiceAccountToken is
 * false (or the service account says so: pass `automount: false`), every init and app container without a mount at
 * /var/run/secrets/kubernetes.io/serviceaccount gets a read-only mount of a projected `kube-api-access-<suffix>`
 * volume (token, kube-root-ca.crt, namespace), which is added to spec.volumes. `suffix` is the 5 random characters
 * kube-apiserver generates; the caller supplies them so that this stays pure.
 */
export function addServiceAccountTokenVolume(
  pod: KubeObject,
  suffix: string,
  options: { automount?: boolean } = {},
): KubeObject {
  const copy = structuredClone(pod) as KubeObject & Obj;
  const spec = ensureObj(copy, 'spec');
  const podSetting = spec.automountServiceAccountToken;
  if (podSetting === false || (podSetting !== true && options.automount === false)) return copy;
  const volumes = Array.isArray(spec.volumes) ? (spec.volumes as unknown[]) : [];
  const existing = volumes.find(
    (v) => isObj(v) && typeof v.name === 'string' && v.name.startsWith(TOKEN_VOLUME_PREFIX),
  );
  const volumeName = isObj(existing) ? String(existing.name) : `${TOKEN_VOLUME_PREFIX}${suffix}`;
  let needsVolume = false;
  for (const list of ['initContainers', 'containers']) {
    eachObj(spec[list], (container) => {
      const mounts = Array.isArray(container.volumeMounts) ? (container.volumeMounts as unknown[]) : [];
      if (mounts.some((m) => isObj(m) && m.mountPath === SERVICE_ACCOUNT_TOKEN_MOUNT_PATH)) return;
      container.volumeMounts = [
        ...mounts,
        { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_TOKEN_MOUNT_PATH },
      ];
      needsVolume = true;
    });
  }
  if (needsVolume && !existing) {
    spec.volumes = [
      ...volumes,
      {
        name: volumeName,
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
          defaultMode: DEFAULT_MODE,
        },
      },
    ];
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------------------------
// Pod status at create: phase Pending and the QoS class

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|(n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;
const BINARY: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A resource quantity as a number (close enough to compare requests with limits); NaN when it does not parse. */
export function quantityValue(quantity: unknown): number {
  if (typeof quantity === 'number') return quantity;
  if (typeof quantity !== 'string') return Number.NaN;
  const match = QUANTITY.exec(quantity.trim());
  if (!match) return Number.NaN;
  const [, number, binary, decimal, exponent] = match;
  const base = Number(number);
  if (binary) return base * (BINARY[binary] ?? 1);
  if (decimal) return base * (DECIMAL[decimal] ?? 1);
  if (exponent) return base * 10 ** Number(exponent);
  return base;
}

const QOS_RESOURCES = ['cpu', 'memory'];

/** GetPodQOS (without pod-level resources): BestEffort, Burstable or Guaranteed. */
export function podQOSClass(podSpec: unknown): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const requests: Record<string, number> = {};
  const limits: Record<string, number> = {};
  let guaranteed = true;
  const containers = isObj(podSpec)
    ? [podSpec.initContainers, podSpec.containers].flatMap((l) => (Array.isArray(l) ? l : []))
    : [];
  for (const container of containers) {
    const resources = isObj(container) ? objAt(container, 'resources') : undefined;
    const req = (resources && objAt(resources, 'requests')) ?? {};
    const lim = (resources && objAt(resources, 'limits')) ?? {};
    for (const name of QOS_RESOURCES) {
      const r = quantityValue(req[name]);
      if (r > 0) requests[name] = (requests[name] ?? 0) + r;
      const l = quantityValue(lim[name]);
      if (l > 0) limits[name] = (limits[name] ?? 0) + l;
    }
    if (!QOS_RESOURCES.every((name) => quantityValue(lim[name]) > 0)) guaranteed = false;
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (guaranteed) {
    const same = QOS_RESOURCES.every(
      (name) => requests[name] === undefined || requests[name] === limits[name],
    );
    if (same && Object.keys(requests).length === Object.keys(limits).length) return 'Guaranteed';
  }
  return 'Burstable';
}

/** podStrategy.PrepareForCreate: status is replaced by {phase: Pending, qosClass} (+ SchedulingGated). */
function preparePodStatus(pod: Obj): void {
  const spec = ensureObj(pod, 'spec');
  const status: Obj = { phase: 'Pending', qosClass: podQOSClass(spec) };
  if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    status.conditions = [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
        lastProbeTime: null,
        lastTransitionTime: null,
      },
    ];
  }
  pod.status = status;
}

// ---------------------------------------------------------------------------------------------------------------
// Workloads

function defaultDeployment(spec: Obj): void {
  setIfUnset(spec, 'replicas', 1);
  const strategy = ensureObj(spec, 'strategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureObj(strategy, 'rollingUpdate');
    setIfUnset(rollingUpdate, 'maxUnavailable', '25%');
    setIfUnset(rollingUpdate, 'maxSurge', '25%');
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  setIfUnset(spec, 'progressDeadlineSeconds', 600);
}

function defaultStatefulSet(spec: Obj): void {
  setIfUnset(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = ensureObj(spec, 'updateStrategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') setIfUnset(ensureObj(strategy, 'rollingUpdate'), 'partition', 0);
  const retention = ensureObj(spec, 'persistentVolumeClaimRetentionPolicy');
  setIfUnset(retention, 'whenDeleted', 'Retain');
  setIfUnset(retention, 'whenScaled', 'Retain');
  setIfUnset(spec, 'replicas', 1);
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  eachObj(spec.volumeClaimTemplates, (claim) => {
    setIfUnset(claim, 'apiVersion', 'v1');
    setIfUnset(claim, 'kind', 'PersistentVolumeClaim');
    defaultPvcSpec(ensureObj(claim, 'spec'));
    setIfUnset(ensureObj(claim, 'status'), 'phase', 'Pending');
  });
}

function defaultDaemonSet(spec: Obj): void {
  const strategy = ensureObj(spec, 'updateStrategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureObj(strategy, 'rollingUpdate');
    setIfUnset(rollingUpdate, 'maxUnavailable', 1);
    setIfUnset(rollingUpdate, 'maxSurge', 0);
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
}

function defaultJob(job: Obj): void {
  const spec = ensureObj(job, 'spec');
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setIfUnset(spec, 'parallelism', 1);
  if (spec.backoffLimit == null) spec.backoffLimit = spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  copyTemplateLabelsToJob(job);
  setIfUnset(spec, 'completionMode', 'NonIndexed');
  if (spec.suspend == null) spec.suspend = false;
  eachObj(objAt(spec, 'podFailurePolicy')?.rules, (rule) =>
    eachObj(rule.onPodConditions, (pattern) => setIfUnset(pattern, 'status', 'True')),
  );
  setIfUnset(spec, 'podReplacementPolicy', spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed');
  if (spec.manualSelector == null) spec.manualSelector = false;
}

/** SetDefaults_Job: a Job without labels takes its template's labels. */
function copyTemplateLabelsToJob(job: Obj): void {
  const templateLabels = objAt(objAt(objAt(job, 'spec') ?? {}, 'template') ?? {}, 'metadata')?.labels;
  const metadata = ensureObj(job, 'metadata');
  const own = objAt(metadata, 'labels');
  if (isObj(templateLabels) && (!own || Object.keys(own).length === 0))
    metadata.labels = { ...templateLabels };
}

function defaultCronJob(spec: Obj): void {
  setIfUnset(spec, 'concurrencyPolicy', 'Allow');
  if (spec.suspend == null) spec.suspend = false;
  setIfUnset(spec, 'successfulJobsHistoryLimit', 3);
  setIfUnset(spec, 'failedJobsHistoryLimit', 1);
}

export const JOB_LABELS = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  legacyControllerUid: 'controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyJobName: 'job-name',
} as const;

/**
 * jobStrategy.PrepareForCreate's generated selector, to be called once the server has assigned metadata.name and
 * metadata.uid: unless spec.manualSelector is true, the template gets the job-name and controller-uid labels (new and
 * legacy keys) and spec.selector.matchLabels gets batch.kubernetes.io/controller-uid. A Job whose labels were copied
 * from its template (or that has none) shows the generated labels too, as it does when kube-apiserver decodes it
 * from storage.
 */
export function applyJobSelectorDefaults(job: KubeObject): KubeObject {
  const copy = structuredClone(job) as KubeObject & Obj;
  const spec = ensureObj(copy, 'spec');
  if (spec.manualSelector === true) return copy;
  const name = copy.metadata.name ?? '';
  const uid = copy.metadata.uid ?? '';
  const templateMeta = ensureObj(ensureObj(spec, 'template'), 'metadata');
  const before = isObj(templateMeta.labels) ? { ...templateMeta.labels } : undefined;
  const labels = ensureObj(templateMeta, 'labels');
  for (const key of [JOB_LABELS.legacyJobName, JOB_LABELS.jobName]) if (!(key in labels)) labels[key] = name;
  for (const key of [JOB_LABELS.legacyControllerUid, JOB_LABELS.controllerUid])
    if (!(key in labels)) labels[key] = uid;
  const matchLabels = ensureObj(ensureObj(spec, 'selector'), 'matchLabels');
  if (!(JOB_LABELS.controllerUid in matchLabels)) matchLabels[JOB_LABELS.controllerUid] = uid;
  const own = copy.metadata.labels;
  const copiedFromTemplate = own !== undefined && before !== undefined && sameStringMap(own, before);
  if (!own || Object.keys(own).length === 0 || copiedFromTemplate)
    copy.metadata.labels = { ...(labels as Record<string, string>) };
  return copy;
}

function sameStringMap(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

// ---------------------------------------------------------------------------------------------------------------
// Core kinds other than pods

function defaultService(service: Obj): void {
  const spec = ensureObj(service, 'spec');
  setIfUnset(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = ensureObj(ensureObj(spec, 'sessionAffinityConfig'), 'clientIP');
    setIfUnset(clientIP, 'timeoutSeconds', 10800);
  }
  setIfUnset(spec, 'type', 'ClusterIP');
  eachObj(spec.ports, (port) => {
    setIfUnset(port, 'protocol', 'TCP');
    if (
      port.targetPort === undefined ||
      port.targetPort === null ||
      port.targetPort === 0 ||
      port.targetPort === ''
    ) {
      port.targetPort = port.port;
    }
  });
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer')
    setIfUnset(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type !== 'ExternalName') setIfUnset(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setIfUnset(spec, 'allocateLoadBalancerNodePorts', true);
  const status = ensureObj(service, 'status');
  ensureObj(status, 'loadBalancer');
}

function defaultNamespace(namespace: Obj, create: boolean): void {
  const metadata = ensureObj(namespace, 'metadata');
  if (typeof metadata.name === 'string' && metadata.name) {
    ensureObj(metadata, 'labels')['kubernetes.io/metadata.name'] = metadata.name;
  }
  if (create) ensureObj(namespace, 'spec').finalizers = ['kubernetes'];
  setIfUnset(ensureObj(namespace, 'status'), 'phase', 'Active');
}

// ---------------------------------------------------------------------------------------------------------------

/** Where each workload kind keeps its pod template. */
const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  'apps/Deployment': ['spec', 'template'],
  'apps/ReplicaSet': ['spec', 'template'],
  'apps/StatefulSet': ['spec', 'template'],
  'apps/DaemonSet': ['spec', 'template'],
  'batch/Job': ['spec', 'template'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
  '/PodTemplate': ['template'],
  '/ReplicationController': ['spec', 'template'],
};

function at(root: Obj, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of path) node = isObj(node) ? node[key] : undefined;
  return node;
}

/**
 * admissionregistration/v1 defaults of every webhook: failurePolicy Fail, matchPolicy Equivalent, empty selectors,
 * timeoutSeconds 10, rule scope `*`, service port 443, and (mutating only) reinvocationPolicy Never. sideEffects
 * and admissionReviewVersions have no default in v1 (validation requires them).
 */
function defaultWebhooks(configuration: Obj, mutating: boolean): void {
  eachObj(configuration.webhooks, (webhook) => {
    setIfUnset(webhook, 'failurePolicy', 'Fail');
    setIfUnset(webhook, 'matchPolicy', 'Equivalent');
    setIfUnset(webhook, 'namespaceSelector', {});
    setIfUnset(webhook, 'objectSelector', {});
    setIfUnset(webhook, 'timeoutSeconds', 10);
    if (mutating) setIfUnset(webhook, 'reinvocationPolicy', 'Never');
    eachObj(webhook.rules, (rule) => setIfUnset(rule, 'scope', '*'));
    const service = isObj(webhook.clientConfig) ? webhook.clientConfig.service : undefined;
    if (isObj(service)) setIfUnset(service, 'port', 443);
  });
}

type Defaulter = (object: KubeObject & Obj, create: boolean) => void;

/** kube-apiserver's defaulting of each built-in kind with defaults, by `group/Kind`, after the pod template's. */
const DEFAULTERS = new Map<string, Defaulter>([
  [
    '/Pod',
    (pod, create) => {
      defaultPodSpec(ensureObj(pod, 'spec'));
      defaultPodOnly(pod);
      if (create) {
        admitPod(pod);
        preparePodStatus(pod);
      }
    },
  ],
  ['apps/Deployment', (d) => defaultDeployment(ensureObj(d, 'spec'))],
  ['apps/ReplicaSet', (rs) => setIfUnset(ensureObj(rs, 'spec'), 'replicas', 1)],
  ['/ReplicationController', (rc) => setIfUnset(ensureObj(rc, 'spec'), 'replicas', 1)],
  ['apps/StatefulSet', (sts) => defaultStatefulSet(ensureObj(sts, 'spec'))],
  ['apps/DaemonSet', (ds) => defaultDaemonSet(ensureObj(ds, 'spec'))],
  ['batch/Job', (job) => defaultJob(job)],
  ['batch/CronJob', (cronJob) => defaultCronJob(ensureObj(cronJob, 'spec'))],
  ['/Service', (service) => defaultService(service)],
  ['/Namespace', (namespace, create) => defaultNamespace(namespace, create)],
  ['/Secret', (secret) => setIfUnset(secret, 'type', 'Opaque')],
  ['admissionregistration.k8s.io/MutatingWebhookConfiguration', (c) => defaultWebhooks(c, true)],
  ['admissionregistration.k8s.io/ValidatingWebhookConfiguration', (c) => defaultWebhooks(c, false)],
  [
    '/PersistentVolumeClaim',
    (pvc) => {
      defaultPvcSpec(ensureObj(pvc, 'spec'));
      setIfUnset(ensureObj(pvc, 'status'), 'phase', 'Pending');
    },
  ],
]);

/** Defaults a built-in object as kube-apiserver 1.32 does. Kinds without defaults are returned as a plain copy. */
export function applyDefaults(
  kind: GroupKind,
  object: KubeObject,
  options: DefaultingOptions = {},
): KubeObject {
  const copy = (options.inPlace ? object : structuredClone(object)) as KubeObject & Obj;
  const key = `${kind.group}/${kind.kind}`;
  const templatePath = POD_TEMPLATE_PATHS[key];
  if (templatePath) defaultPodTemplate(at(copy, templatePath));
  DEFAULTERS.get(key)?.(copy, (options.operation ?? 'create') === 'create');
  return copy;
}
