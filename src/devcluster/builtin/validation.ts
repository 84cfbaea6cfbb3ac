/**
 * Validation of built-in kinds with kube-apiserver 1.32's field paths, cause reasons and messages
 * (pkg/apis/core/validation, apps, batch, rbac, coordination, events). It covers the rules that clients of the
 * devcluster meet in practice, not the whole of upstream validation; docs/devcluster.md lists what is left out.
 * Objects are expected after defaulting (see defaults.ts), as kube-apiserver validates them.
 */
import type { KubeObject, StatusCause } from '../api/types.ts';
import { getOwn, isJsonObject, jsonEqual } from '../util/json.ts';
import { quantityValue } from './defaults.ts';
import type { GroupKind } from './defaults.ts';
import {
  GoLiteral,
  IMMUTABLE,
  fieldError,
  goLabelSelector,
  goStringMap,
  goStringSlice,
  root,
} from './field-errors.ts';
import type { FieldPath } from './field-errors.ts';
import {
  annotationsSize,
  inclusiveRangeError,
  TOTAL_ANNOTATION_SIZE_LIMIT,
  validateConfigMapKey,
  validateDNS1035Label,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateEnvVarName,
  validateLabelValue,
  validatePathSegmentName,
  validatePortName,
  validatePortNumber,
  validateQualifiedName,
} from '../../kube/name-rules.ts';

type Obj = Record<string, unknown>;
type Causes = StatusCause[];

