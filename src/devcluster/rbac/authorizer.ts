/**
 * The RBAC authorizer: Roles, ClusterRoles and their bindings evaluated as kube-apiserver does. system:masters is
 * always allowed (kube-apiserver's privileged-group authorizer). Aggregated ClusterRoles are not expanded.
 */
import { ApiError } from '../api/errors.ts';
import type { ClusterAPI, GroupVersionResource } from '../api/types.ts';
import type { UserInfo } from '../api/types.ts';
import { allowAuthenticated } from '../http/extension-points.ts';
import type {
  Authorizer,
  AuthorizationDecision,
  RequestAttributes,
  SubjectRules,
} from '../http/extension-points.ts';
import { ruleAllows, subjectMatches } from './rules.ts';
import type { PolicyRule, RoleRef, Subject } from './rules.ts';

export interface Binding {
  metadata: { namespace?: string };
  subjects?: Subject[];
  roleRef?: RoleRef;
}

/** Where the authorizer reads policy from; `role`/`clusterRole` return undefined when absent. */
export interface PolicySource {
  clusterRoleBindings(): Iterable<Binding>;
  roleBindings(namespace: string): Iterable<Binding>;
  clusterRole(name: string): { rules?: PolicyRule[] } | undefined;
  role(namespace: string, name: string): { rules?: PolicyRule[] } | undefined;
}

const rbac = (resource: string): GroupVersionResource => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource,
});

/** Policy read from the ClusterAPI on every decision: the store is in memory, so nothing can go stale. */
export function clusterPolicy(api: ClusterAPI): PolicySource {
  const get = (gvr: GroupVersionResource, namespace: string | undefined, name: string) => {
    try {
      return api.get(gvr, namespace, name) as { rules?: PolicyRule[] };
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  };
  return {
    clusterRoleBindings: () => api.list(rbac('clusterrolebindings'), undefined).items as Binding[],
    roleBindings: (namespace) => api.list(rbac('rolebindings'), namespace).items as Binding[],
    clusterRole: (name) => get(rbac('clusterroles'), undefined, name),
    role: (namespace, name) => get(rbac('roles'), namespace, name),
  };
}

export class RbacAuthorizer {
  private readonly policy: PolicySource;

  constructor(policy: PolicySource) {
    this.policy = policy;
  }

  authorize(attrs: RequestAttributes): AuthorizationDecision {
    if (attrs.user.groups.includes('system:masters')) return { allowed: true };
    const problems: string[] = [];
    const namespace = attrs.isResourceRequest ? attrs.namespace : '';
    const scopes: [Iterable<Binding>, string][] = [[this.policy.clusterRoleBindings(), '']];
    if (namespace !== '') scopes.push([this.policy.roleBindings(namespace), namespace]);
    for (const [bindings, bindingNamespace] of scopes) {
      for (const binding of bindings) {
        if (!(binding.subjects ?? []).some((s) => subjectMatches(s, attrs.user, bindingNamespace))) continue;
        const rules = this.rulesOf(binding.roleRef ?? {}, bindingNamespace, problems);
        if (rules.some((rule) => ruleAllows(rule, attrs))) return { allowed: true };
      }
    }
    return { allowed: false, ...(problems.length ? { reason: `RBAC: ${problems.join(', ')}` } : {}) };
  }

  /** Every rule bound to the user in a namespace (cluster-wide bindings included), as RBAC's RulesFor. */
  rulesFor(user: UserInfo, namespace: string): SubjectRules {
    if (user.groups.includes('system:masters')) return allowAuthenticated.rulesFor!(user, namespace);
    const problems: string[] = [];
    const rules: PolicyRule[] = [];
    const scopes: [Iterable<Binding>, string][] = [[this.policy.clusterRoleBindings(), '']];
    if (namespace !== '') scopes.push([this.policy.roleBindings(namespace), namespace]);
    for (const [bindings, bindingNamespace] of scopes)
      for (const binding of bindings)
        if ((binding.subjects ?? []).some((s) => subjectMatches(s, user, bindingNamespace)))
          rules.push(...this.rulesOf(binding.roleRef ?? {}, bindingNamespace, problems));
    const copy = (list: string[] | undefined) => (list ? [...list] : undefined);
    return {
      resourceRules: rules
        .filter((r) => !r.nonResourceURLs?.length)
        .map((r) => ({
          verbs: [...(r.verbs ?? [])],
          ...optionalList('apiGroups', copy(r.apiGroups)),
          ...optionalList('resources', copy(r.resources)),
          ...optionalList('resourceNames', copy(r.resourceNames)),
        })),
      nonResourceRules: rules
        .filter((r) => r.nonResourceURLs?.length)
        .map((r) => ({ verbs: [...(r.verbs ?? [])], nonResourceURLs: [...r.nonResourceURLs!] })),
      incomplete: problems.length > 0,
      ...(problems.length ? { evaluationError: problems.join(', ') } : {}),
    };
  }

  /** A RoleBinding may name a Role of its namespace or a ClusterRole; a ClusterRoleBinding only a ClusterRole. */
  private rulesOf(ref: RoleRef, bindingNamespace: string, problems: string[]): PolicyRule[] {
    const name = ref.name ?? '';
    if (ref.kind === 'ClusterRole') {
      const role = this.policy.clusterRole(name);
      if (!role) problems.push(`clusterrole.rbac.authorization.k8s.io "${name}" not found`);
      return role?.rules ?? [];
    }
    if (ref.kind !== 'Role' || bindingNamespace === '') return [];
    const role = this.policy.role(bindingNamespace, name);
    if (!role) problems.push(`role.rbac.authorization.k8s.io "${name}" not found`);
    return role?.rules ?? [];
  }
}

/** Subresources that stream over a WebSocket upgrade (a GET), for which kube-apiserver 1.32 also requires `create`. */
const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/**
 * The devcluster Authorizer backed by RBAC. As kube-apiserver 1.32 does (AuthorizePodWebsocketUpgradeCreatePermission),
 * a WebSocket GET on pods/exec, pods/attach or pods/portforward needs `create` as well as `get`.
 */
export function rbacAuthorizer(api: ClusterAPI): Authorizer {
  const rbac = new RbacAuthorizer(clusterPolicy(api));
  const authorize = (attrs: RequestAttributes): AuthorizationDecision => {
    const decision = rbac.authorize(attrs);
    if (!decision.allowed || !attrs.isResourceRequest || attrs.verb !== 'get') return decision;
    if (attrs.resource !== 'pods' || !STREAMING_SUBRESOURCES.has(attrs.subresource)) return decision;
    return rbac.authorize({ ...attrs, verb: 'create' });
  };
  return Object.assign(authorize, { rulesFor: (user: UserInfo, ns: string) => rbac.rulesFor(user, ns) });
}

function optionalList<K extends string>(key: K, list: string[] | undefined): { [P in K]?: string[] } {
  return (list ? { [key]: list } : {}) as { [P in K]?: string[] };
}
