import { expect } from 'chai';
import { Cluster } from '../../src/devcluster/api/cluster.ts';
import { ApiError } from '../../src/devcluster/api/errors.ts';
import type { KubeObject, WatchEvent } from '../../src/devcluster/api/types.ts';
import { preinstallCrds } from '../../src/devcluster/crd/preinstall.ts';
import { FIXTURE_CRDS, eventually } from '../helpers/devcluster.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
const WIDGETS = { group: 'example.com', version: 'v1', resource: 'widgets' };
const WIDGETS_BETA = { group: 'example.com', version: 'v1beta1', resource: 'widgets' };
const BACKUPS = { group: 'velero.io', version: 'v1', resource: 'backups' };

function pod(name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
    ...extra,
  };
}

function configMap(
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

function deployment(name: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  };
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

function collect(
  cluster: Cluster,
  gvr: typeof PODS,
  ns: string | undefined,
  options: Parameters<Cluster['watch']>[2],
) {
  const events: WatchEvent[] = [];
  let closed = false;
  const handle = cluster.watch(
    gvr,
    ns,
    options,
    (e) => events.push(e),
    () => (closed = true),
  );
  return { events, handle, isClosed: () => closed };
}

describe('devcluster Cluster (in-process API)', () => {
  let cluster: Cluster;
  beforeEach(() => {
    cluster = new Cluster({ bookmarkIntervalMs: 20 });
    preinstallCrds(cluster, FIXTURE_CRDS);
  });
  afterEach(() => cluster.close());

  describe('create', () => {
    it('sets uid, whole-second creationTimestamp and resourceVersion, and no generation on pods', () => {
      const p = cluster.create(PODS, 'default', pod('p1'));
      expect(p.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
      expect(p.metadata.creationTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Number(p.metadata.resourceVersion)).to.be.greaterThan(0);
      expect(p.metadata.generation).to.equal(undefined);
      expect(p.status).to.have.property('phase', 'Pending');
    });

    it('mounts the service account token volume into new pods, unless the account opts out', () => {
      type PodSpec = {
        volumes: { name: string }[];
        containers: { volumeMounts: { name: string; mountPath: string }[] }[];
      };
      const p = cluster.create(PODS, 'default', pod('p1'));
      const spec = p.spec as PodSpec;
      expect(spec.volumes.map((v) => v.name)).to.have.length(1);
      expect(spec.volumes[0]!.name).to.match(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(spec.containers[0]!.volumeMounts).to.deep.include({
        name: spec.volumes[0]!.name,
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
        readOnly: true,
      });
      cluster.create({ group: '', version: 'v1', resource: 'serviceaccounts' }, 'default', {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'quiet' },
        automountServiceAccountToken: false,
      });
      const quiet = cluster.create(
        PODS,
        'default',
        pod('p2', { spec: { serviceAccountName: 'quiet', containers: [{ name: 'c', image: 'busybox' }] } }),
      );
      expect((quiet.spec as Partial<PodSpec>).volumes).to.equal(undefined);
    });

    it('gives a Job the generated controller-uid selector', () => {
      const job = cluster.create({ group: 'batch', version: 'v1', resource: 'jobs' }, 'default', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j1' },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      });
      const selector = (job.spec as { selector: { matchLabels: Record<string, string> } }).selector;
      expect(selector.matchLabels).to.deep.equal({ 'batch.kubernetes.io/controller-uid': job.metadata.uid });
    });

    it('gives workloads and custom resources generation 1', () => {
      expect(cluster.create(DEPLOYMENTS, 'default', deployment('d1')).metadata.generation).to.equal(1);
      const w = cluster.create(WIDGETS, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
        spec: { size: 1 },
      });
      expect(w.metadata.generation).to.equal(1);
    });

    it('appends 5 random characters to generateName', () => {
      const p = cluster.create(PODS, 'default', pod('', { metadata: { generateName: 'web-' } }));
      expect(p.metadata.name).to.match(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    });

    it('answers 409 AlreadyExists for an existing name', () => {
      cluster.create(PODS, 'default', pod('p1'));
      const err = apiError(() => cluster.create(PODS, 'default', pod('p1')));
      expect(err.toStatus()).to.deep.include({
        code: 409,
        reason: 'AlreadyExists',
        message: 'pods "p1" already exists',
      });
      expect(err.details).to.deep.equal({ name: 'p1', kind: 'pods' });
    });

    it('answers 404 for a namespace that does not exist', () => {
      const err = apiError(() => cluster.create(PODS, 'nope', pod('p1')));
      expect(err.code).to.equal(404);
      expect(err.message).to.equal('namespaces "nope" not found');
    });

    it('answers 400 when the body namespace differs from the request', () => {
      const err = apiError(() =>
        cluster.create(PODS, 'default', pod('p1', { metadata: { name: 'p1', namespace: 'kube-system' } })),
      );
      expect(err.code).to.equal(400);
    });

    it("merges a Secret's stringData into data", () => {
      const secret = cluster.create({ group: '', version: 'v1', resource: 'secrets' }, 'default', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's1' },
        data: { a: Buffer.from('old').toString('base64'), b: Buffer.from('kept').toString('base64') },
        stringData: { a: 'new' },
      });
      expect(secret.data).to.deep.equal({
        a: Buffer.from('new').toString('base64'),
        b: Buffer.from('kept').toString('base64'),
      });
      expect(secret).to.not.have.property('stringData');
    });

    it('answers 422 naming metadata.name for an invalid name', () => {
      const err = apiError(() => cluster.create(CONFIGMAPS, 'default', configMap('Bad_Name')));
      expect(err.code).to.equal(422);
      expect(err.details?.causes?.[0]?.field).to.equal('metadata.name');
    });
  });

  describe('update', () => {
    it('answers 409 Conflict on a stale resourceVersion', () => {
      const created = cluster.create(CONFIGMAPS, 'default', configMap('c1', { a: '1' }));
      cluster.update(CONFIGMAPS, 'default', 'c1', { ...created, data: { a: '2' } });
      const err = apiError(() =>
        cluster.update(CONFIGMAPS, 'default', 'c1', { ...created, data: { a: '3' } }),
      );
      expect(err.toStatus()).to.deep.include({
        code: 409,
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again',
      });
    });

    it('accepts an unconditional update of a built-in kind, but 422 for a custom resource', () => {
      cluster.create(CONFIGMAPS, 'default', configMap('c1'));
      const updated = cluster.update(CONFIGMAPS, 'default', 'c1', configMap('c1', { x: 'y' }));
      expect(updated.data).to.deep.equal({ x: 'y' });
      cluster.create(BACKUPS, 'default', {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: { name: 'b1' },
      });
      const err = apiError(() =>
        cluster.update(BACKUPS, 'default', 'b1', {
          apiVersion: 'velero.io/v1',
          kind: 'Backup',
          metadata: { name: 'b1' },
          spec: {},
        }),
      );
      expect(err.code).to.equal(422);
      expect(err.details?.causes?.[0]?.field).to.equal('metadata.resourceVersion');
    });

    it('does not bump resourceVersion for a write that changes nothing', () => {
      const created = cluster.create(CONFIGMAPS, 'default', configMap('c1', { a: '1' }));
      const again = cluster.update(CONFIGMAPS, 'default', 'c1', created);
      expect(again.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
    });

    it('keeps status on main-resource writes and only status on /status writes, bumping generation on spec changes', () => {
      const d = cluster.create(DEPLOYMENTS, 'default', deployment('d1'));
      const withStatus = cluster.update(
        DEPLOYMENTS,
        'default',
        'd1',
        { ...d, status: { replicas: 1 }, spec: { ...(d.spec as object), replicas: 5 } },
        { subresource: 'status' },
      );
      expect(withStatus.status).to.deep.equal({ replicas: 1 });
      expect((withStatus.spec as { replicas: number }).replicas).to.equal(1);
      expect(withStatus.metadata.generation).to.equal(1);
      const scaled = cluster.update(DEPLOYMENTS, 'default', 'd1', {
        ...withStatus,
        status: { replicas: 99 },
        spec: { ...(withStatus.spec as object), replicas: 3 },
      });
      expect(scaled.status).to.deep.equal({ replicas: 1 });
      expect(scaled.metadata.generation).to.equal(2);
      const labelled = cluster.update(DEPLOYMENTS, 'default', 'd1', {
        ...scaled,
        metadata: { ...scaled.metadata, labels: { x: 'y' } },
      });
      expect(labelled.metadata.generation).to.equal(2);
    });

    it('writes status through the main resource and bumps generation for a CRD without status subresource', () => {
      const b = cluster.create(BACKUPS, 'default', {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: { name: 'b1' },
        status: { phase: 'New' },
      });
      expect(b.status).to.deep.equal({ phase: 'New' });
      const next = cluster.update(BACKUPS, 'default', 'b1', { ...b, status: { phase: 'Completed' } });
      expect(next.status).to.deep.equal({ phase: 'Completed' });
      expect(next.metadata.generation).to.equal(2);
      expect(
        apiError(() => cluster.update(BACKUPS, 'default', 'b1', next, { subresource: 'status' })).code,
      ).to.equal(404);
    });

    it('drops status on create and keeps it apart for a CRD with the status subresource', () => {
      const w = cluster.create(WIDGETS, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
        spec: { size: 1 },
        status: { phase: 'X' },
      });
      expect(w.status).to.equal(undefined);
      const s = cluster.update(
        WIDGETS,
        'default',
        'w1',
        { ...w, status: { phase: 'Ready' } },
        { subresource: 'status' },
      );
      expect(s.status).to.deep.equal({ phase: 'Ready' });
      expect(s.metadata.generation).to.equal(1);
    });
  });

  describe('patch', () => {
    it('applies merge and JSON patches, with a resourceVersion in the body as a precondition', () => {
      const c = cluster.create(CONFIGMAPS, 'default', configMap('c1', { a: '1', b: '2' }));
      const merged = cluster.patch(CONFIGMAPS, 'default', 'c1', 'application/merge-patch+json', {
        data: { a: null, c: '3' },
      });
      expect(merged.data).to.deep.equal({ b: '2', c: '3' });
      const jsonPatched = cluster.patch(CONFIGMAPS, 'default', 'c1', 'application/json-patch+json', [
        { op: 'replace', path: '/data/b', value: 'x' },
      ]);
      expect(jsonPatched.data).to.deep.equal({ b: 'x', c: '3' });
      const err = apiError(() =>
        cluster.patch(CONFIGMAPS, 'default', 'c1', 'application/merge-patch+json', {
          metadata: { resourceVersion: c.metadata.resourceVersion },
        }),
      );
      expect(err.code).to.equal(409);
    });

    it('answers 415 for a strategic merge patch on a custom resource', () => {
      cluster.create(WIDGETS, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
      });
      const err = apiError(() =>
        cluster.patch(WIDGETS, 'default', 'w1', 'application/strategic-merge-patch+json', {}),
      );
      expect(err.code).to.equal(415);
      expect(err.reason).to.equal('UnsupportedMediaType');
    });

    it('requires fieldManager for server-side apply (422)', () => {
      const err = apiError(() =>
        cluster.patch(CONFIGMAPS, 'default', 'c1', 'application/apply-patch+yaml', configMap('c1')),
      );
      expect(err.code).to.equal(422);
      expect(err.details?.causes?.[0]?.field).to.equal('fieldManager');
    });
  });

  describe('delete', () => {
    it('removes a pod without nodeName at once and returns it', () => {
      cluster.create(PODS, 'default', pod('p1'));
      const result = cluster.delete(PODS, 'default', 'p1') as KubeObject;
      expect(result.kind).to.equal('Pod');
      expect(apiError(() => cluster.get(PODS, 'default', 'p1')).code).to.equal(404);
    });

    it('gives a scheduled pod a grace period that a delete with gracePeriodSeconds=0 ends', () => {
      cluster.create(
        PODS,
        'default',
        pod('p1', {
          spec: {
            nodeName: 'node-1',
            terminationGracePeriodSeconds: 20,
            containers: [{ name: 'c', image: 'busybox' }],
          },
        }),
      );
      const pending = cluster.delete(PODS, 'default', 'p1') as KubeObject;
      expect(pending.metadata.deletionTimestamp).to.be.a('string');
      expect(pending.metadata.deletionGracePeriodSeconds).to.equal(20);
      expect(cluster.get(PODS, 'default', 'p1').metadata.deletionTimestamp).to.equal(
        pending.metadata.deletionTimestamp,
      );
      cluster.delete(PODS, 'default', 'p1', { gracePeriodSeconds: 0 });
      expect(apiError(() => cluster.get(PODS, 'default', 'p1')).code).to.equal(404);
    });

    it('keeps an object with finalizers until an update removes the last one', () => {
      cluster.create(CONFIGMAPS, 'default', {
        ...configMap('c1'),
        metadata: { name: 'c1', finalizers: ['example.com/keep'] },
      });
      const marked = cluster.delete(CONFIGMAPS, 'default', 'c1') as KubeObject;
      expect(marked.metadata.deletionTimestamp).to.be.a('string');
      const err = apiError(() =>
        cluster.patch(CONFIGMAPS, 'default', 'c1', 'application/merge-patch+json', {
          metadata: { finalizers: ['example.com/keep', 'another/one'] },
        }),
      );
      expect(err.code).to.equal(422);
      cluster.patch(CONFIGMAPS, 'default', 'c1', 'application/merge-patch+json', {
        metadata: { finalizers: null },
      });
      expect(apiError(() => cluster.get(CONFIGMAPS, 'default', 'c1')).code).to.equal(404);
    });

    it('checks uid and resourceVersion preconditions (409)', () => {
      const c = cluster.create(CONFIGMAPS, 'default', configMap('c1'));
      expect(
        apiError(() => cluster.delete(CONFIGMAPS, 'default', 'c1', { preconditions: { uid: 'other' } })).code,
      ).to.equal(409);
      expect(
        apiError(() =>
          cluster.delete(CONFIGMAPS, 'default', 'c1', { preconditions: { resourceVersion: '1' } }),
        ).code,
      ).to.equal(409);
      cluster.delete(CONFIGMAPS, 'default', 'c1', {
        preconditions: { uid: c.metadata.uid!, resourceVersion: c.metadata.resourceVersion! },
      });
    });

    it('returns a Success Status for custom resources', () => {
      const w = cluster.create(WIDGETS, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
      });
      expect(cluster.delete(WIDGETS, 'default', 'w1')).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: 'w1', group: 'example.com', kind: 'widgets', uid: w.metadata.uid },
        code: 200,
      });
    });

    it('refuses to delete the default and system namespaces (403)', () => {
      const err = apiError(() =>
        cluster.delete({ group: '', version: 'v1', resource: 'namespaces' }, undefined, 'default'),
      );
      expect(err.toStatus()).to.deep.include({
        code: 403,
        reason: 'Forbidden',
        message: 'namespaces "default" is forbidden: this namespace may not be deleted',
      });
    });

    it('empties a terminating namespace and then removes it', async () => {
      cluster.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'team' },
      });
      cluster.create(CONFIGMAPS, 'team', configMap('c1'));
      cluster.delete({ group: '', version: 'v1', resource: 'namespaces' }, undefined, 'team');
      expect(apiError(() => cluster.create(CONFIGMAPS, 'team', configMap('c2'))).code).to.equal(403);
      await eventually(
        () =>
          cluster
            .list({ group: '', version: 'v1', resource: 'namespaces' }, undefined)
            .items.some((n) => n.metadata.name === 'team')
            ? undefined
            : true,
        'namespace removal',
      );
      expect(cluster.list(CONFIGMAPS, 'team').items).to.have.length(0);
    });
  });

  describe('list', () => {
    it('filters by label and field selectors and pages with limit/continue', () => {
      for (const n of ['a', 'b', 'c', 'd', 'e'])
        cluster.create(CONFIGMAPS, 'default', configMap(n, {}, { tier: n < 'c' ? 'front' : 'back' }));
      expect(
        cluster
          .list(CONFIGMAPS, 'default', { labelSelector: 'tier in (front)' })
          .items.map((i) => i.metadata.name),
      ).to.deep.equal(['a', 'b']);
      expect(
        cluster
          .list(CONFIGMAPS, 'default', { labelSelector: 'tier!=front,!missing' })
          .items.map((i) => i.metadata.name),
      ).to.deep.equal(['c', 'd', 'e']);
      expect(
        cluster
          .list(CONFIGMAPS, undefined, { fieldSelector: 'metadata.name=d' })
          .items.map((i) => i.metadata.name),
      ).to.deep.equal(['d']);
      const page1 = cluster.list(CONFIGMAPS, 'default', { limit: 2 });
      expect(page1.items.map((i) => i.metadata.name)).to.deep.equal(['a', 'b']);
      expect(page1.remainingItemCount).to.equal(3);
      const page2 = cluster.list(CONFIGMAPS, 'default', { limit: 2, continue: page1.continue! });
      expect(page2.items.map((i) => i.metadata.name)).to.deep.equal(['c', 'd']);
      expect(page2.resourceVersion).to.equal(page1.resourceVersion);
      const page3 = cluster.list(CONFIGMAPS, 'default', { limit: 2, continue: page2.continue! });
      expect(page3.items.map((i) => i.metadata.name)).to.deep.equal(['e']);
      expect(page3.continue).to.equal(undefined);
    });

    it('answers 400 for a bad selector or an unsupported field', () => {
      expect(apiError(() => cluster.list(CONFIGMAPS, 'default', { labelSelector: 'a in (' })).code).to.equal(
        400,
      );
      expect(
        apiError(() => cluster.list(CONFIGMAPS, 'default', { fieldSelector: 'spec.nodeName=x' })).message,
      ).to.equal('field label not supported: spec.nodeName');
    });

    it('serves a custom resource at every served version', () => {
      cluster.create(WIDGETS, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
      });
      expect(cluster.get(WIDGETS_BETA, 'default', 'w1').apiVersion).to.equal('example.com/v1beta1');
    });
  });

  describe('watch', () => {
    it('starts with ADDED for the current state, then streams changes, with DELETED carrying a new resourceVersion', async () => {
      cluster.create(CONFIGMAPS, 'default', configMap('c1'));
      const w = collect(cluster, CONFIGMAPS, 'default', {});
      const c2 = cluster.create(CONFIGMAPS, 'default', configMap('c2'));
      cluster.delete(CONFIGMAPS, 'default', 'c2');
      await eventually(() => (w.events.length >= 3 ? true : undefined), 'three events');
      expect(w.events.map((e) => `${e.type} ${(e.object as KubeObject).metadata.name}`)).to.deep.equal([
        'ADDED c1',
        'ADDED c2',
        'DELETED c2',
      ]);
      expect(Number((w.events[2]!.object as KubeObject).metadata.resourceVersion)).to.be.greaterThan(
        Number(c2.metadata.resourceVersion),
      );
      w.handle.close();
    });

    it('replays the history after a resourceVersion, and answers 410 Expired once it is compacted', async () => {
      const start = cluster.list(CONFIGMAPS, 'default').resourceVersion;
      cluster.create(CONFIGMAPS, 'default', configMap('c1'));
      cluster.create(CONFIGMAPS, 'kube-system', configMap('c2'));
      const replay = collect(cluster, CONFIGMAPS, undefined, { resourceVersion: start });
      await eventually(() => (replay.events.length === 2 ? true : undefined), 'replay');
      replay.handle.close();
      cluster.compact();
      const expired = collect(cluster, CONFIGMAPS, undefined, { resourceVersion: start });
      await eventually(() => (expired.isClosed() ? true : undefined), 'the expired watch to close');
      expect(expired.events).to.have.length(1);
      expect(expired.events[0]!.type).to.equal('ERROR');
      expect(expired.events[0]!.object).to.deep.include({ code: 410, reason: 'Expired', status: 'Failure' });
    });

    it('answers 410 when the bounded history no longer reaches back', async () => {
      const small = new Cluster({ historySize: 3 });
      const start = small.list(CONFIGMAPS, 'default').resourceVersion;
      for (let i = 0; i < 5; i++) small.create(CONFIGMAPS, 'default', configMap(`c${i}`));
      const w = collect(small, CONFIGMAPS, 'default', { resourceVersion: start });
      await eventually(() => (w.isClosed() ? true : undefined), 'close');
      expect(w.events[0]!.object).to.deep.include({ code: 410 });
      small.close();
    });

    it('sends DELETED when an object leaves the selector and ADDED when it enters', async () => {
      cluster.create(CONFIGMAPS, 'default', configMap('c1', {}, { app: 'a' }));
      const w = collect(cluster, CONFIGMAPS, 'default', { labelSelector: 'app=a' });
      cluster.patch(CONFIGMAPS, 'default', 'c1', 'application/merge-patch+json', {
        metadata: { labels: { app: 'b' } },
      });
      cluster.patch(CONFIGMAPS, 'default', 'c1', 'application/merge-patch+json', {
        metadata: { labels: { app: 'a' } },
      });
      await eventually(() => (w.events.length >= 3 ? true : undefined), 'events');
      expect(w.events.map((e) => e.type)).to.deep.equal(['ADDED', 'DELETED', 'ADDED']);
      w.handle.close();
    });

    it('sends bookmarks when asked and ends at timeoutSeconds', async () => {
      const w = collect(cluster, CONFIGMAPS, 'default', {
        allowWatchBookmarks: true,
        timeoutSeconds: 1,
        resourceVersion: cluster.list(CONFIGMAPS, 'default').resourceVersion,
      });
      const bookmark = await eventually(() => w.events.find((e) => e.type === 'BOOKMARK'), 'a bookmark');
      expect(bookmark.object).to.deep.equal({
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(cluster.store.resourceVersion) },
      });
      await eventually(() => (w.isClosed() ? true : undefined), 'the timeout');
    });
  });

  describe('custom resource definitions', () => {
    it('serves new CRDs, marks them Established, and removes their resources with them', () => {
      const crd = cluster.get(
        { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' },
        undefined,
        'widgets.example.com',
      );
      const conditions = (crd.status as { conditions: { type: string; status: string }[] }).conditions;
      expect(conditions.find((c) => c.type === 'Established')?.status).to.equal('True');
      cluster.create(WIDGETS, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
      });
      cluster.delete(
        { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' },
        undefined,
        'widgets.example.com',
      );
      expect(apiError(() => cluster.list(WIDGETS, 'default')).code).to.equal(404);
      expect(cluster.store.count('example.com/widgets')).to.equal(0);
    });

    it('removes the custom resources of a CRD held by a finalizer once the finalizer goes', () => {
      const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
      cluster.create(WIDGETS, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
      });
      cluster.patch(CRDS, undefined, 'widgets.example.com', 'application/merge-patch+json', {
        metadata: { finalizers: ['example.com/hold'] },
      });
      cluster.delete(CRDS, undefined, 'widgets.example.com');
      expect(cluster.list(WIDGETS, 'default').items.map((w) => w.metadata.name)).to.deep.equal(['w1']);
      cluster.patch(CRDS, undefined, 'widgets.example.com', 'application/merge-patch+json', {
        metadata: { finalizers: null },
      });
      expect(apiError(() => cluster.list(WIDGETS, 'default')).code).to.equal(404);
      expect(cluster.store.count('example.com/widgets')).to.equal(0);
    });

    it('rejects a CRD whose name is not plural.group (422)', () => {
      const err = apiError(() =>
        cluster.create(
          { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' },
          undefined,
          {
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            metadata: { name: 'wrong.example.com' },
            spec: {
              group: 'example.com',
              scope: 'Namespaced',
              names: { plural: 'things', kind: 'Thing' },
              versions: [{ name: 'v1', served: true, storage: true }],
            },
          },
        ),
      );
      expect(err.code).to.equal(422);
      expect(err.details?.causes?.map((c) => c.field)).to.include('metadata.name');
    });
  });
});
