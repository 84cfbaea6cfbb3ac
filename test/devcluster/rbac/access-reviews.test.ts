import { expect } from 'chai';
import type { DevCluster } from '../../../src/devcluster/index.ts';
import { startSimulatedCluster } from '../../../src/devcluster/simulated.ts';
import { rawRequest, tokenOf } from '../../helpers/devcluster.ts';

const REVIEWS = '/apis/authorization.k8s.io/v1';
const RBAC = { group: 'rbac.authorization.k8s.io', version: 'v1' };

describe('devcluster authorization reviews and impersonation', () => {
  for (const rbac of [false, true])
    describe(rbac ? 'under --rbac' : 'with the default authorizer', () => {
      let cluster: DevCluster;
      let admin: string;
      let bob: string;
      before(async () => {
        cluster = await startSimulatedCluster({ simulation: false, rbac, crdDirectory: false });
        admin = tokenOf(cluster.kubeconfig());
        bob = tokenOf(cluster.kubeconfig({ user: { username: 'bob', groups: ['system:authenticated'] } }));
        cluster.api.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'kx' },
        });
        cluster.api.create({ ...RBAC, resource: 'roles' }, 'kx', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'reader' },
          rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
        });
        cluster.api.create({ ...RBAC, resource: 'rolebindings' }, 'kx', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'bob-reads' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
        });
      });
      after(() => cluster.stop());

      const post = (token: string, resource: string, body: object, headers: Record<string, string> = {}) =>
        rawRequest(cluster, 'POST', `${REVIEWS}/${resource}`, {
          token,
          body: JSON.stringify(body),
          headers,
        });
      const attributes = (verb: string) => ({ namespace: 'kx', verb, resource: 'pods' });

      it('SelfSubjectAccessReview answers for the requester', async () => {
        for (const [verb, allowed] of [
          ['get', true],
          ['create', !rbac],
        ] as const) {
          const r = await post(bob, 'selfsubjectaccessreviews', {
            kind: 'SelfSubjectAccessReview',
            apiVersion: 'authorization.k8s.io/v1',
            spec: { resourceAttributes: attributes(verb) },
          });
          expect(r.status, r.text).to.equal(201);
          expect(r.json()).to.deep.include({ kind: 'SelfSubjectAccessReview' });
          expect((r.json().status as { allowed: boolean }).allowed, verb).to.equal(allowed);
        }
      });

      it('SubjectAccessReview answers for the named user, and checks its spec', async () => {
        const r = await post(admin, 'subjectaccessreviews', {
          spec: { user: 'bob', resourceAttributes: attributes('delete') },
        });
        expect(r.status, r.text).to.equal(201);
        expect((r.json().status as { allowed: boolean }).allowed).to.equal(!rbac);
        const bad = await post(admin, 'subjectaccessreviews', {
          spec: { resourceAttributes: attributes('get') },
        });
        expect(bad.status).to.equal(422);
        expect(bad.json().message).to.contain('at least one of user or group must be specified');
        const both = await post(admin, 'subjectaccessreviews', {
          spec: {
            user: 'bob',
            resourceAttributes: attributes('get'),
            nonResourceAttributes: { path: '/x', verb: 'get' },
          },
        });
        expect(both.status).to.equal(422);
        expect(both.json().message).to.contain('exactly one of nonResourceAttributes or resourceAttributes');
      });

      it('LocalSubjectAccessReview needs the namespace of its URL', async () => {
        const path = 'namespaces/kx/localsubjectaccessreviews';
        const r = await rawRequest(cluster, 'POST', `${REVIEWS}/${path}`, {
          token: admin,
          body: JSON.stringify({ spec: { user: 'bob', resourceAttributes: attributes('list') } }),
        });
        expect(r.status, r.text).to.equal(201);
        expect((r.json().status as { allowed: boolean }).allowed).to.equal(true);
        const other = await rawRequest(cluster, 'POST', `${REVIEWS}/${path}`, {
          token: admin,
          body: JSON.stringify({
            spec: { user: 'bob', resourceAttributes: { ...attributes('list'), namespace: 'y' } },
          }),
        });
        expect(other.status).to.equal(422);
      });

      it('SelfSubjectRulesReview lists what the requester may do in the namespace', async () => {
        const r = await post(bob, 'selfsubjectrulesreviews', { spec: { namespace: 'kx' } });
        expect(r.status, r.text).to.equal(201);
        const status = r.json().status as { resourceRules: { verbs: string[]; resources?: string[] }[] };
        if (rbac)
          expect(status.resourceRules).to.deep.include({
            verbs: ['get', 'list'],
            apiGroups: [''],
            resources: ['pods'],
          });
        else
          expect(status.resourceRules).to.deep.equal([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
      });

      it('reviews accept only create', async () => {
        const r = await rawRequest(cluster, 'GET', `${REVIEWS}/selfsubjectaccessreviews`, { token: admin });
        expect(r.status).to.equal(405);
      });

      it('impersonation: the request runs as the impersonated user, when the requester may impersonate', async () => {
        const asBob = { 'Impersonate-User': 'bob' };
        const r = await post(
          admin,
          'selfsubjectaccessreviews',
          { spec: { resourceAttributes: attributes('create') } },
          asBob,
        );
        expect(r.status, r.text).to.equal(201);
        expect((r.json().status as { allowed: boolean }).allowed).to.equal(!rbac);
        const byBob = await rawRequest(cluster, 'GET', '/api/v1/namespaces/kx/pods', {
          token: bob,
          headers: { 'Impersonate-User': 'alice' },
        });
        if (rbac) {
          expect(byBob.status).to.equal(403);
          expect(byBob.json().message).to.equal(
            'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
          );
        } else expect(byBob.status).to.equal(200);
        const groupOnly = await rawRequest(cluster, 'GET', '/api/v1/namespaces/kx/pods', {
          token: admin,
          headers: { 'Impersonate-Group': 'dev' },
        });
        expect(groupOnly.status).to.equal(500);
      });
    });
});
