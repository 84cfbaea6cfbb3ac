import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { DevCluster, RequestFilter, WatchStreamControl } from '../../src/devcluster/index.ts';
import { eventually, startTestCluster } from '../helpers/devcluster.ts';

/** The Status body of a failed client-node call (a JSON string for codes the OpenAPI spec does not declare). */
async function failure(call: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body =
      typeof err.body === 'string'
        ? (JSON.parse(err.body) as Record<string, unknown>)
        : (err.body as Record<string, unknown>);
    return { code: err.code, status: body };
  }
  throw new Error('expected the call to fail');
}

describe('devcluster conformance: @kubernetes/client-node', function () {
  let cluster: DevCluster;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;
  let holdWatches: Promise<void> | undefined;
  const watches: WatchStreamControl[] = [];
  const filter: RequestFilter = async (ctx) => {
    if (ctx.info.verb !== 'watch') return;
    if (holdWatches) await holdWatches;
    ctx.onWatch((w) => watches.push(w));
  };

  before(async () => {
    cluster = await startTestCluster({ requestFilters: [filter] });
    kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig());
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: 'cn' } } });
  });
  after(() => cluster.stop());

  it('creates, reads, lists and deletes a pod with defaults applied', async () => {
    const created = await core.createNamespacedPod({
      namespace: 'cn',
      body: {
        metadata: { name: 'p1', labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
      },
    });
    expect(created.metadata?.uid).to.be.a('string');
    expect(created.metadata?.creationTimestamp).to.be.instanceOf(Date);
    expect(created.spec?.containers[0]?.imagePullPolicy).to.equal('IfNotPresent');
    expect(created.spec?.restartPolicy).to.equal('Always');
    const read = await core.readNamespacedPod({ namespace: 'cn', name: 'p1' });
    expect(read.metadata?.resourceVersion).to.equal(created.metadata?.resourceVersion);
    const list = await core.listNamespacedPod({ namespace: 'cn', labelSelector: 'app=web' });
    expect(list.items.map((p) => p.metadata?.name)).to.deep.equal(['p1']);
    expect(list.metadata?.resourceVersion).to.be.a('string');
    expect(
      (await core.listNamespacedPod({ namespace: 'cn', labelSelector: 'app!=web' })).items,
    ).to.have.length(0);
    expect(
      (await core.listPodForAllNamespaces({ fieldSelector: 'metadata.namespace=cn,status.phase=Pending' }))
        .items,
    ).to.have.length(1);
    const deleted = await core.deleteNamespacedPod({ namespace: 'cn', name: 'p1' });
    expect(deleted.metadata?.name).to.equal('p1');
    const missing = await failure(core.readNamespacedPod({ namespace: 'cn', name: 'p1' }));
    expect(missing.code).to.equal(404);
    expect(missing.status).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "p1" not found',
      reason: 'NotFound',
      details: { name: 'p1', kind: 'pods' },
      code: 404,
    });
  });

  it('validates pods as kube-apiserver does: 422 with causes, and no containers added by update', async () => {
    const invalid = await failure(
      core.createNamespacedPod({
        namespace: 'cn',
        body: {
          metadata: { name: 'bad' },
          spec: {
            initContainers: [{ name: 'c', image: 'busybox' }],
            containers: [
              { name: 'c', image: 'nginx', volumeMounts: [{ name: 'missing', mountPath: '/data' }] },
            ],
          },
        },
      }),
    );
    expect(invalid.code).to.equal(422);
    expect(invalid.status).to.include({ kind: 'Status', reason: 'Invalid', code: 422 });
    const details = invalid.status.details as { kind: string; name: string; causes: { field: string }[] };
    expect(details).to.include({ kind: 'Pod', name: 'bad' });
    expect(details.causes.map((c) => c.field)).to.include.members([
      'spec.containers[0].name',
      'spec.containers[0].volumeMounts[0].name',
    ]);

    const pod = await core.createNamespacedPod({
      namespace: 'cn',
      body: { metadata: { name: 'fixed' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    });
    const added = await failure(
      core.replaceNamespacedPod({
        namespace: 'cn',
        name: 'fixed',
        body: { ...pod, spec: { ...pod.spec!, initContainers: [{ name: 'hook', image: 'busybox' }] } },
      }),
    );
    expect(added.code).to.equal(422);
    expect(added.status.message).to.equal(
      'Pod "fixed" is invalid: spec.initContainers: Forbidden: pod updates may not add or remove containers',
    );
    const image = await core.patchNamespacedPod({
      namespace: 'cn',
      name: 'fixed',
      body: [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.27' }],
    });
    expect(image.spec?.containers[0]?.image).to.equal('nginx:1.27');
  });

  it('answers 409 with the exact Status for AlreadyExists and for a stale replace', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'cn',
      body: { metadata: { name: 'c1' }, data: { a: '1' } },
    });
    const exists = await failure(
      core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'c1' } } }),
    );
    expect(exists.code).to.equal(409);
    expect(exists.status).to.include({ reason: 'AlreadyExists', message: 'configmaps "c1" already exists' });
    await core.replaceNamespacedConfigMap({ namespace: 'cn', name: 'c1', body: { ...cm, data: { a: '2' } } });
    const stale = await failure(
      core.replaceNamespacedConfigMap({ namespace: 'cn', name: 'c1', body: { ...cm, data: { a: '3' } } }),
    );
    expect(stale.code).to.equal(409);
    expect(stale.status).to.deep.include({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'c1', kind: 'configmaps' },
    });
  });

  it('patches with JSON patch (the default) and merge patch; a failed test op is 422', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'cn',
      body: { metadata: { name: 'c2' }, data: { a: '1' } },
    });
    const jp = await core.patchNamespacedConfigMap({
      namespace: 'cn',
      name: 'c2',
      body: [{ op: 'add', path: '/data/b', value: '2' }],
    });
    expect(jp.data).to.deep.equal({ a: '1', b: '2' });
    const mp = await core.patchNamespacedConfigMap(
      { namespace: 'cn', name: 'c2', body: { data: { a: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(mp.data).to.deep.equal({ b: '2' });
    const failed = await failure(
      core.patchNamespacedConfigMap({
        namespace: 'cn',
        name: 'c2',
        body: [{ op: 'test', path: '/data/b', value: 'nope' }],
      }),
    );
    expect(failed.code).to.equal(422);
    expect(failed.status.reason).to.equal('Invalid');
  });

  it('keeps deployment status apart from spec and bumps generation on spec changes', async () => {
    const d = await apps.createNamespacedDeployment({
      namespace: 'cn',
      body: {
        metadata: { name: 'd1' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'd1' } },
          template: {
            metadata: { labels: { app: 'd1' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
    });
    expect(d.metadata?.generation).to.equal(1);
    const withStatus = await apps.replaceNamespacedDeploymentStatus({
      namespace: 'cn',
      name: 'd1',
      body: { ...d, status: { replicas: 1, observedGeneration: 1 } },
    });
    expect(withStatus.status?.replicas).to.equal(1);
    const scaled = await apps.patchNamespacedDeployment(
      { namespace: 'cn', name: 'd1', body: { spec: { replicas: 3 }, status: { replicas: 42 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(scaled.metadata?.generation).to.equal(2);
    expect(scaled.status?.replicas).to.equal(1);
  });

  it('serves custom resources: CRUD, versions, Success Status on delete', async () => {
    const w = (await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'cn',
      plural: 'widgets',
      body: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
        spec: { size: 2, color: 'red' },
      },
    })) as { metadata: { generation: number; uid: string } };
    expect(w.metadata.generation).to.equal(1);
    const beta = (await custom.getNamespacedCustomObject({
      group: 'example.com',
      version: 'v1beta1',
      namespace: 'cn',
      plural: 'widgets',
      name: 'w1',
    })) as { apiVersion: string };
    expect(beta.apiVersion).to.equal('example.com/v1beta1');
    const patched = (await custom.patchNamespacedCustomObject(
      {
        group: 'example.com',
        version: 'v1',
        namespace: 'cn',
        plural: 'widgets',
        name: 'w1',
        body: { spec: { size: 3 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { metadata: { generation: number }; spec: { size: number; color: string } };
    expect(patched.spec).to.deep.equal({ size: 3, color: 'red' });
    expect(patched.metadata.generation).to.equal(2);
    const smp = await failure(
      custom.patchNamespacedCustomObject(
        {
          group: 'example.com',
          version: 'v1',
          namespace: 'cn',
          plural: 'widgets',
          name: 'w1',
          body: { spec: { size: 4 } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(smp.code).to.equal(415);
    expect(smp.status.reason).to.equal('UnsupportedMediaType');
    const status = (await custom.deleteNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'cn',
      plural: 'widgets',
      name: 'w1',
    })) as Record<string, unknown>;
    expect(status).to.deep.include({ kind: 'Status', status: 'Success' });
    expect(status.details).to.deep.equal({
      name: 'w1',
      group: 'example.com',
      kind: 'widgets',
      uid: w.metadata.uid,
    });
  });

  it('prunes unknown fields and answers 422 for enum and type errors in custom resources', async () => {
    const created = (await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'cn',
      plural: 'widgets',
      body: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'pruned' },
        spec: { size: 1, unknown: 'x' },
        extra: true,
      },
    })) as Record<string, unknown>;
    expect(created.spec).to.deep.equal({ size: 1 });
    expect(created).to.not.have.property('extra');
    const invalid = await failure(
      custom.createNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'cn',
        plural: 'widgets',
        body: {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'bad' },
          spec: { size: 'big', color: 'purple' },
        },
      }),
    );
    expect(invalid.code).to.equal(422);
    expect(invalid.status).to.include({ reason: 'Invalid' });
    const details = invalid.status.details as {
      kind: string;
      group: string;
      causes: { field: string; reason: string }[];
    };
    expect(details).to.include({ kind: 'Widget', group: 'example.com', name: 'bad' });
    expect(details.causes.map((c) => c.field).sort()).to.deep.equal(['spec.color', 'spec.size']);
  });

  it('server-side applies with client-node: creates (201), then 409 FieldManagerConflict for another manager', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: 'cn' },
      data: { a: '1' },
    };
    const options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const created = await core.patchNamespacedConfigMap(
      { namespace: 'cn', name: 'applied', body, fieldManager: 'first' },
      options,
    );
    expect(created.data).to.deep.equal({ a: '1' });
    const conflict = await failure(
      core.patchNamespacedConfigMap(
        { namespace: 'cn', name: 'applied', body: { ...body, data: { a: '2' } }, fieldManager: 'second' },
        options,
      ),
    );
    expect(conflict.code).to.equal(409);
    const causes = (conflict.status.details as { causes: { reason: string; field: string }[] }).causes;
    expect(causes.map((c) => c.reason)).to.deep.equal(['FieldManagerConflict']);
    const forced = await core.patchNamespacedConfigMap(
      {
        namespace: 'cn',
        name: 'applied',
        body: { ...body, data: { a: '2' } },
        fieldManager: 'second',
        force: true,
      },
      options,
    );
    expect(forced.data).to.deep.equal({ a: '2' });
    const missingManager = await failure(
      core.patchNamespacedConfigMap({ namespace: 'cn', name: 'applied', body }, options),
    );
    expect(missingManager.code).to.equal(422);
  });

  it('answers 401 for an unknown token', async () => {
    const bad = new KubeConfig();
    bad.loadFromString(cluster.kubeconfig().replace(/token: \S+/, 'token: not-a-token'));
    // client-node declares 401 and drops its body; the raw Status is asserted in the HTTP tests.
    const err = await bad
      .makeApiClient(CoreV1Api)
      .listNamespace()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(ApiException);
    expect((err as ApiException<unknown>).code).to.equal(401);
  });

  it('feeds an informer that re-watches after a closed stream and re-lists after 410', async () => {
    let lists = 0;
    const informer = makeInformer(kc, '/api/v1/namespaces/cn/configmaps', () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: 'cn' });
    });
    const names = () => new Set(informer.list('cn').map((c: V1ConfigMap) => c.metadata?.name));
    await informer.start();
    try {
      await eventually(
        () => (names().has('c1') && watches.length > 0 ? true : undefined),
        'the initial list and watch',
      );
      await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'live' } } });
      await eventually(() => (names().has('live') ? true : undefined), 'a watched ADDED');

      // A clean close: the informer re-watches from its last resourceVersion without a new list.
      const listsBefore = lists;
      const watchesBefore = watches.length;
      watches[watches.length - 1]!.close();
      await eventually(() => (watches.length > watchesBefore ? true : undefined), 'a new watch');
      await core.createNamespacedConfigMap({
        namespace: 'cn',
        body: { metadata: { name: 'after-rewatch' } },
      });
      await eventually(() => (names().has('after-rewatch') ? true : undefined), 'the re-watch to deliver');
      expect(lists).to.equal(listsBefore);

      // Hold new watches, change things, compact the history: the re-watch gets 410 and the informer re-lists.
      let release!: () => void;
      holdWatches = new Promise<void>((r) => (release = r));
      watches[watches.length - 1]!.close();
      await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'during-gap' } } });
      await core.deleteNamespacedConfigMap({ namespace: 'cn', name: 'live' });
      cluster.api.compact();
      holdWatches = undefined;
      release();
      await eventually(
        () => (names().has('during-gap') && !names().has('live') ? true : undefined),
        'the re-list after 410',
      );
      expect(lists).to.be.greaterThan(listsBefore);
    } finally {
      await informer.stop();
    }
  });
});
