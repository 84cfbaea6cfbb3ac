import diagnostics from 'node:diagnostics_channel';
import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import type { HttpLibrary, RequestContext } from '@kubernetes/client-node';
import { expect } from 'chai';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { instrumentedHttpLibrary } from '../../../src/controller/machinery/api-clients.ts';
import { startDevCluster } from '../../../src/devcluster/index.ts';
import type { DevCluster } from '../../../src/devcluster/index.ts';

describe('API transport: one connection pool (over HTTPS, devcluster)', () => {
  let cluster: DevCluster;
  let kubeConfig: KubeConfig;
  before(async () => {
    cluster = await startDevCluster({ crdDirectory: false });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig());
  });
  after(() => cluster.stop());

  /** The real transport, recording the dispatcher (connection pool) each request is sent with. */
  const recording = (dispatchers: unknown[]): HttpLibrary => {
    const real = new IsomorphicFetchHttpLibrary();
    return {
      send(request: RequestContext) {
        dispatchers.push(request.getDispatcher());
        return real.send(request);
      },
    };
  };
  const someRequests = async (client: KubeJsonClient) => {
    for (let i = 0; i < 5; i++) await client.request({ method: 'GET', path: '/api/v1/namespaces/default' });
    await Promise.all(
      Array.from({ length: 5 }, () => client.request({ method: 'GET', path: '/api/v1/namespaces' })),
    );
  };

  it('client-node alone gives every request a dispatcher of its own (the premise)', async () => {
    const dispatchers: unknown[] = [];
    await someRequests(new KubeJsonClient(kubeConfig, recording(dispatchers)));
    expect(dispatchers).to.have.length(10);
    expect(new Set(dispatchers).size).to.equal(10);
  });

  it('the instrumented transport sends every request through the same dispatcher', async () => {
    const dispatchers: unknown[] = [];
    const http = instrumentedHttpLibrary(recording(dispatchers), { qps: 1000, burst: 1000 });
    await someRequests(new KubeJsonClient(kubeConfig, http));
    expect(dispatchers).to.have.length(10);
    expect(new Set(dispatchers).size).to.equal(1);
    expect(dispatchers[0]).to.not.equal(undefined);
  });

  it('keeps the connection open after a DELETE with a body (the preconditions), which undici would close', async () => {
    let connections = 0;
    const count = () => void connections++;
    diagnostics.subscribe('undici:client:connected', count);
    try {
      const client = new KubeJsonClient(
        kubeConfig,
        instrumentedHttpLibrary(new IsomorphicFetchHttpLibrary(), { qps: 1000, burst: 1000 }),
      );
      const configMaps = '/api/v1/namespaces/default/configmaps';
      const names = Array.from({ length: 5 }, (_, i) => `pool-delete-${i}`);
      for (const name of names)
        await client.request({
          method: 'POST',
          path: configMaps,
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
        });
      const before = connections;
      for (const name of names)
        await client.request({
          method: 'DELETE',
          path: `${configMaps}/${name}`,
          body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: undefined } },
        });
      await client.request({ method: 'GET', path: configMaps });
      expect(connections - before).to.equal(0);
    } finally {
      diagnostics.unsubscribe('undici:client:connected', count);
    }
  });
});
