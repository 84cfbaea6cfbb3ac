import { expect } from 'chai';
import { Registry } from 'prom-client';
import { instrumentedHttpLibrary } from '../../../src/controller/machinery/transport.ts';
import type { RecoveryEvent } from '../../../src/controller/machinery/informer.ts';
import { Informer } from '../../../src/controller/machinery/informer.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import { KubeListWatch } from '../../../src/controller/machinery/list-watch.ts';
import { dispatcherHttpLibrary } from '../../../src/controller/machinery/dispatcher-http-library.ts';
import { MachineryDevCluster } from '../../helpers/machinery-devcluster.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// client-node over real HTTPS against the devcluster (issue #3).
describe('Informer over HTTP (client-node against the devcluster)', () => {
  let server: MachineryDevCluster;
  let informer: Informer<KubeObject> | undefined;
  let recoveries: RecoveryEvent[];

  const configMap = (
    name: string,
    labels: Record<string, string> = {},
    data: Record<string, string> = {},
  ) => ({
    metadata: { name, namespace: 'app', labels },
    data,
  });

  function newInformer(
    options: { labelSelector?: string; stallTimeoutMs?: number; registry?: Registry } = {},
  ) {
    const httpLibrary = options.registry
      ? instrumentedHttpLibrary(dispatcherHttpLibrary(), {
          qps: 1000,
          burst: 1000,
          registry: options.registry,
        })
      : undefined;
    informer = new Informer<KubeObject>({
      name: 'configmaps',
      listWatch: new KubeListWatch(server.kubeConfig, '/api/v1/namespaces/app/configmaps', { httpLibrary }),
      labelSelector: options.labelSelector,
      stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
      backoff: { initialMs: 10, maxMs: 50 },
      pageSize: 2,
      onRecovery: (event) => recoveries.push(event),
    });
    return informer;
  }

  const names = () =>
    informer!.store
      .list()
      .map((o) => o.metadata!.name!)
      .sort();

  beforeEach(async () => {
    server = await MachineryDevCluster.start();
    recoveries = [];
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await server.stop();
  });

  it('lists and watches with the same label selector, syncs, and follows adds, updates and deletes', async () => {
    server.put('configmaps', configMap('a', { 'velero.io/restore-name': 'r1' }));
    server.put('configmaps', configMap('b'));
    server.put('configmaps', configMap('c', { 'velero.io/restore-name': 'r1' }));
    server.put('configmaps', configMap('d', { 'velero.io/restore-name': 'r2' }));
    const registry = new Registry();
    const inf = newInformer({ labelSelector: 'velero.io/restore-name', registry });
    inf.start();
    expect(await inf.waitForSync()).to.equal(true);
    expect(names()).to.deep.equal(['a', 'c', 'd']);
    expect(server.listRequests.map((p) => p.get('labelSelector'))).to.deep.equal([
      'velero.io/restore-name',
      'velero.io/restore-name',
    ]);
    await waitFor('the watch', () => server.watchStreams >= 1);
    expect(server.watchRequests[0]!.get('labelSelector')).to.equal('velero.io/restore-name');
    expect(server.watchRequests[0]!.get('allowWatchBookmarks')).to.equal('true');

    server.put('configmaps', configMap('e', { 'velero.io/restore-name': 'r3' }));
    server.put('configmaps', configMap('f'));
    server.put('configmaps', configMap('a', { 'velero.io/restore-name': 'r1' }, { changed: 'yes' }));
    server.remove('configmaps', 'app', 'c');
    await waitFor(
      'watch events applied',
      () => names().join() === 'a,d,e' && inf.store.get('app/a')?.data !== undefined,
    );
    expect(inf.store.get('app/a')!.data).to.deep.equal({ changed: 'yes' });
    expect(
      await metricValue(registry, 'rest_client_requests_total', {
        code: '200',
        method: 'GET',
        host: server.host,
      }),
      'two list pages and the watch',
    ).to.equal(3);
  });

  it('caches one representation: plain JSON with string timestamps and kind/apiVersion, from list and watch alike', async () => {
    server.put('configmaps', configMap('listed'));
    const inf = newInformer();
    inf.start();
    await inf.waitForSync();
    await waitFor('the watch', () => server.watchStreams >= 1);
    server.put('configmaps', configMap('watched'));
    await waitFor('watched object', () => inf.store.get('app/watched') !== undefined);
    for (const object of [inf.store.get('app/listed')!, inf.store.get('app/watched')!]) {
      expect(object.kind).to.equal('ConfigMap');
      expect(object.apiVersion).to.equal('v1');
      expect(object.metadata!.creationTimestamp).to.be.a('string');
      expect(Object.getPrototypeOf(object)).to.equal(Object.prototype);
    }
  });

  it('re-lists after 410 Expired and ends with the server state, deletions included', async () => {
    server.put('configmaps', configMap('keep'));
    server.put('configmaps', configMap('gone'));
    const inf = newInformer();
    inf.start();
    await inf.waitForSync();
    await waitFor('the watch', () => server.watchStreams >= 1);
    // While disconnected: changes happen and the server forgets the history the informer would resume from.
    const watchesBefore = server.watchRequests.length;
    server.cutWatches();
    server.remove('configmaps', 'app', 'gone');
    server.put('configmaps', configMap('new'));
    server.compact();
    await waitFor('a re-list', () => recoveries.some((r) => r.type === 'relisted'));
    expect(recoveries.find((r) => r.type === 'relisted')).to.deep.equal({
      type: 'relisted',
      informer: 'configmaps',
      reason: 'expired',
    });
    expect(server.watchRequests.length).to.be.greaterThan(watchesBefore);
    await waitFor('cache matches the server', () => names().join() === 'keep,new');
  });

  it('resumes after a cut watch from its resourceVersion without re-listing', async () => {
    const inf = newInformer();
    inf.start();
    await inf.waitForSync();
    await waitFor('the watch', () => server.watchStreams >= 1);
    server.put('configmaps', configMap('before'));
    await waitFor('first event', () => inf.store.get('app/before') !== undefined);
    const rv = inf.resourceVersion;
    server.cutWatches();
    server.put('configmaps', configMap('during'));
    await waitFor('event written while cut', () => inf.store.get('app/during') !== undefined);
    expect(server.listRequests).to.have.length(1);
    expect(server.watchRequests.at(-1)!.get('resourceVersion')).to.equal(rv);
  });

  it('restarts with backoff after server errors and only then reports synced', async () => {
    server.put('configmaps', configMap('a'));
    server.failNext(3, 500);
    const inf = newInformer();
    inf.start();
    expect(await inf.waitForSync()).to.equal(true);
    expect(names()).to.deep.equal(['a']);
    const restarts = recoveries.filter((r) => r.type === 'restarted');
    expect(restarts.map((r) => (r.type === 'restarted' ? r.attempt : 0))).to.deep.equal([1, 2, 3]);
    expect(restarts[0]).to.have.property('error').that.contains('500');
  });

  it('detects a silent watch and re-lists', async () => {
    const inf = newInformer({ stallTimeoutMs: 200 });
    inf.start();
    await inf.waitForSync();
    await waitFor('a stall', () => recoveries.some((r) => r.type === 'stalled'));
    await waitFor('the re-list after the stall', () =>
      recoveries.some((r) => r.type === 'relisted' && r.reason === 'stalled'),
    );
    expect(server.listRequests.length).to.be.greaterThan(1);
  });

  it('bookmarks advance the resourceVersion and keep a quiet watch from counting as stalled', async () => {
    await server.stop();
    server = await MachineryDevCluster.start({ bookmarkIntervalMs: 50 });
    server.put('configmaps', configMap('a'));
    const inf = newInformer({ stallTimeoutMs: 400 });
    inf.start();
    await inf.waitForSync();
    await waitFor('the watch', () => server.watchStreams >= 1);
    // A write to another resource moves the cluster's resourceVersion; only a bookmark can tell the informer.
    const unrelated = server.put('leases', { metadata: { name: 'unrelated', namespace: 'app' } });
    await waitFor(
      'bookmark resourceVersion',
      () => inf.resourceVersion === unrelated.metadata.resourceVersion,
    );
    // Several stall periods pass with bookmarks only.
    const until = Date.now() + 1000;
    await waitFor('time to pass', () => Date.now() > until, { timeoutMs: 5000 });
    expect(recoveries.filter((r) => r.type === 'stalled')).to.deep.equal([]);
  });
});
