/**
 * The RBAC authorizer: Roles, ClusterRoles and their bindings evaluated as kube-apiserver does. system:masters is
 * always allowed (kube-apiserver's privileged-group authorizer). Aggregated ClusterRoles are not expanded.
 */
import { ApiError, errors } from '../api/errors.ts';
import type { ClusterAPI, GroupVersionResource } from '../api/types.ts';
import type { RequestAttributes } from './attributes.ts';
import { ruleAllows, subjectMatches } from './rules.ts';
import type { PolicyRule, RoleRef, Subject } from './rules.ts';

export type Decision = { allowed: true } | { allowed: false; reason: string };

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

  authorize(attrs: RequestAttributes): Decision {
    if (attrs.user.groups.includes('system:masters')) return { allowed: true };
    const problems: string[] = [];
    const namespace = attrs.resourceRequest ? (attrs.namespace ?? '') : '';
    const scopes: [Iterable<Binding>, string][] = [[this.policy.clusterRoleBindings(), '']];
    if (namespace !== '') scopes.push([this.policy.roleBindings(namespace), namespace]);
    for (const [bindings, bindingNamespace] of scopes) {
      for (const binding of bindings) {
        if (!(binding.subjects ?? []).some((s) => subjectMatches(s, attrs.user, bindingNamespace))) continue;
        const rules = this.rulesOf(binding.roleRef ?? {}, bindingNamespace, problems);
        if (rules.some((rule) => ruleAllows(rule, attrs))) return { allowed: true };
      }
    }
    return { allowed: false, reason: problems.length ? `RBAC: ${problems.join(', ')}` : '' };
  }

  /** Throws the 403 kube-apiserver sends when `authorize` denies. */
  check(attrs: RequestAttributes): void {
    const decision = this.authorize(attrs);
    if (!decision.allowed) throw forbidden(attrs, decision.reason);
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

/** The 403 Forbidden Status kube-apiserver writes for a denied request, message and details included. */
export function forbidden(attrs: RequestAttributes, reason = ''): ApiError {
  const user = attrs.user.username;
  const suffix = reason ? `: ${reason}` : '';
  if (!attrs.resourceRequest) {
    const message = `forbidden: User "${user}" cannot ${attrs.verb} path "${attrs.path}"${suffix}`;
    return new ApiError(403, 'Forbidden', message, {});
  }
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  const why = `User "${user}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup}" ${scope}${suffix}`;
  const gr = { group: attrs.apiGroup, resource: attrs.resource };
  const qualified = attrs.apiGroup ? `${attrs.resource}.${attrs.apiGroup}` : attrs.resource;
  const message = attrs.name
    ? `${qualified} "${attrs.name}" is forbidden: ${why}`
    : `${qualified} is forbidden: ${why}`;
  return errors.forbidden(message, gr, attrs.name);
}
