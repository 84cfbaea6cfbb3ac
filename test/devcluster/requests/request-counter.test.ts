import { expect } from 'chai';
import { startSimulatedCluster } from '../../../src/devcluster/simulated.ts';
import type { SimulatedCluster } from '../../../src/devcluster/simulated.ts';
import type { RequestCount } from '../../../src/devcluster/requests/request-counter.ts';
import { rawRequest, tokenOf } from '../../helpers/devcluster.ts';

describe('devcluster request counter (/devcluster/requests)', () => {
  let cluster: SimulatedCluster;
  let admin: string;
  beforeEach(async () => {
    cluster = await startSimulatedCluster({ simulation: false, crdDirectory: false });
    admin = tokenOf(cluster.kubeconfig());
  });
  afterEach(() => cluster.stop());

  const as = (agent: string, method: string, path: string, body?: unknown) =>
    rawRequest(cluster, method, path, {
      token: admin,
      headers: { 'User-Agent': `${agent}/1.0 (linux/amd64)` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const counts = async (): Promise<RequestCount[]> => {
    const res = await rawRequest(cluster, 'GET', '/devcluster/requests', { token: admin });
    expect(res.status).to.equal(200);
    return (res.json() as { requests: RequestCount[] }).requests;
  };
  const countOf = (all: RequestCount[], match: Partial<RequestCount>) =>
    all
      .filter((c) => Object.entries(match).every(([k, v]) => c[k as keyof RequestCount] === v))
      .reduce((n, c) => n + c.count, 0);

  it('counts resource requests by user agent product, verb, resource and subresource', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } };
    expect((await as('writer', 'POST', '/api/v1/namespaces/default/configmaps', cm)).status).to.equal(201);
    const patched = await rawRequest(cluster, 'PATCH', '/api/v1/namespaces/default/configmaps/a', {
      token: admin,
      body: JSON.stringify({ data: { k: 'v' } }),
      headers: { 'User-Agent': 'writer/1.0', 'Content-Type': 'application/merge-patch+json' },
    });
    expect(patched.status).to.equal(200);
    await as('reader', 'GET', '/api/v1/namespaces/default/configmaps/a');
    await as('reader', 'GET', '/api/v1/namespaces/default/configmaps');
    await as('reader', 'GET', '/version'); // not a resource request: not counted

    const all = await counts();
    expect(countOf(all, { userAgent: 'writer', verb: 'create', resource: 'configmaps' })).to.equal(1);
    expect(countOf(all, { userAgent: 'writer', verb: 'patch', resource: 'configmaps' })).to.equal(1);
    expect(countOf(all, { userAgent: 'reader', verb: 'get', resource: 'configmaps' })).to.equal(1);
    expect(countOf(all, { userAgent: 'reader', verb: 'list', resource: 'configmaps' })).to.equal(1);
    expect(countOf(all, { userAgent: 'reader' })).to.equal(2);
    expect(all.find((c) => c.userAgent === 'writer' && c.verb === 'create')).to.deep.equal({
      userAgent: 'writer',
      verb: 'create',
      group: '',
      resource: 'configmaps',
      subresource: '',
      count: 1,
    });
  });

  it('resets on DELETE, and answers only admins', async () => {
    await as('writer', 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'b' },
    });
    expect(await counts()).to.have.length.greaterThan(0);
    const reset = await rawRequest(cluster, 'DELETE', '/devcluster/requests', { token: admin });
    expect(reset.status).to.equal(204);
    expect(await counts()).to.deep.equal([]);
    const user = tokenOf(
      cluster.kubeconfig({ user: { username: 'someone', groups: ['system:authenticated'] } }),
    );
    const denied = await rawRequest(cluster, 'GET', '/devcluster/requests', { token: user });
    expect(denied.status).to.equal(403);
    const wrongMethod = await rawRequest(cluster, 'POST', '/devcluster/requests', { token: admin });
    expect(wrongMethod.status).to.equal(405);
    expect(wrongMethod.json()).to.include({ reason: 'MethodNotAllowed' });
  });
});
