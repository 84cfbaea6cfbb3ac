import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import type { HttpLibrary } from '@kubernetes/client-node';
import { expect } from 'chai';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { dispatcherHttpLibrary } from '../../../src/controller/machinery/dispatcher-http-library.ts';
import { instrumentedHttpLibrary } from '../../../src/controller/machinery/transport.ts';
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

  /** Connections undici opened to the devcluster while `fn` ran (its diagnostics channel, as an APM would count). */
  const connectionsOpened = async (fn: () => Promise<void>): Promise<number> => {
    const port = new URL(cluster.url).port;
    let opened = 0;
    const onConnected = (message: unknown) => {
      const info = message as { connectParams?: { port?: string | number } };
      if (String(info.connectParams?.port) === port) opened++;
    };
    subscribe('undici:client:connected', onConnected);
    try {
      await fn();
    } finally {
      unsubscribe('undici:client:connected', onConnected);
    }
    return opened;
  };
  const sequential = (http: HttpLibrary) => async () => {
    const client = new KubeJsonClient(kubeConfig, http);
    for (let i = 0; i < 10; i++) await client.request({ method: 'GET', path: '/api/v1/namespaces/default' });
  };
  const concurrent = (http: HttpLibrary) => async () => {
    const client = new KubeJsonClient(kubeConfig, http);
    await Promise.all(
      Array.from({ length: 10 }, () => client.request({ method: 'GET', path: '/api/v1/namespaces' })),
    );
  };

  it('client-node alone opens a connection (and a TLS handshake) for every request: the premise', async () => {
    const http = new IsomorphicFetchHttpLibrary();
    expect(await connectionsOpened(sequential(http))).to.equal(10);
    expect(await connectionsOpened(concurrent(http))).to.equal(10);
  });

  // The controller ships dispatcherHttpLibrary; the pool also works under client-node's fetch library.
  for (const [libraryName, library] of [
    ['Dispatcher.request', dispatcherHttpLibrary],
    ['client-node fetch', () => new IsomorphicFetchHttpLibrary()],
  ] as const) {
    it(`the instrumented transport keeps its connections and reuses them (${libraryName})`, async () => {
      const http = instrumentedHttpLibrary(library(), { qps: 1000, burst: 1000 });
      // undici may open a second connection while the first one's response is being completed, no more.
      expect(await connectionsOpened(sequential(http))).to.be.at.most(2);
      // Concurrent requests need connections of their own, once: the pool keeps them for what follows.
      expect(await connectionsOpened(concurrent(http))).to.be.at.most(10);
      expect(await connectionsOpened(sequential(http))).to.equal(0);
      expect(await connectionsOpened(concurrent(http))).to.be.below(10);
    });

    it(`keeps the connection open after a DELETE with a body (the preconditions), which undici would close (${libraryName})`, async () => {
      const client = new KubeJsonClient(
        kubeConfig,
        instrumentedHttpLibrary(library(), { qps: 1000, burst: 1000 }),
      );
      const configMaps = '/api/v1/namespaces/default/configmaps';
      const names = Array.from({ length: 5 }, (_, i) => `pool-delete-${i}`);
      for (const name of names)
        await client.request({
          method: 'POST',
          path: configMaps,
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
        });
      const opened = await connectionsOpened(async () => {
        for (const name of names)
          await client.request({
            method: 'DELETE',
            path: `${configMaps}/${name}`,
            body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: undefined } },
          });
        await client.request({ method: 'GET', path: configMaps });
      });
      expect(opened).to.equal(0);
    });
  }
});
