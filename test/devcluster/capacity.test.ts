import { expect } from 'chai';
import { request } from 'node:https';
import type { DevCluster, KubeObject } from '../../src/devcluster/index.ts';
import { eventually, rawRequest, startTestCluster, tokenOf } from '../helpers/devcluster.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const TOTAL = 50_000;

/** An open HTTP watch collecting the names in its events. */
function httpWatch(cluster: DevCluster, token: string, query: string) {
  const names: string[] = [];
  const types: string[] = [];
  let buffer = '';
  const req = request(
    new URL(`/api/v1/pods?watch=true&${query}`, cluster.url),
    { ca: cluster.caCert, agent: false, headers: { Authorization: `Bearer ${token}` } },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const event = JSON.parse(buffer.slice(0, nl)) as { type: string; object: KubeObject };
          buffer = buffer.slice(nl + 1);
          types.push(event.type);
          names.push(event.object.metadata.name ?? '');
        }
      });
      res.on('error', () => undefined);
    },
  );
  req.on('error', () => undefined);
  req.end();
  return { names, types, close: () => req.destroy() };
}

describe('devcluster capacity', function () {
  this.timeout(300_000);
  let cluster: DevCluster;
  let token: string;

  before(async () => {
    cluster = await startTestCluster();
    token = tokenOf(cluster.kubeconfig());
    for (const ns of ['cap-a', 'cap-b'])
      cluster.api.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
  });
  after(() => cluster.stop());

  it(`holds ${TOTAL} pods, lists them over HTTP in pages and fans new events out to several watchers`, async () => {
    for (let i = 0; i < TOTAL; i++) {
      cluster.api.create(PODS, i % 2 ? 'cap-a' : 'cap-b', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `pod-${i}`, labels: { shard: String(i % 10) } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      });
    }
    expect(cluster.api.store.count('/pods')).to.equal(TOTAL);

    let listed = 0;
    let cont: string | undefined;
    let listRv: string | undefined;
    do {
      const page = (
        await rawRequest(
          cluster,
          'GET',
          `/api/v1/pods?limit=10000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
          { token },
        )
      ).json() as {
        metadata: { resourceVersion: string; continue?: string };
        items: unknown[];
      };
      listed += page.items.length;
      listRv ??= page.metadata.resourceVersion;
      cont = page.metadata.continue;
    } while (cont);
    expect(listed).to.equal(TOTAL);

    const shard3 = (
      await rawRequest(cluster, 'GET', '/api/v1/namespaces/cap-a/pods?labelSelector=shard%3D3', { token })
    ).json() as { items: unknown[] };
    expect(shard3.items).to.have.length(TOTAL / 10);

    const all = [1, 2, 3].map(() => httpWatch(cluster, token, `resourceVersion=${listRv}`));
    const selective = httpWatch(cluster, token, `resourceVersion=${listRv}&labelSelector=shard%3Dnew`);
    const initial = httpWatch(cluster, token, `fieldSelector=metadata.name%3Dpod-7`);
    await eventually(() => (initial.names.length === 1 ? true : undefined), 'the initial ADDED of pod-7');
    for (let i = 0; i < 100; i++)
      cluster.api.create(PODS, 'cap-a', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `late-${i}`, labels: { shard: i < 10 ? 'new' : 'old' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      });
    try {
      for (const w of all)
        await eventually(
          () => (w.names.length >= 100 ? true : undefined),
          'every watcher to see the 100 new pods',
          60_000,
        );
      for (const w of all) expect(w.names).to.deep.equal(Array.from({ length: 100 }, (_, i) => `late-${i}`));
      await eventually(() => (selective.names.length >= 10 ? true : undefined), 'the selective watcher');
      expect(selective.names).to.deep.equal(Array.from({ length: 10 }, (_, i) => `late-${i}`));
      expect(initial.names).to.deep.equal(['pod-7']);
    } finally {
      for (const w of [...all, selective, initial]) w.close();
    }
  });
});
