import type { V1ConfigMap } from '@kubernetes/client-node';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createApiClients } from '../../../src/controller/machinery/api-clients.ts';
import { isNotFound } from '../../../src/controller/machinery/api-errors.ts';
import { Controller } from '../../../src/controller/machinery/controller.ts';
import { enqueueHandler } from '../../../src/controller/machinery/event-handlers.ts';
import { Informer } from '../../../src/controller/machinery/informer.ts';
import { splitObjectKey } from '../../../src/controller/machinery/kube-object.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import { KubeListWatch } from '../../../src/controller/machinery/list-watch.ts';
import { retryOnConflict } from '../../../src/controller/machinery/retry.ts';
import { MachineryDevCluster } from '../../helpers/machinery-devcluster.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// The pieces wired as a reconciler will wire them, over real HTTPS against the devcluster (issue #3):
// informer -> enqueue-only handler -> controller -> rate-limited API client writing with retryOnConflict.
describe('controller machinery end to end (devcluster)', () => {
  let server: MachineryDevCluster;
  const stops: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    server = await MachineryDevCluster.start();
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await server.stop();
  });

  it('reconciles every labelled object once it changes, survives injected errors and 429s, and reports metrics', async () => {
    const registry = new Registry();
    const clients = createApiClients(server.kubeConfig, { qps: 200, burst: 50, registry });
    const informer = new Informer<KubeObject>({
      name: 'configmaps',
      listWatch: new KubeListWatch(server.kubeConfig, '/api/v1/namespaces/app/configmaps'),
      labelSelector: 'example.com/stamp',
      backoff: { initialMs: 10, maxMs: 50 },
    });
    const controller = new Controller({
      name: 'stamper',
      maxConcurrentReconciles: 3,
      registry,
      reconcile: async (key) => {
        const cached = informer.store.get(key);
        if (!cached) return {};
        const { namespace, name } = splitObjectKey(key);
        // Level-triggered and idempotent: write only when the stamp is missing or stale.
        await retryOnConflict(async () => {
          let current: V1ConfigMap;
          try {
            current = await clients.core.readNamespacedConfigMap({ namespace: namespace!, name });
          } catch (error: unknown) {
            if (isNotFound(error)) return;
            throw error;
          }
          const want = current.metadata?.labels?.['example.com/stamp'];
          if (current.data?.stamped === want) return;
          await clients.core.replaceNamespacedConfigMap({
            namespace: namespace!,
            name,
            body: { ...current, data: { ...current.data, stamped: want ?? '' } },
          });
        });
        return {};
      },
    });
    informer.addEventHandler(enqueueHandler(controller));
    stops.push(
      () => informer.stop(),
      () => controller.stop(),
    );

    for (let i = 0; i < 6; i++) {
      server.put('configmaps', {
        metadata: { name: `cm-${i}`, namespace: 'app', labels: { 'example.com/stamp': 'v1' } },
      });
    }
    server.put('configmaps', { metadata: { name: 'unlabelled', namespace: 'app' } });
    informer.start();
    expect(await informer.waitForSync()).to.equal(true);
    controller.start();

    const stampOf = (name: string) =>
      (server.get('configmaps', 'app', name)?.data as { stamped?: string } | undefined)?.stamped;
    await waitFor('all labelled objects stamped', () =>
      Array.from({ length: 6 }, (_, i) => stampOf(`cm-${i}`)).every((stamp) => stamp === 'v1'),
    );
    expect(server.get('configmaps', 'app', 'unlabelled')!.data).to.equal(undefined);

    // Errors (500) and throttling (429 with Retry-After) on the way: the object still converges.
    server.failNext(2, 500);
    server.failNext(1, 429);
    server.put('configmaps', {
      metadata: { name: 'cm-0', namespace: 'app', labels: { 'example.com/stamp': 'v2' } },
      data: { stamped: 'v1' },
    });
    await waitFor('cm-0 restamped', () => stampOf('cm-0') === 'v2');

    const labels = { controller: 'stamper' };
    expect(
      await metricValue(registry, 'controller_runtime_reconcile_total', { ...labels, result: 'success' }),
    ).to.be.at.least(7);
    expect(await metricValue(registry, 'controller_runtime_reconcile_errors_total', labels)).to.be.at.least(
      1,
    );
    // The 429 hit the reconcile's read, which the client resent after Retry-After.
    expect(
      await metricValue(registry, 'rest_client_requests_total', {
        code: '429',
        method: 'GET',
        host: server.host,
      }),
    ).to.equal(1);
    // The watch event of the controller's own last write may still enqueue the key once more: the queue drains.
    await waitFor(
      'the work queue to drain',
      async () =>
        (await metricValue(registry, 'workqueue_depth', { name: 'stamper', controller: 'stamper' })) === 0,
    );
  });
});
