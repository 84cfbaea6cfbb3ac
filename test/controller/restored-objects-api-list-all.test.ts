import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { RestoredObjectsApi } from '../../src/controller/restored-objects-api.ts';
import { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import type { KubeObject } from '../../src/controller/machinery/kube-object.ts';
import { startDevCluster } from '../../src/devcluster/index.ts';
import type { DevCluster } from '../../src/devcluster/index.ts';

/** RestoredObjectsApi.listAll over HTTPS: pages of 500, the next one requested from the head of the current one. */
describe('RestoredObjectsApi.listAll (paged lists, devcluster over HTTPS)', function () {
  this.timeout(120_000);
  let cluster: DevCluster;
  let client: KubeJsonClient;
  /** Every URL requested. */
  const urls: string[] = [];
  const COUNT = 1_001;

  before(async () => {
    cluster = await startDevCluster({ crdDirectory: false });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig());
    const inner = new IsomorphicFetchHttpLibrary();
    client = new KubeJsonClient(kubeConfig, {
      send: (request) => (urls.push(request.getUrl()), inner.send(request)),
    });
    for (const ns of ['a', 'b'])
      await client.request({
        method: 'POST',
        path: '/api/v1/namespaces',
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      });
    for (let start = 0; start < COUNT; start += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, COUNT - start) }, (_, k) => start + k).map((i) =>
          client.request({
            method: 'POST',
            path: `/api/v1/namespaces/${i % 2 === 0 ? 'a' : 'b'}/configmaps`,
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: `cm-${String(i).padStart(4, '0')}`, labels: { listed: 'yes' } },
              data: { i: String(i) },
            },
          }),
        ),
      );
  });
  after(() => cluster.stop());

  const names = (items: KubeObject[]) => items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);

  it('reads every page (3 of them) and returns what one unpaged list returns, in order', async () => {
    urls.length = 0;
    const paged = await new RestoredObjectsApi(client).listAll<KubeObject>('/api/v1/configmaps', {
      labelSelector: 'listed=yes',
    });
    const pages = urls.filter((u) => new URL(u).pathname === '/api/v1/configmaps');
    expect(pages).to.have.length(3);
    expect(pages.map((u) => new URL(u).searchParams.get('limit'))).to.deep.equal(['500', '500', '500']);
    const whole = await client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: '/api/v1/configmaps',
      query: { labelSelector: 'listed=yes' },
    });
    expect(paged).to.have.length(COUNT);
    expect(names(paged)).to.deep.equal(names(whole.items));
    expect(paged).to.deep.equal(whole.items);
  });

  it('applies keep to each item', async () => {
    const kept = await new RestoredObjectsApi(client).listAll<KubeObject>(
      '/api/v1/namespaces/b/configmaps',
      { labelSelector: 'listed=yes' },
      (o) => ({ metadata: { name: o.metadata?.name } }) as KubeObject,
    );
    expect(kept).to.have.length(500);
    expect(kept[0]).to.deep.equal({ metadata: { name: 'cm-0001' } });
  });

  it('fails with the API error of a page, as one request would', async () => {
    let error: unknown;
    try {
      await new RestoredObjectsApi(client).listAll('/api/v1/configmaps', { labelSelector: 'bad selector!' });
    } catch (e) {
      error = e;
    }
    expect((error as { code?: number }).code).to.equal(400);
  });
});
