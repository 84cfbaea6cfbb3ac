import { expect } from 'chai';
import type { RequestAttributes } from '../../src/devcluster/http/extension-points.ts';
import { formatGrant, unusedGrants } from '../helpers/rbac-usage.ts';
import type { GrantedRule } from '../helpers/rbac-usage.ts';

function request(verb: string, resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes {
  const [base = '', subresource = ''] = resource.split('/');
  return {
    isResourceRequest: true,
    path: '/',
    verb,
    apiPrefix: 'api',
    apiGroup: '',
    apiVersion: 'v1',
    namespace: 'app',
    resource: base,
    subresource,
    name: '',
    user: { username: 'system:serviceaccount:restore-hooks:restore-hooks', groups: [] },
    ...extra,
  };
}

describe('unusedGrants: the RBAC grants no request used', () => {
  const cases: {
    name: string;
    rules: GrantedRule[];
    requests: RequestAttributes[];
    unused: string[];
  }[] = [
    {
      name: 'every verb used',
      rules: [
        { role: 'ClusterRole/c', rule: { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] } },
      ],
      requests: [request('get', 'pods'), request('list', 'pods')],
      unused: [],
    },
    {
      name: 'one verb of a rule unused',
      rules: [
        { role: 'ClusterRole/c', rule: { apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] } },
      ],
      requests: [request('get', 'pods')],
      unused: ['ClusterRole/c: delete pods'],
    },
    {
      name: 'each resource of a rule counts on its own',
      rules: [
        {
          role: 'ClusterRole/c',
          rule: { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['patch'] },
        },
      ],
      requests: [request('patch', 'deployments', { apiGroup: 'apps' })],
      unused: ['ClusterRole/c: patch replicasets.apps'],
    },
    {
      name: 'a subresource is not its parent',
      rules: [{ role: 'ClusterRole/c', rule: { apiGroups: [''], resources: ['pods'], verbs: ['get'] } }],
      requests: [request('get', 'pods/log')],
      unused: ['ClusterRole/c: get pods'],
    },
    {
      name: 'a WebSocket exec (GET) uses both get and create, as kube-apiserver 1.35 checks it',
      rules: [
        {
          role: 'ClusterRole/c',
          rule: { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
        },
      ],
      requests: [request('get', 'pods/exec')],
      unused: [],
    },
    {
      name: 'resourceNames: each name must be used',
      rules: [
        {
          role: 'Role/r',
          namespace: 'restore-hooks',
          rule: { apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'], verbs: ['get'] },
        },
      ],
      requests: [request('get', 'configmaps', { namespace: 'restore-hooks', name: 'a' })],
      unused: ['Role/r: get configmaps (b)'],
    },
    {
      name: 'a Role grant is used only by requests in its namespace',
      rules: [
        {
          role: 'Role/r',
          namespace: 'restore-hooks',
          rule: { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
        },
      ],
      requests: [request('create', 'configmaps', { namespace: 'app' })],
      unused: ['Role/r: create configmaps'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(unusedGrants(c.rules, c.requests).map(formatGrant)).to.deep.equal(c.unused);
    });
  }
});
