import { expect } from 'chai';
import { errors } from '../../src/devcluster/api/errors.ts';
import type { DevCluster } from '../../src/devcluster/index.ts';
import type { RequestAttributes } from '../../src/devcluster/http/extension-points.ts';
import { rawRequest, startTestCluster, tokenOf } from '../helpers/devcluster.ts';

const KUBECTL_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('devcluster HTTP layer', () => {
  let cluster: DevCluster;
  let token: string;
  const seen: RequestAttributes[] = [];

  before(async () => {
    cluster = await startTestCluster({
      authorizer: (a) => {
        seen.push(a);
        if (
          a.user.username === 'system:serviceaccount:default:reader' &&
          a.verb !== 'get' &&
          a.verb !== 'list'
        )
          return { allowed: false, reason: 'read-only test account' };
        return { allowed: !a.user.groups.includes('system:unauthenticated') || a.path === '/version' };
      },
    });
    token = tokenOf(cluster.kubeconfig());
  });
  after(() => cluster.stop());

  describe('discovery', () => {
    it('reports version 1.32 without authentication', async () => {
      const r = await rawRequest(cluster, 'GET', '/version?timeout=5s');
      expect(r.status).to.equal(200);
      expect(r.json()).to.include({ major: '1', minor: '32' });
    });

    it('answers aggregated v2 for kubectl 1.32 and v2beta1 when only that is accepted', async () => {
      const v2 = await rawRequest(cluster, 'GET', '/apis', {
        token,
        headers: { Accept: KUBECTL_DISCOVERY_ACCEPT },
      });
      expect(v2.headers['content-type']).to.equal(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      );
      const body = v2.json() as {
        kind: string;
        apiVersion: string;
        items: {
          metadata: { name: string };
          versions: {
            version: string;
            resources: { resource: string; scope: string; subresources?: { subresource: string }[] }[];
          }[];
        }[];
      };
      expect(body).to.include({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
      const apps = body.items.find((g) => g.metadata.name === 'apps')!;
      const deployments = apps.versions[0]!.resources.find((r) => r.resource === 'deployments')!;
      expect(deployments.scope).to.equal('Namespaced');
      expect(deployments.subresources?.map((s) => s.subresource)).to.deep.equal(['status', 'scale']);
      const widgets = body.items.find((g) => g.metadata.name === 'example.com')!;
      expect(widgets.versions.map((v) => v.version)).to.deep.equal(['v1', 'v1beta1']);

      const beta = await rawRequest(cluster, 'GET', '/api', {
        token,
        headers: {
          Accept:
            'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
        },
      });
      expect(beta.headers['content-type']).to.equal(
        'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
      );
      expect(beta.json().apiVersion).to.equal('apidiscovery.k8s.io/v2beta1');
    });

    it('answers the legacy documents to plain JSON', async () => {
      const api = await rawRequest(cluster, 'GET', '/api', {
        token,
        headers: { Accept: 'application/json' },
      });
      expect(api.json()).to.include({ kind: 'APIVersions' });
      const apis = (await rawRequest(cluster, 'GET', '/apis', { token })).json() as {
        groups: { name: string; preferredVersion: { version: string } }[];
      };
      expect(apis.groups.find((g) => g.name === 'example.com')?.preferredVersion.version).to.equal('v1');
      const v1 = (await rawRequest(cluster, 'GET', '/api/v1', { token })).json() as {
        resources: { name: string; namespaced: boolean }[];
      };
      expect(v1.resources.find((r) => r.name === 'pods/status')).to.include({ namespaced: true });
      expect(v1.resources.find((r) => r.name === 'namespaces')).to.include({ namespaced: false });
      expect((await rawRequest(cluster, 'GET', '/apis/apps/v1', { token })).json().groupVersion).to.equal(
        'apps/v1',
      );
      expect((await rawRequest(cluster, 'GET', '/apis/nope/v1', { token })).status).to.equal(404);
    });

    it('follows CRDs added and removed at run time', async () => {
      const crd = {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'things.test.io' },
        spec: {
          group: 'test.io',
          scope: 'Cluster',
          names: { plural: 'things', kind: 'Thing' },
          versions: [{ name: 'v1alpha1', served: true, storage: true }],
        },
      };
      const before = (await rawRequest(cluster, 'GET', '/openapi/v3', { token })).json() as {
        paths: Record<string, unknown>;
      };
      expect(before.paths).to.not.have.property('apis/test.io/v1alpha1');
      expect(
        (
          await rawRequest(cluster, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
            token,
            body: JSON.stringify(crd),
          })
        ).status,
      ).to.equal(201);
      const created = await rawRequest(cluster, 'POST', '/apis/test.io/v1alpha1/things', {
        token,
        body: JSON.stringify({ apiVersion: 'test.io/v1alpha1', kind: 'Thing', metadata: { name: 't1' } }),
      });
      expect(created.status).to.equal(201);
      const after = (await rawRequest(cluster, 'GET', '/openapi/v3', { token })).json() as {
        paths: Record<string, { serverRelativeURL: string }>;
      };
      expect(after.paths['apis/test.io/v1alpha1']?.serverRelativeURL).to.match(
        /^\/openapi\/v3\/apis\/test\.io\/v1alpha1\?hash=[0-9A-F]+$/,
      );
      await rawRequest(
        cluster,
        'DELETE',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.test.io',
        { token },
      );
      expect((await rawRequest(cluster, 'GET', '/apis/test.io/v1alpha1/things', { token })).status).to.equal(
        404,
      );
    });

    it('serves minimal openapi v3 with PATCH operations naming their GVK and fieldValidation, and 404 for v2', async () => {
      const root = (await rawRequest(cluster, 'GET', '/openapi/v3', { token })).json() as {
        paths: Record<string, { serverRelativeURL: string }>;
      };
      const doc = (
        await rawRequest(cluster, 'GET', root.paths['api/v1']!.serverRelativeURL, { token })
      ).json() as {
        paths: Record<
          string,
          {
            patch: {
              'x-kubernetes-group-version-kind': unknown;
              parameters: { name: string }[];
              requestBody: { content: Record<string, unknown> };
            };
          }
        >;
      };
      const ns = doc.paths['/api/v1/namespaces/{name}']!.patch;
      expect(ns['x-kubernetes-group-version-kind']).to.deep.equal({
        group: '',
        version: 'v1',
        kind: 'Namespace',
      });
      expect(ns.parameters.map((p) => p.name)).to.include('fieldValidation');
      expect(ns.requestBody.content).to.not.have.property('application/strategic-merge-patch+json');
      expect((await rawRequest(cluster, 'GET', '/openapi/v2', { token })).status).to.equal(404);
    });

    it('answers /healthz, /readyz and /livez', async () => {
      for (const path of ['/healthz', '/readyz', '/livez']) {
        const r = await rawRequest(cluster, 'GET', path, { token });
        expect([r.status, r.text]).to.deep.equal([200, 'ok']);
      }
    });
  });

  describe('errors', () => {
    it('401 for an unknown token, with a Status body', async () => {
      const r = await rawRequest(cluster, 'GET', '/api/v1/pods', { token: 'forged' });
      expect(r.status).to.equal(401);
      expect(r.json()).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    });

    it('403 with the RBAC-style message when the authorizer denies, with RequestInfo filled in', async () => {
      const sa = tokenOf(cluster.kubeconfig({ serviceAccount: { namespace: 'default', name: 'reader' } }));
      expect(
        (await rawRequest(cluster, 'GET', '/api/v1/namespaces/default/configmaps', { token: sa })).status,
      ).to.equal(200);
      const r = await rawRequest(cluster, 'PATCH', '/api/v1/namespaces/default/pods/p1/status', {
        token: sa,
        body: '{}',
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(r.status).to.equal(403);
      expect(r.json()).to.deep.include({
        reason: 'Forbidden',
        message:
          'pods "p1" is forbidden: User "system:serviceaccount:default:reader" cannot patch resource "pods/status" in API group "" in the namespace "default": read-only test account',
        details: { name: 'p1', kind: 'pods' },
      });
      const attrs = seen.find((a) => a.verb === 'patch' && a.subresource === 'status')!;
      expect(attrs).to.deep.include({
        apiGroup: '',
        apiVersion: 'v1',
        namespace: 'default',
        resource: 'pods',
        name: 'p1',
      });
      expect(attrs.user.groups).to.include('system:serviceaccounts:default');
      const anonymous = await rawRequest(cluster, 'GET', '/api/v1/pods');
      expect(anonymous.status).to.equal(403);
    });

    it('400 for a malformed limit, selector or timeoutSeconds', async () => {
      for (const query of [
        'limit=abc',
        'labelSelector=a%20in%20(',
        'fieldSelector=spec.bogus%3D1',
        'watch=1&timeoutSeconds=x',
        'resourceVersionMatch=Sometimes',
      ]) {
        const r = await rawRequest(cluster, 'GET', `/api/v1/namespaces/default/configmaps?${query}`, {
          token,
        });
        expect([query, r.status, r.json().reason]).to.deep.equal([query, 400, 'BadRequest']);
      }
    });

    it('404 for unknown resources and namespaced resources without a namespace', async () => {
      expect((await rawRequest(cluster, 'GET', '/api/v1/frobs', { token })).json()).to.include({
        code: 404,
        message: 'the server could not find the requested resource',
      });
      expect((await rawRequest(cluster, 'GET', '/api/v1/pods/p1', { token })).status).to.equal(404);
    });

    it('405 for a method a resource does not serve, 415 for an unknown patch type, 413 for a huge body', async () => {
      expect((await rawRequest(cluster, 'POST', '/version', { token })).status).to.equal(405);
      const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c415' } });
      await rawRequest(cluster, 'POST', '/api/v1/namespaces/default/configmaps', { token, body: cm });
      const r = await rawRequest(cluster, 'PATCH', '/api/v1/namespaces/default/configmaps/c415', {
        token,
        body: '{}',
        headers: { 'Content-Type': 'text/plain' },
      });
      expect(r.status).to.equal(415);
      expect(r.json().reason).to.equal('UnsupportedMediaType');
      const huge = JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'huge' },
        data: { a: 'x'.repeat(4 * 1024 * 1024) },
      });
      const big = await rawRequest(cluster, 'POST', '/api/v1/namespaces/default/configmaps', {
        token,
        body: huge,
      });
      expect(big.status).to.equal(413);
    });

    it('400 for an undecodable body', async () => {
      const r = await rawRequest(cluster, 'POST', '/api/v1/namespaces/default/configmaps', {
        token,
        body: '{not json',
      });
      expect(r.status).to.equal(400);
      expect(r.json().kind).to.equal('Status');
    });
  });

  describe('watch over HTTP', () => {
    it('streams NDJSON and sends the 410 ERROR event with a 200 for an expired resourceVersion', async () => {
      cluster.api.compact();
      const r = await rawRequest(
        cluster,
        'GET',
        '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1',
        { token },
      );
      expect(r.status).to.equal(200);
      const lines = r.text.trim().split('\n');
      expect(lines).to.have.length(1);
      const event = JSON.parse(lines[0]!) as {
        type: string;
        object: { code: number; reason: string; message: string };
      };
      expect(event.type).to.equal('ERROR');
      expect(event.object).to.include({ code: 410, reason: 'Expired' });
      expect(event.object.message).to.match(/^too old resource version: 1 \(\d+\)$/);
    });

    it('ends a watch at timeoutSeconds; items of built-in lists carry no kind', async () => {
      const list = (
        await rawRequest(cluster, 'GET', '/api/v1/namespaces/default/configmaps', { token })
      ).json() as { kind: string; items: Record<string, unknown>[] };
      expect(list.kind).to.equal('ConfigMapList');
      expect(list.items[0]).to.not.have.property('kind');
      const r = await rawRequest(
        cluster,
        'GET',
        '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1',
        { token },
      );
      expect(r.status).to.equal(200);
      const types = r.text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type);
      expect(new Set(types)).to.deep.equal(new Set(['ADDED']));
    });

    it('lets a request filter reject requests with its ApiError', async () => {
      const remove = cluster.http.addRequestFilter((ctx) => {
        if (ctx.info.resource === 'secrets') throw errors.tooManyRequests(3);
      });
      try {
        const r = await rawRequest(cluster, 'GET', '/api/v1/namespaces/default/secrets', { token });
        expect(r.status).to.equal(429);
        expect(r.headers['retry-after']).to.equal('3');
        expect(r.json()).to.deep.include({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
      } finally {
        remove();
      }
      expect(
        (await rawRequest(cluster, 'GET', '/api/v1/namespaces/default/secrets', { token })).status,
      ).to.equal(200);
    });
  });
});
