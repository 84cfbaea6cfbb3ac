/**
 * Which webhooks an admission request goes to, as kube-apiserver's webhook matchers decide it: the rules
 * (operations, apiGroups, apiVersions, resources with subresources, scope) under the webhook's matchPolicy, then
 * the namespaceSelector and the objectSelector. Pure: the caller supplies the namespace's labels.
 */
import { selectorMatches } from '../builtin/validation.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** What a request is about, as the matchers see it. */
export interface AdmissionAttributes {
  readonly operation: Operation;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  /** '' for the main resource. */
  readonly subresource: string;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly objectLabels?: Readonly<Record<string, string>> | undefined;
  readonly oldObjectLabels?: Readonly<Record<string, string>> | undefined;
}

export interface WebhookRule {
  readonly operations?: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly apiVersions?: readonly string[];
  readonly resources?: readonly string[];
  readonly scope?: string;
}

/** The matching fields of a (defaulted) webhook. */
export interface WebhookMatch {
  readonly rules?: readonly WebhookRule[];
  readonly matchPolicy?: string;
  readonly namespaceSelector?: unknown;
  readonly objectSelector?: unknown;
}

const anyOf = (values: readonly string[] | undefined, value: string) =>
  (values ?? []).some((v) => v === '*' || v === value);

function resourceMatches(rule: WebhookRule, resource: string, subresource: string): boolean {
  return (rule.resources ?? []).some((entry) => {
    const slash = entry.indexOf('/');
    const [res, sub] = slash < 0 ? [entry, ''] : [entry.slice(0, slash), entry.slice(slash + 1)];
    return (res === '*' || res === resource) && (sub === '*' || sub === subresource);
  });
}

/** Namespace objects are cluster-scoped; everything else is namespaced exactly when it has a namespace. */
function scopeMatches(rule: WebhookRule, a: AdmissionAttributes): boolean {
  const isNamespace = a.group === '' && a.resource === 'namespaces';
  switch (rule.scope ?? '*') {
    case 'Namespaced':
      return !isNamespace && a.namespace !== '';
    case 'Cluster':
      return isNamespace || a.namespace === '';
    default:
      return true;
  }
}

/**
 * One rule against the request. `anyVersion` is matchPolicy Equivalent: the devcluster serves every resource in
 * one version, so the equivalent forms of a request are the same group and resource in any version.
 */
export function ruleMatches(rule: WebhookRule, a: AdmissionAttributes, anyVersion = false): boolean {
  return (
    anyOf(rule.operations, a.operation) &&
    anyOf(rule.apiGroups, a.group) &&
    (anyVersion ? (rule.apiVersions ?? []).length > 0 : anyOf(rule.apiVersions, a.version)) &&
    resourceMatches(rule, a.resource, a.subresource) &&
    scopeMatches(rule, a)
  );
}

export function rulesMatch(hook: WebhookMatch, a: AdmissionAttributes): boolean {
  const anyVersion = (hook.matchPolicy ?? 'Equivalent') === 'Equivalent';
  return (hook.rules ?? []).some((rule) => ruleMatches(rule, a, anyVersion));
}

/**
 * The object selector matches the new object's labels or, on update and delete, the old object's. Absent objects
 * (a delete's new object) match nothing; an empty selector matches everything.
 */
export function objectSelectorMatches(hook: WebhookMatch, a: AdmissionAttributes): boolean {
  const selector = hook.objectSelector ?? {};
  const matches = (labels: Readonly<Record<string, string>> | undefined) =>
    labels !== undefined && selectorMatches(selector, labels);
  if (isEmptySelector(selector)) return true;
  return matches(a.objectLabels) || matches(a.oldObjectLabels);
}

/**
 * The namespace selector is applied to the labels of the request's namespace; a Namespace object is matched by its
 * own labels, and other cluster-scoped objects always match. `namespaceLabels` is undefined when the namespace does
 * not exist (it then matches only an empty selector).
 */
export function namespaceSelectorMatches(
  hook: WebhookMatch,
  a: AdmissionAttributes,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  const selector = hook.namespaceSelector ?? {};
  if (isEmptySelector(selector)) return true;
  if (a.group === '' && a.resource === 'namespaces' && a.subresource === '')
    return selectorMatches(selector, a.objectLabels ?? a.oldObjectLabels ?? {});
  if (a.namespace === '') return true;
  return namespaceLabels !== undefined && selectorMatches(selector, namespaceLabels);
}

function isEmptySelector(selector: unknown): boolean {
  if (typeof selector !== 'object' || selector === null) return true;
  const s = selector as { matchLabels?: object; matchExpressions?: unknown[] };
  return Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

/** The resources kube-apiserver never sends to webhooks: the webhook configurations themselves. */
export function isExempt(a: Pick<AdmissionAttributes, 'group' | 'resource'>): boolean {
  return (
    a.group === 'admissionregistration.k8s.io' &&
    (a.resource === 'mutatingwebhookconfigurations' || a.resource === 'validatingwebhookconfigurations')
  );
}

/** Everything at once: the webhook is called for the request. */
export function webhookMatches(
  hook: WebhookMatch,
  a: AdmissionAttributes,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  return (
    !isExempt(a) &&
    rulesMatch(hook, a) &&
    namespaceSelectorMatches(hook, a, namespaceLabels) &&
    objectSelectorMatches(hook, a)
  );
}