const obj = (v: unknown): Obj => (isJsonObject(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const has = (v: unknown): boolean => v !== undefined && v !== null;

// ---------------------------------------------------------------------------------------------------------------
// Object metadata

type NameRule = (name: string) => string[];

interface KindRules {
  namespaced: boolean;
  name: NameRule;
  create?: (o: Obj) => Causes;
  update?: (oldObject: Obj, newObject: Obj) => Causes;
}

function validateLabels(labels: unknown, path: FieldPath): Causes {
  const out: Causes = [];
  for (const [key, value] of Object.entries(obj(labels))) {
    for (const msg of validateQualifiedName(key)) out.push(fieldError.invalid(path, key, msg));
    for (const msg of validateLabelValue(str(value))) out.push(fieldError.invalid(path, value, msg));
  }
  return out;
}

function validateAnnotations(annotations: unknown, path: FieldPath): Causes {
  const out: Causes = [];
  const map = obj(annotations);
  for (const key of Object.keys(map)) {
    for (const msg of validateQualifiedName(key.toLowerCase())) out.push(fieldError.invalid(path, key, msg));
  }
  if (annotationsSize(map as Record<string, string>) > TOTAL_ANNOTATION_SIZE_LIMIT) {
    out.push(fieldError.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  }
  return out;
}

function validateObjectMeta(
  meta: Obj,
  rules: Pick<KindRules, 'namespaced' | 'name'>,
  path: FieldPath,
): Causes {
  const out: Causes = [];
  const name = str(meta.name);
  const generateName = str(meta.generateName);
  if (generateName) {
    // The prefix is checked with its trailing dash masked, as maskTrailingDash does.
    const masked =
      generateName.endsWith('-') && generateName.length > 1 ? `${generateName.slice(0, -1)}a` : generateName;
    for (const msg of rules.name(masked))
      out.push(fieldError.invalid(path.child('generateName'), generateName, msg));
  }
  if (!name) out.push(fieldError.required(path.child('name'), 'name or generateName is required'));
  else for (const msg of rules.name(name)) out.push(fieldError.invalid(path.child('name'), name, msg));
  const namespace = str(meta.namespace);
  if (rules.namespaced) {
    if (!namespace) out.push(fieldError.required(path.child('namespace')));
    else
      for (const msg of validateDNS1123Label(namespace))
        out.push(fieldError.invalid(path.child('namespace'), namespace, msg));
  } else if (namespace) {
    out.push(fieldError.forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  out.push(...validateLabels(meta.labels, path.child('labels')));
  out.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  list(meta.finalizers).forEach((finalizer, i) => {
    for (const msg of validateQualifiedName(str(finalizer)))
      out.push(fieldError.invalid(path.child('finalizers').index(i), finalizer, msg));
  });
  return out;
}

function validateObjectMetaUpdate(oldMeta: Obj, newMeta: Obj, path: FieldPath): Causes {
  const out: Causes = [];
  for (const key of ['name', 'namespace', 'uid', 'creationTimestamp']) {
    if (has(oldMeta[key]) && oldMeta[key] !== newMeta[key]) {
      out.push(fieldError.invalid(path.child(key), newMeta[key] ?? '', IMMUTABLE));
    }
  }
  if (has(oldMeta.deletionTimestamp) && newMeta.deletionTimestamp !== oldMeta.deletionTimestamp) {
    out.push(
      fieldError.invalid(path.child('deletionTimestamp'), newMeta.deletionTimestamp ?? null, IMMUTABLE),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Pod specs

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const MAX_INT32 = 2147483647;

/** A list member's name: a DNS-1123 label, unique among its siblings (`seen` collects them); empty is required. */
function validateMemberName(name: string, path: FieldPath, seen: Set<string>): Causes {
  if (!name) return [fieldError.required(path)];
  const out = validateDNS1123Label(name).map((msg) => fieldError.invalid(path, name, msg));
  if (seen.has(name)) out.push(fieldError.duplicate(path, name));
  seen.add(name);
  return out;
}

function validateVolumes(volumes: unknown, path: FieldPath): { causes: Causes; names: Set<string> } {
  const out: Causes = [];
  const names = new Set<string>();
  list(volumes).forEach((raw, i) => {
    const volume = obj(raw);
    const at = path.index(i);
    out.push(...validateMemberName(str(volume.name), at.child('name'), names));
    const sources = Object.keys(volume).filter((k) => k !== 'name' && has(volume[k]));
    if (sources.length === 0) out.push(fieldError.required(at, 'must specify a volume type'));
    for (const extra of sources.slice(1))
      out.push(fieldError.forbidden(at.child(extra), 'may not specify more than 1 volume type'));
    const configMap = obj(volume.configMap);
    if (has(volume.configMap) && !str(configMap.name))
      out.push(fieldError.required(at.child('configMap', 'name')));
    const secret = obj(volume.secret);
    if (has(volume.secret) && !str(secret.secretName))
      out.push(fieldError.required(at.child('secret', 'secretName')));
    const pvc = obj(volume.persistentVolumeClaim);
    if (has(volume.persistentVolumeClaim) && !str(pvc.claimName)) {
      out.push(fieldError.required(at.child('persistentVolumeClaim', 'claimName')));
    }
  });
  return { causes: out, names };
}

function validateResources(resources: unknown, path: FieldPath): Causes {
  const out: Causes = [];
  const limits = obj(obj(resources).limits);
  const requests = obj(obj(resources).requests);
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if (has(limit) && quantityValue(request) > quantityValue(limit)) {
      out.push(
        fieldError.invalid(
          path.child('requests').key(name),
          request,
          `must be less than or equal to ${name} limit of ${String(limit)}`,
        ),
      );
    }
  }
  return out;
}

function validateContainer(
  container: Obj,
  path: FieldPath,
  volumeNames: Set<string>,
  seenNames: Set<string>,
  init: boolean,
): Causes {
  const out: Causes = [];
  const name = str(container.name);
  out.push(...validateMemberName(name, path.child('name'), seenNames));

  const image = str(container.image);
  if (!image) out.push(fieldError.required(path.child('image')));
  else if (image.trim() !== image)
    out.push(fieldError.invalid(path.child('image'), image, 'must not have leading or trailing whitespace'));

  const pullPolicy = str(container.imagePullPolicy);
  if (!pullPolicy) out.push(fieldError.required(path.child('imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pullPolicy))
    out.push(fieldError.notSupported(path.child('imagePullPolicy'), pullPolicy, PULL_POLICIES));

  const messagePolicy = str(container.terminationMessagePolicy);
  if (!messagePolicy) out.push(fieldError.required(path.child('terminationMessagePolicy')));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(messagePolicy)) {
    out.push(
      fieldError.notSupported(
        path.child('terminationMessagePolicy'),
        messagePolicy,
        TERMINATION_MESSAGE_POLICIES,
      ),
    );
  }

  if (has(container.restartPolicy)) {
    if (!init)
      out.push(fieldError.forbidden(path.child('restartPolicy'), 'may not be set for non-init containers'));
    else if (container.restartPolicy !== 'Always')
      out.push(fieldError.notSupported(path.child('restartPolicy'), container.restartPolicy, ['Always']));
  }

  const portNames = new Set<string>();
  list(container.ports).forEach((raw, i) => {
    const port = obj(raw);
    const at = path.child('ports').index(i);
    const portName = str(port.name);
    if (portName) {
      for (const msg of validatePortName(portName))
        out.push(fieldError.invalid(at.child('name'), portName, msg));
      if (portNames.has(portName)) out.push(fieldError.duplicate(at.child('name'), portName));
      portNames.add(portName);
    }
    if (!has(port.containerPort) || port.containerPort === 0)
      out.push(fieldError.required(at.child('containerPort')));
    else
      for (const msg of validatePortNumber(port.containerPort))
        out.push(fieldError.invalid(at.child('containerPort'), port.containerPort, msg));
    if (has(port.hostPort) && port.hostPort !== 0) {
      for (const msg of validatePortNumber(port.hostPort))
        out.push(fieldError.invalid(at.child('hostPort'), port.hostPort, msg));
    }
    const protocol = str(port.protocol);
    if (!protocol) out.push(fieldError.required(at.child('protocol')));
    else if (!PROTOCOLS.includes(protocol))
      out.push(fieldError.notSupported(at.child('protocol'), protocol, PROTOCOLS));
  });

  list(container.env).forEach((raw, i) => {
    const env = obj(raw);
    const at = path.child('env').index(i);
    const envName = str(env.name);
    if (!envName) out.push(fieldError.required(at.child('name')));
    else
      for (const msg of validateEnvVarName(envName))
        out.push(fieldError.invalid(at.child('name'), envName, msg));
    if (has(env.valueFrom) && has(env.value) && env.value !== '') {
      out.push(
        fieldError.invalid(at.child('valueFrom'), '', 'may not be specified when `value` is not empty'),
      );
    }
  });

  const mountPaths = new Set<string>();
  list(container.volumeMounts).forEach((raw, i) => {
    const mount = obj(raw);
    const at = path.child('volumeMounts').index(i);
    const mountName = str(mount.name);
    if (!mountName) out.push(fieldError.required(at.child('name')));
    if (!volumeNames.has(mountName)) out.push(fieldError.notFound(at.child('name'), mountName));
    const mountPath = str(mount.mountPath);
    if (!mountPath) out.push(fieldError.required(at.child('mountPath')));
    if (mountPaths.has(mountPath))
      out.push(fieldError.invalid(at.child('mountPath'), mountPath, 'must be unique'));
    mountPaths.add(mountPath);
  });

  out.push(...validateResources(container.resources, path.child('resources')));
  return out;
}

interface PodSpecContext {
  /** Allowed restart policies (workload templates restrict them). */
  restartPolicies?: readonly string[];
  /** A workload template: activeDeadlineSeconds is forbidden for ReplicaSets/Deployments/... */
  forbidActiveDeadline?: boolean;
}

function validatePodSpec(spec: Obj, path: FieldPath, context: PodSpecContext = {}): Causes {
  const out: Causes = [];
  const volumes = validateVolumes(spec.volumes, path.child('volumes'));
  out.push(...volumes.causes);
  const seen = new Set<string>();
  list(spec.initContainers).forEach((c, i) =>
    out.push(...validateContainer(obj(c), path.child('initContainers').index(i), volumes.names, seen, true)),
  );
  if (list(spec.containers).length === 0) out.push(fieldError.required(path.child('containers')));
  list(spec.containers).forEach((c, i) =>
    out.push(...validateContainer(obj(c), path.child('containers').index(i), volumes.names, seen, false)),
  );

  const restartPolicy = str(spec.restartPolicy);
  if (!restartPolicy) out.push(fieldError.required(path.child('restartPolicy')));
  else if (!RESTART_POLICIES.includes(restartPolicy))
    out.push(fieldError.notSupported(path.child('restartPolicy'), restartPolicy, RESTART_POLICIES));
  else if (context.restartPolicies && !context.restartPolicies.includes(restartPolicy)) {
    out.push(fieldError.notSupported(path.child('restartPolicy'), restartPolicy, context.restartPolicies));
  }
  const dnsPolicy = str(spec.dnsPolicy);
  if (!dnsPolicy) out.push(fieldError.required(path.child('dnsPolicy')));
  else if (!DNS_POLICIES.includes(dnsPolicy))
    out.push(fieldError.notSupported(path.child('dnsPolicy'), dnsPolicy, DNS_POLICIES));

  if (has(spec.activeDeadlineSeconds)) {
    const value = spec.activeDeadlineSeconds;
    if (context.forbidActiveDeadline) {
      out.push(
        fieldError.forbidden(
          path.child('activeDeadlineSeconds'),
          'activeDeadlineSeconds in ReplicaSet is not Supported',
        ),
      );
    } else if (typeof value !== 'number' || value < 1 || value > MAX_INT32) {
      out.push(
        fieldError.invalid(path.child('activeDeadlineSeconds'), value, inclusiveRangeError(1, MAX_INT32)),
      );
    }
  }
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    out.push(
      fieldError.invalid(
        path.child('terminationGracePeriodSeconds'),
        spec.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  }
  const serviceAccountName = str(spec.serviceAccountName);
  if (serviceAccountName) {
    for (const msg of validateDNS1123Subdomain(serviceAccountName))
      out.push(fieldError.invalid(path.child('serviceAccountName'), serviceAccountName, msg));
  }
  const nodeName = str(spec.nodeName);
  if (nodeName)
    for (const msg of validateDNS1123Subdomain(nodeName))
      out.push(fieldError.invalid(path.child('nodeName'), nodeName, msg));
  out.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  out.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  return out;
}

function validateTolerations(tolerations: unknown, path: FieldPath): Causes {
  const out: Causes = [];
  list(tolerations).forEach((raw, i) => {
    const t = obj(raw);
    const at = path.index(i);
    const key = str(t.key);
    if (key)
      for (const msg of validateQualifiedName(key)) out.push(fieldError.invalid(at.child('key'), key, msg));
    const operator = str(t.operator) || 'Equal';
    if (!key && operator !== 'Exists') {
      out.push(
        fieldError.invalid(
          at.child('operator'),
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (has(t.tolerationSeconds) && t.effect !== 'NoExecute') {
      out.push(
        fieldError.invalid(
          at.child('effect'),
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    if (operator === 'Exists' && str(t.value))
      out.push(
        fieldError.invalid(at.child('operator'), t.value, "value must be empty when `operator` is 'Exists'"),
      );
    else if (operator !== 'Exists' && operator !== 'Equal')
      out.push(fieldError.notSupported(at.child('operator'), operator, ['Equal', 'Exists']));
    const effect = str(t.effect);
    if (effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) {
      out.push(
        fieldError.notSupported(at.child('effect'), effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
      );
    }
  });
  return out;
}

function validatePod(pod: Obj): Causes {
  return validatePodSpec(obj(pod.spec), root('spec'));
}

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function validatePodUpdate(oldPod: Obj, newPod: Obj): Causes {
  const out: Causes = [];
  const oldSpec = obj(oldPod.spec);
  const newSpec = obj(newPod.spec);
  const spec = root('spec');
  for (const key of ['containers', 'initContainers']) {
    const oldList = list(oldSpec[key]);
    const newList = list(newSpec[key]);
    if (oldList.length !== newList.length) {
      out.push(fieldError.forbidden(spec.child(key), 'pod updates may not add or remove containers'));
      return out;
    }
  }
  const deadline = newSpec.activeDeadlineSeconds;
  if (has(deadline)) {
    if (typeof deadline !== 'number' || deadline < 0 || deadline > MAX_INT32) {
      out.push(
        fieldError.invalid(spec.child('activeDeadlineSeconds'), deadline, inclusiveRangeError(0, MAX_INT32)),
      );
      return out;
    }
    if (typeof oldSpec.activeDeadlineSeconds === 'number' && oldSpec.activeDeadlineSeconds < deadline) {
      out.push(
        fieldError.invalid(
          spec.child('activeDeadlineSeconds'),
          deadline,
          'must be less than or equal to previous value',
        ),
      );
      return out;
    }
  } else if (has(oldSpec.activeDeadlineSeconds)) {
    out.push(
      fieldError.invalid(
        spec.child('activeDeadlineSeconds'),
        null,
        'must not update from a positive integer to nil value',
      ),
    );
  }
  // Tolerations: every old one must still be there (its tolerationSeconds may change).
  const newTolerations = list(newSpec.tolerations).map(obj);
  for (const old of list(oldSpec.tolerations).map(obj)) {
    const kept = newTolerations.some((t) =>
      jsonEqual(
        { ...old, tolerationSeconds: t.tolerationSeconds },
        { ...t, tolerationSeconds: t.tolerationSeconds },
      ),
    );
    if (!kept) {
      out.push(
        fieldError.forbidden(
          spec.child('tolerations'),
          'existing toleration can not be modified except its tolerationSeconds',
        ),
      );
      break;
    }
  }
  // Scheduling gates: only removals.
  const oldGates = new Set(list(oldSpec.schedulingGates).map((g) => str(obj(g).name)));
  list(newSpec.schedulingGates).forEach((g, i) => {
    const name = str(obj(g).name);
    if (!oldGates.has(name)) {
      out.push(
        fieldError.forbidden(
          spec.child('schedulingGates').index(i).child('name'),
          `only deletion is allowed, but found new scheduling gate '${name}'`,
        ),
      );
    }
  });
  // Everything else must be unchanged: munge the mutable fields to their old values and compare.
  const munged: Obj = { ...newSpec };
  for (const key of ['containers', 'initContainers']) {
    if (has(newSpec[key])) {
      munged[key] = list(newSpec[key]).map((c, i) => ({
        ...obj(c),
        image: obj(list(oldSpec[key])[i]).image,
      }));
    }
  }
  for (const key of ['activeDeadlineSeconds', 'schedulingGates', 'tolerations']) {
    if (has(oldSpec[key])) munged[key] = oldSpec[key];
    else delete munged[key];
  }
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!jsonEqual(stripEmpty(munged), stripEmpty(oldSpec))) {
    out.push(fieldError.forbidden(spec, `${POD_UPDATE_FORBIDDEN}\n${specDiff(oldSpec, munged, 'spec')}`));
  }
  return out;
}

/** Drops null members and empty lists, so that they compare equal to absent ones as they do for Go structs. */
function stripEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripEmpty);
  if (!isJsonObject(value)) return value;
  // apiequality.Semantic treats a nil slice and an empty one as equal; absent and null are both nil.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => [k, stripEmpty(v)]),
  );
}

/** A readable list of the changed paths (kube-apiserver prints a go-cmp diff of the Go structs instead). */
function specDiff(oldValue: unknown, newValue: unknown, path: string): string {
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, at: string) => {
    if (jsonEqual(stripEmpty(a), stripEmpty(b))) return;
    if (isJsonObject(a) && isJsonObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], `${at}.${key}`);
    } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${at}[${i}]`));
    } else {
      lines.push(`- ${at}: ${JSON.stringify(a ?? null)}`, `+ ${at}: ${JSON.stringify(b ?? null)}`);
    }
  };
  walk(oldValue, newValue, path);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors and workload templates

export function validateSelector(selector: unknown, path: FieldPath): Causes {
  const out: Causes = [];
  const s = obj(selector);
  out.push(...validateLabels(s.matchLabels, path.child('matchLabels')));
  list(s.matchExpressions).forEach((raw, i) => {
    const expr = obj(raw);
    const at = path.child('matchExpressions').index(i);
    const operator = str(expr.operator);
    const values = list(expr.values);
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0)
        out.push(
          fieldError.required(at.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"),
        );
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0)
        out.push(
          fieldError.forbidden(
            at.child('values'),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
    } else {
      out.push(fieldError.invalid(at.child('operator'), operator, 'not a valid selector operator'));
    }
    for (const msg of validateQualifiedName(str(expr.key)))
      out.push(fieldError.invalid(at.child('key'), expr.key ?? '', msg));
  });
  return out;
}

/** Whether a LabelSelector selects a label set (matchLabels AND matchExpressions). */
export function selectorMatches(selector: unknown, labels: unknown): boolean {
  const s = obj(selector);
  const l = obj(labels);
  for (const [k, v] of Object.entries(obj(s.matchLabels))) if (getOwn(l, k) !== v) return false;
  for (const raw of list(s.matchExpressions)) {
    const expr = obj(raw);
    const key = str(expr.key);
    const present = Object.hasOwn(l, key);
    const values = list(expr.values);
    switch (expr.operator) {
      case 'In':
        if (!present || !values.includes(l[key])) return false;
        break;
      case 'NotIn':
        if (present && values.includes(l[key])) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

const isEmptySelector = (selector: unknown) =>
  Object.keys(obj(obj(selector).matchLabels)).length === 0 &&
  list(obj(selector).matchExpressions).length === 0;

interface WorkloadRules {
  kindLabel: string;
  restartPolicies: readonly string[];
  forbidActiveDeadline: boolean;
}

/** The selector/template rules shared by Deployments, ReplicaSets, StatefulSets and DaemonSets. */
function validateSelectorAndTemplate(spec: Obj, path: FieldPath, rules: WorkloadRules): Causes {
  const out: Causes = [];
  const selectorPath = path.child('selector');
  if (!has(spec.selector)) {
    out.push(fieldError.required(selectorPath));
  } else {
    out.push(...validateSelector(spec.selector, selectorPath));
    if (isEmptySelector(spec.selector))
      out.push(
        fieldError.invalid(
          selectorPath,
          goLabelSelector(spec.selector),
          `empty selector is invalid for ${rules.kindLabel}`,
        ),
      );
  }
  const template = obj(spec.template);
  const templatePath = path.child('template');
  if (!has(spec.template)) {
    out.push(fieldError.required(templatePath));
    return out;
  }
  const templateLabels = obj(obj(template.metadata).labels);
  if (
    has(spec.selector) &&
    !isEmptySelector(spec.selector) &&
    !selectorMatches(spec.selector, templateLabels)
  ) {
    out.push(
      fieldError.invalid(
        templatePath.child('metadata', 'labels'),
        goStringMap(obj(template.metadata).labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  out.push(...validateLabels(obj(template.metadata).labels, templatePath.child('metadata', 'labels')));
  out.push(
    ...validateAnnotations(obj(template.metadata).annotations, templatePath.child('metadata', 'annotations')),
  );
  out.push(
    ...validatePodSpec(obj(template.spec), templatePath.child('spec'), {
      restartPolicies: rules.restartPolicies,
      forbidActiveDeadline: rules.forbidActiveDeadline,
    }),
  );
  return out;
}

/** Each of `keys` of `spec`, where set, is a number of at least 0. */
function nonNegative(spec: Obj, keys: readonly string[], path: FieldPath): Causes {
  return keys
    .filter((key) => has(spec[key]) && (typeof spec[key] !== 'number' || spec[key] < 0))
    .map((key) => fieldError.invalid(path.child(key), spec[key], 'must be greater than or equal to 0'));
}

const APPS_TEMPLATE: Omit<WorkloadRules, 'kindLabel'> = {
  restartPolicies: ['Always'],
  forbidActiveDeadline: true,
};

function validateDeployment(d: Obj): Causes {
  const spec = obj(d.spec);
  const path = root('spec');
  const out = [
    ...nonNegative(spec, ['replicas', 'minReadySeconds', 'revisionHistoryLimit'], path),
    ...validateSelectorAndTemplate(spec, path, { kindLabel: 'deployment', ...APPS_TEMPLATE }),
  ];
  const strategy = obj(spec.strategy);
  const type = str(strategy.type);
  const strategyPath = path.child('strategy');
  if (!['Recreate', 'RollingUpdate'].includes(type))
    out.push(fieldError.notSupported(strategyPath.child('type'), type, ['Recreate', 'RollingUpdate']));
  if (type === 'Recreate' && has(strategy.rollingUpdate)) {
    out.push(
      fieldError.forbidden(
        strategyPath.child('rollingUpdate'),
        "may not be specified when strategy `type` is 'Recreate'",
      ),
    );
  }
  if (type === 'RollingUpdate') {
    const rollingUpdate = obj(strategy.rollingUpdate);
    const isZero = (v: unknown) => v === 0 || v === '0%' || v === '0';
    if (isZero(rollingUpdate.maxUnavailable) && isZero(rollingUpdate.maxSurge)) {
      out.push(
        fieldError.invalid(
          strategyPath.child('rollingUpdate', 'maxUnavailable'),
          rollingUpdate.maxUnavailable,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
  }
  const deadline = spec.progressDeadlineSeconds;
  if (
    typeof deadline === 'number' &&
    deadline <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)
  ) {
    out.push(
      fieldError.invalid(
        path.child('progressDeadlineSeconds'),
        deadline,
        'must be greater than minReadySeconds',
      ),
    );
  }
  return out;
}

function validateReplicaSet(rs: Obj): Causes {
  const spec = obj(rs.spec);
  const path = root('spec');
  return [
    ...nonNegative(spec, ['replicas', 'minReadySeconds'], path),
    ...validateSelectorAndTemplate(spec, path, { kindLabel: 'deployment', ...APPS_TEMPLATE }),
  ];
}

function validateStatefulSet(sts: Obj): Causes {
  const spec = obj(sts.spec);
  const path = root('spec');
  const out = [
    ...nonNegative(spec, ['replicas', 'minReadySeconds'], path),
    ...validateSelectorAndTemplate(spec, path, { kindLabel: 'statefulset', ...APPS_TEMPLATE }),
  ];
  const policy = str(spec.podManagementPolicy);
  if (!['OrderedReady', 'Parallel'].includes(policy)) {
    out.push(
      fieldError.notSupported(path.child('podManagementPolicy'), policy, ['OrderedReady', 'Parallel']),
    );
  }
  const type = str(obj(spec.updateStrategy).type);
  if (!['OnDelete', 'RollingUpdate'].includes(type)) {
    out.push(
      fieldError.notSupported(path.child('updateStrategy', 'type'), type, ['OnDelete', 'RollingUpdate']),
    );
  }
  return out;
}

function validateDaemonSet(ds: Obj): Causes {
  const spec = obj(ds.spec);
  const path = root('spec');
  const out = [
    ...nonNegative(spec, ['minReadySeconds'], path),
    ...validateSelectorAndTemplate(spec, path, { kindLabel: 'daemonset', ...APPS_TEMPLATE }),
  ];
  const type = str(obj(spec.updateStrategy).type);
  if (!['OnDelete', 'RollingUpdate'].includes(type)) {
    out.push(
      fieldError.notSupported(path.child('updateStrategy', 'type'), type, ['OnDelete', 'RollingUpdate']),
    );
  }
  return out;
}

const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];

function validateJobSpec(spec: Obj, path: FieldPath, generatedSelector: boolean): Causes {
  const out = nonNegative(
    spec,
    ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished'],
    path,
  );
  const mode = spec.completionMode;
  if (has(mode) && !['NonIndexed', 'Indexed'].includes(str(mode))) {
    out.push(fieldError.notSupported(path.child('completionMode'), mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed' && !has(spec.completions)) {
    out.push(fieldError.required(path.child('completions'), 'when completion mode is Indexed'));
  }
  const template = obj(spec.template);
  const templatePath = path.child('template');
  if (!generatedSelector || has(spec.selector)) {
    if (!has(spec.selector)) out.push(fieldError.required(path.child('selector')));
    else {
      out.push(...validateSelector(spec.selector, path.child('selector')));
      const labels = obj(obj(template.metadata).labels);
      if (!selectorMatches(spec.selector, labels)) {
        out.push(
          fieldError.invalid(
            templatePath.child('metadata', 'labels'),
            goStringMap(obj(template.metadata).labels),
            '`selector` does not match template `labels`',
          ),
        );
      }
    }
  }
  const restartPolicy = str(obj(template.spec).restartPolicy);
  out.push(...validateLabels(obj(template.metadata).labels, templatePath.child('metadata', 'labels')));
  out.push(
    ...validatePodSpec(obj(template.spec), templatePath.child('spec'), {
      restartPolicies: JOB_RESTART_POLICIES,
    }),
  );
  if (restartPolicy === 'Always' && !out.some((c) => c.field === `${templatePath.path}.spec.restartPolicy`)) {
    out.push(
      fieldError.notSupported(
        templatePath.child('spec', 'restartPolicy'),
        restartPolicy,
        JOB_RESTART_POLICIES,
      ),
    );
  }
  return out;
}

function validateJob(job: Obj): Causes {
  const spec = obj(job.spec);
  // Before the server calls applyJobSelectorDefaults there is no selector yet; with manualSelector it is required.
  return validateJobSpec(spec, root('spec'), spec.manualSelector !== true);
}

const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];

function validateCronJob(cronJob: Obj): Causes {
  const spec = obj(cronJob.spec);
  const path = root('spec');
  const out: Causes = [];
  const name = str(obj(cronJob.metadata).name);
  if (name.length > 52)
    out.push(fieldError.invalid(root('metadata').child('name'), name, 'must be no more than 52 characters'));
  if (!str(spec.schedule)) out.push(fieldError.required(path.child('schedule')));
  else if (str(spec.schedule).trim().split(/\s+/).length !== 5 && !str(spec.schedule).startsWith('@')) {
    out.push(
      fieldError.invalid(
        path.child('schedule'),
        spec.schedule,
        `unparseable schedule: expected exactly 5 fields, found ${str(spec.schedule).trim().split(/\s+/).length}: ${str(spec.schedule)}`,
      ),
    );
  }
  const policy = str(spec.concurrencyPolicy);
  if (!CONCURRENCY_POLICIES.includes(policy))
    out.push(fieldError.notSupported(path.child('concurrencyPolicy'), policy, CONCURRENCY_POLICIES));
  out.push(
    ...nonNegative(
      spec,
      ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'],
      path,
    ),
  );
  out.push(...validateJobSpec(obj(obj(spec.jobTemplate).spec), path.child('jobTemplate', 'spec'), true));
  return out;
}

function immutable(
  oldValue: unknown,
  newValue: unknown,
  path: FieldPath,
  render: (value: unknown) => unknown = (value) => value ?? null,
): Causes {
  return jsonEqual(stripEmpty(oldValue), stripEmpty(newValue))
    ? []
    : [fieldError.invalid(path, render(newValue), IMMUTABLE)];
}

function validateSelectorUpdate(oldObject: Obj, newObject: Obj): Causes {
  return immutable(
    obj(oldObject.spec).selector,
    obj(newObject.spec).selector,
    root('spec').child('selector'),
    goLabelSelector,
  );
}

const STATEFULSET_UPDATE_FORBIDDEN =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

function validateStatefulSetUpdate(oldSts: Obj, newSts: Obj): Causes {
  const mutable = [
    'replicas',
    'ordinals',
    'template',
    'updateStrategy',
    'revisionHistoryLimit',
    'persistentVolumeClaimRetentionPolicy',
    'minReadySeconds',
  ];
  const strip = (spec: unknown) =>
    Object.fromEntries(Object.entries(obj(spec)).filter(([k]) => !mutable.includes(k)));
  if (!jsonEqual(stripEmpty(strip(oldSts.spec)), stripEmpty(strip(newSts.spec)))) {
    return [fieldError.forbidden(root('spec'), STATEFULSET_UPDATE_FORBIDDEN)];
  }
  return [];
}

function validateJobUpdate(oldJob: Obj, newJob: Obj): Causes {
  const oldSpec = obj(oldJob.spec);
  const newSpec = obj(newJob.spec);
  const path = root('spec');
  const out = [
    ...immutable(oldSpec.selector, newSpec.selector, path.child('selector'), goLabelSelector),
    ...immutable(oldSpec.template, newSpec.template, path.child('template')),
    ...immutable(oldSpec.completionMode, newSpec.completionMode, path.child('completionMode')),
    ...immutable(oldSpec.podFailurePolicy, newSpec.podFailurePolicy, path.child('podFailurePolicy')),
  ];
  // Completions may only change together with parallelism for Indexed jobs (elastic indexed jobs).
  const elastic = newSpec.completionMode === 'Indexed' && newSpec.completions === newSpec.parallelism;
  if (!elastic) out.push(...immutable(oldSpec.completions, newSpec.completions, path.child('completions')));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Core kinds other than pods

const DATA_SIZE_LIMIT = 1024 * 1024;

function validateDataKeys(o: Obj, fields: readonly string[]): Causes {
  const out: Causes = [];
  let total = 0;
  const seen = new Map<string, string>();
  for (const fieldName of fields) {
    for (const [key, value] of Object.entries(obj(o[fieldName]))) {
      const at = root(fieldName).key(key);
      for (const msg of validateConfigMapKey(key)) out.push(fieldError.invalid(at, key, msg));
      const other = seen.get(key);
      if (other !== undefined) out.push(fieldError.invalid(at, key, `duplicate of key present in ${other}`));
      seen.set(key, fieldName);
      total += typeof value === 'string' ? Buffer.byteLength(value) : 0;
    }
  }
  if (total > DATA_SIZE_LIMIT)
    out.push(
      fieldError.tooLong(root(fields[0] === 'data' && fields.length === 1 ? 'data' : ''), DATA_SIZE_LIMIT),
    );
  return out;
}

function validateImmutableData(oldObject: Obj, newObject: Obj, fields: readonly string[]): Causes {
  const out: Causes = [];
  if (oldObject.immutable === true) {
    if (newObject.immutable !== true)
      out.push(fieldError.forbidden(root('immutable'), 'field is immutable when `immutable` is set'));
    for (const fieldName of fields) {
      if (!jsonEqual(oldObject[fieldName] ?? {}, newObject[fieldName] ?? {})) {
        out.push(fieldError.forbidden(root(fieldName), 'field is immutable when `immutable` is set'));
      }
    }
  }
  return out;
}

const SECRET_REQUIRED_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/basic-auth': [],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

function validateSecret(secret: Obj): Causes {
  const out = validateDataKeys(secret, ['data', 'stringData']);
  const type = str(secret.type);
  const data = { ...obj(secret.data), ...obj(secret.stringData) };
  for (const key of SECRET_REQUIRED_KEYS[type] ?? []) {
    if (!Object.hasOwn(data, key)) out.push(fieldError.required(root('data').key(key)));
  }
  if (type === 'kubernetes.io/service-account-token') {
    const annotation = 'kubernetes.io/service-account.name';
    if (!str(obj(obj(secret.metadata).annotations)[annotation])) {
      out.push(fieldError.required(root('metadata').child('annotations').key(annotation)));
    }
  }
  return out;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function validateService(service: Obj): Causes {
  const spec = obj(service.spec);
  const path = root('spec');
  const out: Causes = [];
  const type = str(spec.type);
  if (!SERVICE_TYPES.includes(type))
    out.push(fieldError.notSupported(path.child('type'), type, SERVICE_TYPES));
  const affinity = str(spec.sessionAffinity);
  if (!['ClientIP', 'None'].includes(affinity))
    out.push(fieldError.notSupported(path.child('sessionAffinity'), affinity, ['ClientIP', 'None']));
  const ports = list(spec.ports).map(obj);
  if (type === 'ExternalName') {
    if (!str(spec.externalName)) out.push(fieldError.required(path.child('externalName')));
  } else if (ports.length === 0 && spec.clusterIP !== 'None') {
    out.push(fieldError.required(path.child('ports')));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = path.child('ports').index(i);
    const name = str(port.name);
    if (ports.length > 1 && !name) out.push(fieldError.required(at.child('name')));
    if (name) out.push(...validateMemberName(name, at.child('name'), names));
    for (const msg of validatePortNumber(port.port))
      out.push(fieldError.invalid(at.child('port'), port.port ?? 0, msg));
    const protocol = str(port.protocol);
    if (!PROTOCOLS.includes(protocol))
      out.push(fieldError.notSupported(at.child('protocol'), protocol, PROTOCOLS));
    if (typeof port.targetPort === 'number') {
      for (const msg of validatePortNumber(port.targetPort))
        out.push(fieldError.invalid(at.child('targetPort'), port.targetPort, msg));
    } else if (typeof port.targetPort === 'string') {
      for (const msg of validatePortName(port.targetPort))
        out.push(fieldError.invalid(at.child('targetPort'), port.targetPort, msg));
    }
  });
  out.push(...validateLabels(spec.selector, path.child('selector')));
  return out;
}

function validateServiceUpdate(oldService: Obj, newService: Obj): Causes {
  const oldIP = obj(oldService.spec).clusterIP;
  const newIP = obj(newService.spec).clusterIP;
  if (has(oldIP) && oldIP !== '' && oldIP !== newIP && obj(newService.spec).type !== 'ExternalName') {
    return [
      fieldError.invalid(root('spec').child('clusterIPs').index(0), newIP ?? [], 'may not change once set'),
    ];
  }
  return [];
}

function validatePersistentVolumeClaim(pvc: Obj): Causes {
  const spec = obj(pvc.spec);
  const path = root('spec');
  const out: Causes = [];
  if (list(spec.accessModes).length === 0)
    out.push(fieldError.required(path.child('accessModes'), 'at least 1 access mode is required'));
  const storage = obj(obj(spec.resources).requests).storage;
  if (!has(storage)) out.push(fieldError.required(path.child('resources').key('storage')));
  return out;
}

function validateLease(lease: Obj): Causes {
  const spec = obj(lease.spec);
  const duration = spec.leaseDurationSeconds;
  if (has(duration) && (typeof duration !== 'number' || duration <= 0)) {
    return [
      fieldError.invalid(root('spec').child('leaseDurationSeconds'), duration, 'must be greater than 0'),
    ];
  }
  return [];
}

function validateCoreEvent(event: Obj): Causes {
  const out: Causes = [];
  const involved = obj(event.involvedObject);
  const namespace = str(obj(event.metadata).namespace);
  if (has(involved.namespace) && involved.namespace !== '' && involved.namespace !== namespace) {
    out.push(
      fieldError.invalid(
        root('involvedObject').child('namespace'),
        involved.namespace,
        'does not match event.namespace',
      ),
    );
  }
  const type = str(event.type);
  if (type && !['Normal', 'Warning'].includes(type))
    out.push(fieldError.notSupported(root('type'), type, ['Normal', 'Warning']));
  return out;
}

function validateEventsEvent(event: Obj): Causes {
  const out: Causes = [];
  for (const key of ['eventTime', 'reportingController', 'reportingInstance', 'action', 'reason']) {
    if (!str(event[key])) out.push(fieldError.required(root(key)));
  }
  const type = str(event.type);
  if (!['Normal', 'Warning'].includes(type))
    out.push(fieldError.notSupported(root('type'), type, ['Normal', 'Warning']));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// RBAC

function validatePolicyRules(rules: unknown, namespaced: boolean): Causes {
  const out: Causes = [];
  list(rules).forEach((raw, i) => {
    const rule = obj(raw);
    const at = root('rules').index(i);
    if (list(rule.verbs).length === 0)
      out.push(fieldError.required(at.child('verbs'), 'verbs must contain at least one value'));
    const nonResourceURLs = list(rule.nonResourceURLs);
    if (nonResourceURLs.length > 0) {
      if (namespaced)
        out.push(
          fieldError.invalid(
            at.child('nonResourceURLs'),
            goStringSlice(nonResourceURLs),
            'namespaced rules cannot apply to non-resource URLs',
          ),
        );
      if (
        list(rule.apiGroups).length > 0 ||
        list(rule.resources).length > 0 ||
        list(rule.resourceNames).length > 0
      ) {
        out.push(
          fieldError.invalid(
            at.child('nonResourceURLs'),
            goStringSlice(nonResourceURLs),
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      }
    } else {
      if (list(rule.apiGroups).length === 0)
        out.push(
          fieldError.required(at.child('apiGroups'), 'resource rules must supply at least one api group'),
        );
      if (list(rule.resources).length === 0)
        out.push(
          fieldError.required(at.child('resources'), 'resource rules must supply at least one resource'),
        );
    }
  });
  return out;
}

function validateBinding(binding: Obj, namespaced: boolean): Causes {
  const out: Causes = [];
  const roleRef = obj(binding.roleRef);
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (roleRef.apiGroup !== 'rbac.authorization.k8s.io') {
    out.push(
      fieldError.notSupported(root('roleRef').child('apiGroup'), roleRef.apiGroup ?? '', [
        'rbac.authorization.k8s.io',
      ]),
    );
  }
  if (!kinds.includes(str(roleRef.kind)))
    out.push(fieldError.notSupported(root('roleRef').child('kind'), roleRef.kind ?? '', kinds));
  if (!str(roleRef.name)) out.push(fieldError.required(root('roleRef').child('name')));
  else
    for (const msg of validatePathSegmentName(str(roleRef.name)))
      out.push(fieldError.invalid(root('roleRef').child('name'), roleRef.name, msg));
  list(binding.subjects).forEach((raw, i) => {
    const subject = obj(raw);
    const at = root('subjects').index(i);
    const kind = str(subject.kind);
    if (!['ServiceAccount', 'User', 'Group'].includes(kind))
      out.push(fieldError.notSupported(at.child('kind'), kind, ['ServiceAccount', 'User', 'Group']));
    if (!str(subject.name)) out.push(fieldError.required(at.child('name')));
    if (kind === 'ServiceAccount') {
      if (has(subject.apiGroup) && subject.apiGroup !== '')
        out.push(fieldError.notSupported(at.child('apiGroup'), subject.apiGroup, ['']));
      if (!namespaced && !str(subject.namespace)) out.push(fieldError.required(at.child('namespace')));
    } else if ((kind === 'User' || kind === 'Group') && subject.apiGroup !== 'rbac.authorization.k8s.io') {
      out.push(
        fieldError.notSupported(at.child('apiGroup'), subject.apiGroup ?? '', ['rbac.authorization.k8s.io']),
      );
    }
  });
  return out;
}

function goRoleRef(value: unknown): GoLiteral {
  const ref = obj(value);
  const q = (v: unknown) => JSON.stringify(str(v));
  return new GoLiteral(`rbac.RoleRef{APIGroup:${q(ref.apiGroup)}, Kind:${q(ref.kind)}, Name:${q(ref.name)}}`);
}

function validateRoleRefUpdate(oldBinding: Obj, newBinding: Obj): Causes {
  return jsonEqual(oldBinding.roleRef, newBinding.roleRef)
    ? []
    : [fieldError.invalid(root('roleRef'), goRoleRef(newBinding.roleRef), 'cannot change roleRef')];
}

// ---------------------------------------------------------------------------------------------------------------
// admissionregistration.k8s.io/v1 webhook configurations

const goTypedSlice = (type: string, value: unknown) =>
  new GoLiteral(goStringSlice(value).text.replace(/^\[\]string/, `[]${type}`));

/** `*` must stand alone in a rule's list (operations, apiGroups, apiVersions). */
function wildcardAlone(values: unknown[], path: FieldPath, what: string, type: string): Causes {
  return values.length > 1 && values.includes('*')
    ? [
        fieldError.invalid(
          path,
          goTypedSlice(type, values),
          `if '*' is present, must not specify other ${what}`,
        ),
      ]
    : [];
}

function validateWebhookRule(rule: Obj, path: FieldPath): Causes {
  const out: Causes = [];
  const operations = list(rule.operations);
  if (operations.length === 0) out.push(fieldError.required(path.child('operations')));
  out.push(...wildcardAlone(operations, path.child('operations'), 'operations', 'v1.OperationType'));
  operations.forEach((op, i) => {
    if (!['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'].includes(str(op)))
      out.push(
        fieldError.notSupported(path.child('operations').index(i), op, [
          '*',
          'CONNECT',
          'CREATE',
          'DELETE',
          'UPDATE',
        ]),
      );
  });
  const groups = list(rule.apiGroups);
  if (groups.length === 0) out.push(fieldError.required(path.child('apiGroups')));
  out.push(...wildcardAlone(groups, path.child('apiGroups'), 'API groups', 'string'));
  const versions = list(rule.apiVersions);
  if (versions.length === 0) out.push(fieldError.required(path.child('apiVersions')));
  out.push(...wildcardAlone(versions, path.child('apiVersions'), 'API versions', 'string'));
  versions.forEach((v, i) => {
    if (str(v) === '') out.push(fieldError.required(path.child('apiVersions').index(i)));
  });
  const resources = list(rule.resources);
  if (resources.length === 0) out.push(fieldError.required(path.child('resources')));
  resources.forEach((r, i) => {
    if (str(r) === '') out.push(fieldError.required(path.child('resources').index(i)));
  });
  if (has(rule.scope) && !['*', 'Cluster', 'Namespaced'].includes(str(rule.scope)))
    out.push(fieldError.notSupported(path.child('scope'), rule.scope, ['*', 'Cluster', 'Namespaced']));
  return out;
}

function validateWebhookURL(raw: unknown, path: FieldPath): Causes {
  let url: URL;
  try {
    url = new URL(str(raw));
  } catch {
    return [
      fieldError.required(path, `url must be a valid URL: parse ${JSON.stringify(str(raw))}: invalid URL`),
    ];
  }
  const out: Causes = [];
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'https')
    out.push(fieldError.invalid(path, scheme, "'https' is the only allowed URL scheme"));
  if (url.host === '') out.push(fieldError.invalid(path, url.host, 'host must be specified'));
  if (url.username !== '' || url.password !== '')
    out.push(
      fieldError.invalid(
        path,
        url.password ? `${url.username}:${url.password}` : url.username,
        'user information is not permitted in the URL',
      ),
    );
  if (url.hash.length > 1)
    out.push(fieldError.invalid(path, url.hash.slice(1), 'fragments are not permitted in the URL'));
  if (url.search.length > 1)
    out.push(fieldError.invalid(path, url.search.slice(1), 'query parameters are not permitted in the URL'));
  return out;
}

function validateWebhookService(service: Obj, path: FieldPath): Causes {
  const out: Causes = [];
  if (str(service.name) === '') out.push(fieldError.required(path.child('name'), 'service name is required'));
  if (str(service.namespace) === '')
    out.push(fieldError.required(path.child('namespace'), 'service namespace is required'));
  for (const msg of validatePortNumber(service.port))
    out.push(fieldError.invalid(path.child('port'), service.port, `port is not valid: ${msg}`));
  if (has(service.path)) {
    const p = str(service.path);
    if (!p.startsWith('/')) out.push(fieldError.invalid(path.child('path'), p, "must start with a '/'"));
    else if (p !== '/')
      p.slice(1)
        .split('/')
        .forEach((segment, i) => {
          if (segment === '')
            out.push(fieldError.invalid(path.child('path'), p, `segment[${i}] may not be empty`));
        });
  }
  return out;
}

const ADMISSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];

function validateWebhook(hook: Obj, path: FieldPath, mutating: boolean): Causes {
  const out: Causes = [];
  const name = str(hook.name);
  if (name === '') out.push(fieldError.required(path.child('name')));
  else {
    if (name.split('.').length < 3)
      out.push(
        fieldError.invalid(
          path.child('name'),
          name,
          'should be a domain with at least three segments separated by dots',
        ),
      );
    for (const msg of validateDNS1123Subdomain(name))
      out.push(fieldError.invalid(path.child('name'), name, msg));
  }
  list(hook.rules).forEach((rule, i) =>
    out.push(...validateWebhookRule(obj(rule), path.child('rules').index(i))),
  );
  const supported = (field: string, values: string[]) => {
    if (has(hook[field]) && !values.includes(str(hook[field])))
      out.push(fieldError.notSupported(path.child(field), hook[field], values));
  };
  supported('failurePolicy', ['Fail', 'Ignore']);
  supported('matchPolicy', ['Equivalent', 'Exact']);
  if (mutating) supported('reinvocationPolicy', ['IfNeeded', 'Never']);
  if (!has(hook.sideEffects))
    out.push(fieldError.required(path.child('sideEffects'), 'must specify one of None, NoneOnDryRun'));
  else supported('sideEffects', ['None', 'NoneOnDryRun']);
  const timeout = hook.timeoutSeconds;
  if (has(timeout) && !(Number.isInteger(timeout) && (timeout as number) >= 1 && (timeout as number) <= 30))
    out.push(
      fieldError.invalid(
        path.child('timeoutSeconds'),
        timeout,
        'the timeout value must be between 1 and 30 seconds',
      ),
    );
  out.push(...validateSelector(hook.namespaceSelector, path.child('namespaceSelector')));
  out.push(...validateSelector(hook.objectSelector, path.child('objectSelector')));
  const versions = list(hook.admissionReviewVersions);
  const versionsPath = path.child('admissionReviewVersions');
  if (versions.length === 0)
    out.push(
      fieldError.required(versionsPath, `must specify one of ${ADMISSION_REVIEW_VERSIONS.join(', ')}`),
    );
  else {
    const seen = new Set<string>();
    versions.forEach((v, i) => {
      if (seen.has(str(v))) out.push(fieldError.invalid(versionsPath.index(i), v, 'duplicate version'));
      seen.add(str(v));
      for (const msg of validateDNS1035Label(str(v)))
        out.push(fieldError.invalid(versionsPath.index(i), v, msg));
    });
    if (!versions.some((v) => ADMISSION_REVIEW_VERSIONS.includes(str(v))))
      out.push(
        fieldError.invalid(
          versionsPath,
          goStringSlice(versions),
          `must include at least one of ${ADMISSION_REVIEW_VERSIONS.join(', ')}`,
        ),
      );
  }
  const config = obj(hook.clientConfig);
  const configPath = path.child('clientConfig');
  if (has(config.url) === has(config.service))
    out.push(fieldError.required(configPath, 'exactly one of url or service is required'));
  else if (has(config.url)) out.push(...validateWebhookURL(config.url, configPath.child('url')));
  else out.push(...validateWebhookService(obj(config.service), configPath.child('service')));
  return out;
}

function validateWebhookConfiguration(configuration: Obj, mutating: boolean): Causes {
  const out: Causes = [];
  const names = new Set<string>();
  list(configuration.webhooks).forEach((raw, i) => {
    const hook = obj(raw);
    const at = root('webhooks').index(i);
    const name = str(hook.name);
    if (name !== '' && names.has(name)) out.push(fieldError.duplicate(at.child('name'), name));
    names.add(name);
    out.push(...validateWebhook(hook, at, mutating));
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

const subdomain: NameRule = validateDNS1123Subdomain;

const RULES: Readonly<Record<string, KindRules>> = {
  '/Pod': { namespaced: true, name: subdomain, create: validatePod, update: validatePodUpdate },
  '/Namespace': { namespaced: false, name: validateDNS1123Label },
  '/ConfigMap': {
    namespaced: true,
    name: subdomain,
    create: (o) => validateDataKeys(o, ['data', 'binaryData']),
    update: (a, b) => validateImmutableData(a, b, ['data', 'binaryData']),
  },
  '/Secret': {
    namespaced: true,
    name: subdomain,
    create: validateSecret,
    update: (a, b) => [...immutable(a.type, b.type, root('type')), ...validateImmutableData(a, b, ['data'])],
  },
  '/ServiceAccount': { namespaced: true, name: subdomain },
  '/Service': {
    namespaced: true,
    name: validateDNS1035Label,
    create: validateService,
    update: validateServiceUpdate,
  },
  '/Event': { namespaced: true, name: subdomain, create: validateCoreEvent },
  '/Node': { namespaced: false, name: subdomain },
  '/PersistentVolumeClaim': { namespaced: true, name: subdomain, create: validatePersistentVolumeClaim },
  'events.k8s.io/Event': { namespaced: true, name: subdomain, create: validateEventsEvent },
  'apps/Deployment': {
    namespaced: true,
    name: subdomain,
    create: validateDeployment,
    update: validateSelectorUpdate,
  },
  'apps/ReplicaSet': {
    namespaced: true,
    name: subdomain,
    create: validateReplicaSet,
    update: validateSelectorUpdate,
  },
  'apps/StatefulSet': {
    namespaced: true,
    name: subdomain,
    create: validateStatefulSet,
    update: (a, b) => [...validateStatefulSetUpdate(a, b), ...validateSelectorUpdate(a, b)],
  },
  'apps/DaemonSet': {
    namespaced: true,
    name: subdomain,
    create: validateDaemonSet,
    update: validateSelectorUpdate,
  },
  'apps/ControllerRevision': {
    namespaced: true,
    name: subdomain,
    create: (o) => nonNegative(o, ['revision'], root()),
    update: (a, b) => immutable(a.data, b.data, root('data')),
  },
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': {
    namespaced: false,
    name: subdomain,
    create: (o) => validateWebhookConfiguration(o, true),
  },
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': {
    namespaced: false,
    name: subdomain,
    create: (o) => validateWebhookConfiguration(o, false),
  },
  'batch/Job': { namespaced: true, name: subdomain, create: validateJob, update: validateJobUpdate },
  'batch/CronJob': { namespaced: true, name: subdomain, create: validateCronJob },
  'coordination.k8s.io/Lease': { namespaced: true, name: subdomain, create: validateLease },
  'rbac.authorization.k8s.io/Role': {
    namespaced: true,
    name: validatePathSegmentName,
    create: (o) => validatePolicyRules(o.rules, true),
  },
  'rbac.authorization.k8s.io/ClusterRole': {
    namespaced: false,
    name: validatePathSegmentName,
    create: (o) => validatePolicyRules(o.rules, false),
  },
  'rbac.authorization.k8s.io/RoleBinding': {
    namespaced: true,
    name: validatePathSegmentName,
    create: (o) => validateBinding(o, true),
    update: validateRoleRefUpdate,
  },
  'rbac.authorization.k8s.io/ClusterRoleBinding': {
    namespaced: false,
    name: validatePathSegmentName,
    create: (o) => validateBinding(o, false),
    update: validateRoleRefUpdate,
  },
};

/** Cluster-scoped kinds without rules of their own here: metadata checks only, and no namespace allowed. */
const CLUSTER_SCOPED_KINDS = [
  '/PersistentVolume',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'certificates.k8s.io/CertificateSigningRequest',
];

/** Kinds not in the table get the generic metadata checks of a namespaced, DNS-subdomain-named object. */
const GENERIC: KindRules = { namespaced: true, name: subdomain };

function rulesFor(kind: GroupKind): KindRules {
  const key = `${kind.group}/${kind.kind}`;
  return (
    RULES[key] ?? (CLUSTER_SCOPED_KINDS.includes(key) ? { namespaced: false, name: subdomain } : GENERIC)
  );
}

/** Whether the table knows the kind as cluster-scoped (for callers that need it, e.g. tests). */
export function isClusterScoped(kind: GroupKind): boolean {
  return !rulesFor(kind).namespaced;
}

export function validateCreate(kind: GroupKind, object: KubeObject): StatusCause[] {
  const rules = rulesFor(kind);
  const o = object as unknown as Obj;
  return [...validateObjectMeta(obj(o.metadata), rules, root('metadata')), ...(rules.create?.(o) ?? [])];
}

/**
 * Update validation: the new object is validated as a whole (as ValidateXUpdate does), then the update rules
 * (immutable metadata, immutable selectors, the pod and StatefulSet update restrictions ...). For pods, a change in
 * the number of containers stops the update checks after that one cause, as upstream.
 */
export function validateUpdate(kind: GroupKind, oldObject: KubeObject, newObject: KubeObject): StatusCause[] {
  const rules = rulesFor(kind);
  const [a, b] = [oldObject as unknown as Obj, newObject as unknown as Obj];
  const meta = [
    ...validateObjectMetaUpdate(obj(a.metadata), obj(b.metadata), root('metadata')),
    ...validateObjectMeta(obj(b.metadata), rules, root('metadata')),
  ];
  if (`${kind.group}/${kind.kind}` === '/Pod') {
    return [...meta, ...validatePod(b), ...validatePodUpdate(a, b)];
  }
  return [...meta, ...(rules.create?.(b) ?? []), ...(rules.update?.(a, b) ?? [])];
}
