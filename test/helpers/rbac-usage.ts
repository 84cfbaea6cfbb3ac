/**
 * Which RBAC grants a workload never used: every (apiGroup, resource, verb, resourceName) a rule grants, checked
 * against the requests the subject was actually allowed to make, with the devcluster's own rule matching.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { RequestAttributes } from '../../src/devcluster/http/extension-points.ts';
import { ruleAllows } from '../../src/devcluster/rbac/index.ts';
import type { PolicyRule } from '../../src/devcluster/rbac/index.ts';

export interface GrantedRule {
  /** `ClusterRole/name` or `Role/name`. */
  readonly role: string;
  /** For a Role: the namespace it is bound in; its rules apply there only. */
  readonly namespace?: string;
  readonly rule: PolicyRule;
}

export interface Grant {
  readonly role: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly verb: string;
  readonly resourceName?: string;
}

/** The ClusterRole and Role rules of an RBAC manifest; Roles are taken as bound in `roleNamespace`. */
export function manifestRules(url: URL, roleNamespace: string): GrantedRule[] {
  return parseAllDocuments(readFileSync(url, 'utf8')).flatMap((doc) => {
    const obj = doc.toJSON() as { kind?: string; metadata?: { name?: string }; rules?: PolicyRule[] };
    if (obj.kind !== 'ClusterRole' && obj.kind !== 'Role') return [];
    const role = `${obj.kind}/${obj.metadata?.name ?? ''}`;
    return (obj.rules ?? []).map((rule) => ({
      role,
      ...(obj.kind === 'Role' ? { namespace: roleNamespace } : {}),
      rule,
    }));
  });
}

/**
 * kube-apiserver ≥ 1.35 checks a WebSocket upgrade of pods/exec, attach and portforward (an HTTP GET) as both `get`
 * and `create`, as the devcluster's authorizer does; such a request uses both grants.
 */
function verbsUsedBy(request: RequestAttributes): string[] {
  const streaming =
    request.resource === 'pods' && ['exec', 'attach', 'portforward'].includes(request.subresource);
  return streaming && request.verb === 'get' ? ['get', 'create'] : [request.verb];
}

/** Every single grant of the rules that no request used. */
export function unusedGrants(rules: readonly GrantedRule[], requests: readonly RequestAttributes[]): Grant[] {
  const unused: Grant[] = [];
  for (const { role, namespace, rule } of rules) {
    for (const apiGroup of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? [])
        for (const verb of rule.verbs ?? [])
          for (const resourceName of rule.resourceNames?.length ? rule.resourceNames : [undefined]) {
            const single: PolicyRule = {
              apiGroups: [apiGroup],
              resources: [resource],
              verbs: [verb],
              ...(resourceName === undefined ? {} : { resourceNames: [resourceName] }),
            };
            const used = requests.some(
              (r) =>
                (namespace === undefined || r.namespace === namespace) &&
                verbsUsedBy(r).some((v) => ruleAllows(single, { ...r, verb: v })),
            );
            if (!used)
              unused.push({
                role,
                apiGroup,
                resource,
                verb,
                ...(resourceName === undefined ? {} : { resourceName }),
              });
          }
  }
  return unused;
}

export function formatGrant(g: Grant): string {
  const name = g.resourceName ? ` (${g.resourceName})` : '';
  return `${g.role}: ${g.verb} ${g.resource}${g.apiGroup ? `.${g.apiGroup}` : ''}${name}`;
}
