import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { UserInfo } from '../../../src/devcluster/api/types.ts';
import { serviceAccountUser } from '../../../src/devcluster/http/authentication.ts';
import type { RequestAttributes } from '../../../src/devcluster/http/extension-points.ts';
import { RbacAuthorizer } from '../../../src/devcluster/rbac/index.ts';
import type { Binding, PolicyRule, PolicySource } from '../../../src/devcluster/rbac/index.ts';

const POLICY = `
kind: ClusterRole
metadata: {name: restore-hooks}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch, delete]}
- {apiGroups: [""], resources: [pods/exec], verbs: [create, get]}
- {apiGroups: [apps], resources: [deployments, statefulsets], verbs: ["*"]}
- {apiGroups: [velero.io], resources: [restores], verbs: [get, list, watch, update, patch]}
- {nonResourceURLs: [/metrics, /debug/*], verbs: [get]}
---
kind: ClusterRoleBinding
metadata: {name: restore-hooks}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: restore-hooks}
subjects: [{kind: ServiceAccount, name: controller, namespace: restore-hooks}]
---
kind: Role
metadata: {name: cm-reader, namespace: app}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get], resourceNames: [settings]}
- {apiGroups: ["*"], resources: ["*/status"], verbs: [get]}
---
kind: RoleBinding
metadata: {name: local-sa, namespace: app}
roleRef: {kind: Role, name: cm-reader}
subjects: [{kind: ServiceAccount, name: reader}]
---
kind: RoleBinding
metadata: {name: all-sas-in-app, namespace: app}
roleRef: {kind: ClusterRole, name: view-secrets}
subjects: [{kind: Group, name: "system:serviceaccounts:app"}]
---
kind: ClusterRole
metadata: {name: view-secrets}
rules: [{apiGroups: [""], resources: [secrets], verbs: [list]}]
---
kind: ClusterRoleBinding
metadata: {name: dangling}
roleRef: {kind: ClusterRole, name: missing}
subjects: [{kind: User, name: bob}]
---
kind: ClusterRoleBinding
metadata: {name: authenticated-healthz}
roleRef: {kind: ClusterRole, name: healthz}
subjects: [{kind: Group, name: "system:authenticated"}]
---
kind: ClusterRole
metadata: {name: healthz}
rules: [{nonResourceURLs: ["/healthz"], verbs: [get]}]
`;

interface PolicyObject extends Binding {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
}

function policyFrom(yamlText: string): PolicySource {
  const objects = parseAllDocuments(yamlText).map((d) => d.toJS() as PolicyObject);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  return {
    clusterRoleBindings: () => of('ClusterRoleBinding'),
    roleBindings: (ns) => of('RoleBinding').filter((b) => b.metadata.namespace === ns),
    clusterRole: (name) => of('ClusterRole').find((r) => r.metadata.name === name),
    role: (ns, name) => of('Role').find((r) => r.metadata.name === name && r.metadata.namespace === ns),
  };
}

const controller = serviceAccountUser('restore-hooks', 'controller');
const reader = serviceAccountUser('app', 'reader');
const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };
const admin: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };

const BLANK = { apiPrefix: '', apiVersion: 'v1', namespace: '', subresource: '', name: '', path: '' };
function res(
  user: UserInfo,
  verb: string,
  apiGroup: string,
  resource: string,
  more: Partial<RequestAttributes> = {},
): RequestAttributes {
  return { ...BLANK, apiPrefix: 'api', user, verb, apiGroup, resource, isResourceRequest: true, ...more };
}
function path(user: UserInfo, verb: string, p: string): RequestAttributes {
  return { ...BLANK, apiGroup: '', resource: '', user, verb, path: p, isResourceRequest: false };
}

describe('devcluster RBAC authorizer', () => {
  const authorizer = new RbacAuthorizer(policyFrom(POLICY));
  const cases: [string, RequestAttributes, boolean][] = [
    ['SA via ClusterRoleBinding lists pods everywhere', res(controller, 'list', '', 'pods'), true],
    [
      'SA gets a pod in any namespace',
      res(controller, 'get', '', 'pods', { namespace: 'x', name: 'p' }),
      true,
    ],
    ['SA may not patch pods', res(controller, 'patch', '', 'pods', { namespace: 'x', name: 'p' }), false],
    [
      'subresource needs its own rule: pods/exec create',
      res(controller, 'create', '', 'pods', { namespace: 'x', name: 'p', subresource: 'exec' }),
      true,
    ],
    [
      'pods rule does not grant pods/log',
      res(controller, 'get', '', 'pods', { namespace: 'x', name: 'p', subresource: 'log' }),
      false,
    ],
    [
      'verb * covers any verb',
      res(controller, 'deletecollection', 'apps', 'deployments', { namespace: 'a' }),
      true,
    ],
    [
      'the API group must match',
      res(controller, 'get', 'extensions', 'deployments', { namespace: 'a' }),
      false,
    ],
    ['non-resource URL exact', path(controller, 'get', '/metrics'), true],
    ['non-resource URL prefix *', path(controller, 'get', '/debug/pprof'), true],
    ['non-resource URL wrong verb', path(controller, 'post', '/metrics'), false],
    ['system:authenticated group', path(bob, 'get', '/healthz'), true],
    [
      'RoleBinding SA subject without namespace means the binding namespace',
      res(reader, 'get', '', 'configmaps', { namespace: 'app', name: 'settings' }),
      true,
    ],
    [
      'resourceNames restricts the name',
      res(reader, 'get', '', 'configmaps', { namespace: 'app', name: 'other' }),
      false,
    ],
    [
      'resourceNames never match requests without a name',
      res(reader, 'get', '', 'configmaps', { namespace: 'app' }),
      false,
    ],
    [
      'RoleBinding grants only in its namespace',
      res(reader, 'get', '', 'configmaps', { namespace: 'other', name: 'settings' }),
      false,
    ],
    [
      '*/status matches any status subresource',
      res(reader, 'get', 'apps', 'deployments', { namespace: 'app', name: 'd', subresource: 'status' }),
      true,
    ],
    [
      '*/status does not match the main resource',
      res(reader, 'get', 'apps', 'deployments', { namespace: 'app', name: 'd' }),
      false,
    ],
    [
      'group system:serviceaccounts:<ns> via RoleBinding to a ClusterRole',
      res(reader, 'list', '', 'secrets', { namespace: 'app' }),
      true,
    ],
    [
      'another namespace SA is not in that group',
      res(controller, 'list', '', 'secrets', { namespace: 'app' }),
      false,
    ],
    ['system:masters bypasses RBAC', res(admin, 'delete', '', 'nodes', { name: 'n1' }), true],
  ];
  for (const [name, attrs, allowed] of cases) {
    it(`${allowed ? 'allows' : 'denies'}: ${name}`, () => {
      expect(authorizer.authorize(attrs).allowed).to.equal(allowed);
    });
  }

  it('names a binding whose role is missing in the denial reason', () => {
    expect(authorizer.authorize(res(bob, 'get', '', 'pods', { namespace: 'x', name: 'p' }))).to.deep.equal({
      allowed: false,
      reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found',
    });
  });
});
