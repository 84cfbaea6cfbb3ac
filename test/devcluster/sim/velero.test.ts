import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { expect } from 'chai';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import type { TestCluster } from '../../helpers/sim-cluster.ts';

const CRDS = fileURLToPath(new URL('./crd', import.meta.url));
const BACKUPS = fileURLToPath(new URL('../../../config/samples/backups', import.meta.url));
const R2 = fileURLToPath(new URL('../../../config/samples/demo/restore-r2.yaml', import.meta.url));

interface RestoreStatus {
  phase?: string;
  startTimestamp?: string;
  completionTimestamp?: string;
  progress?: { itemsRestored: number; totalItems: number };
  warnings?: number;
}

describe('devcluster simulation: the Velero server restores backup fixtures', function () {
  let t: TestCluster;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;

  before(async () => {
    t = await startTestCluster({ crdDirectory: CRDS, simulation: { velero: { fixturesDir: BACKUPS } } });
    core = t.kc.makeApiClient(CoreV1Api);
    apps = t.kc.makeApiClient(AppsV1Api);
    custom = t.kc.makeApiClient(CustomObjectsApi);
  });
  after(async () => t.stop());

  const restoreStatus = async (name: string) =>
    (
      (await custom.getNamespacedCustomObject({
        group: 'velero.io',
        version: 'v1',
        namespace: 'velero',
        plural: 'restores',
        name,
      })) as {
        status?: RestoreStatus;
      }
    ).status ?? {};

  it('restores r2 (kubectl apply of the demo Restore): New → InProgress → Completed with timestamps', async () => {
    const applied = await t.kubectl(['apply', '-f', R2]);
    expect(applied.status, applied.stderr).to.equal(0);
    const status = await waitFor('r2 Completed', async () => {
      const s = await restoreStatus('r2');
      return s.phase === 'Completed' && s;
    });
    expect(status.startTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(status.completionTimestamp!)).to.be.at.least(Date.parse(status.startTimestamp!));
    expect(status.progress).to.deep.equal({ itemsRestored: 18, totalItems: 18 });
  });

  it('labels every restored object with the restore and backup names', async () => {
    const pods = await core.listNamespacedPod({
      namespace: 'app',
      labelSelector: 'velero.io/restore-name=r2,velero.io/backup-name=b2',
    });
    expect(pods.items.map((p) => p.metadata?.name).sort()).to.include.members([
      'db-0',
      'standalone',
      'web-5d8f7c9b6d-q9m4w',
      'web-5d8f7c9b6d-x7k2p',
    ]);
    const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace: 'app', name: 'pvc1-vm' });
    expect(pvc.metadata?.labels).to.include({ 'velero.io/restore-name': 'r2' });
  });

  it('lets the restored owners adopt the restored pods, which were restored first without ownerReferences', async () => {
    await waitFor(
      'web available',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: 'app', name: 'web' })).status?.availableReplicas ===
        2,
    );
    const pods = await core.listNamespacedPod({ namespace: 'app', labelSelector: 'app=web' });
    expect(pods.items.map((p) => p.metadata?.name).sort()).to.deep.equal([
      'web-5d8f7c9b6d-q9m4w',
      'web-5d8f7c9b6d-x7k2p',
    ]);
    expect(pods.items.map((p) => p.metadata?.ownerReferences?.[0]?.name)).to.deep.equal([
      'web-5d8f7c9b6d',
      'web-5d8f7c9b6d',
    ]);
    const sets = await apps.listNamespacedReplicaSet({ namespace: 'app' });
    expect(sets.items.map((r) => r.metadata?.name)).to.deep.equal(['web-5d8f7c9b6d']);
    const db0 = await waitFor('db-0 adopted', async () => {
      const p = await core.readNamespacedPod({ namespace: 'app', name: 'db-0' });
      return p.metadata?.ownerReferences?.length ? p : undefined;
    });
    expect(db0.metadata?.ownerReferences?.[0]).to.deep.include({ kind: 'StatefulSet', name: 'db' });
  });

  it('applies namespace mapping, and counts objects that already exist as warnings', async () => {
    await custom.createNamespacedCustomObject({
      group: 'velero.io',
      version: 'v1',
      namespace: 'velero',
      plural: 'restores',
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'r-copy' },
        spec: {
          backupName: 'b2',
          includedNamespaces: ['other', 'app'],
          namespaceMapping: { other: 'other-copy' },
        },
      },
    });
    const status = await waitFor('r-copy done', async () => {
      const s = await restoreStatus('r-copy');
      return s.phase === 'Completed' && s;
    });
    expect(status.warnings).to.equal(14);
    const copies = await core.listNamespacedPod({ namespace: 'other-copy' });
    expect(copies.items.map((p) => p.metadata?.name).sort()).to.deep.equal([
      'annotated',
      'exec-annotated',
      'plain',
    ]);
  });

  it('fails a restore whose backup fixture does not exist', async () => {
    await custom.createNamespacedCustomObject({
      group: 'velero.io',
      version: 'v1',
      namespace: 'velero',
      plural: 'restores',
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'r-missing' },
        spec: { backupName: 'nope' },
      },
    });
    const status = await waitFor('r-missing Failed', async () => {
      const s = (await restoreStatus('r-missing')) as RestoreStatus & { failureReason?: string };
      return s.phase === 'Failed' && s;
    });
    expect(status.failureReason).to.match(/^backup "nope" not found/);
  });
});

describe("devcluster simulation: emulating Velero's own init-hook injection", function () {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster({
      crdDirectory: CRDS,
      simulation: { velero: { fixturesDir: BACKUPS, emulateInitHooks: true } },
    });
  });
  after(async () => t.stop());

  it('injects r2 spec hooks into app pods and the annotation hook into the annotated pod, nowhere else', async () => {
    expect((await t.kubectl(['apply', '-f', R2])).status).to.equal(0);
    const core = t.kc.makeApiClient(CoreV1Api);
    const pod = await waitFor('standalone restored', () =>
      core.readNamespacedPod({ namespace: 'app', name: 'standalone' }),
    );
    expect(pod.spec?.initContainers?.map((c) => c.name)).to.deep.equal([
      'restore-hook-init1',
      'restore-hook-init2',
      'prepare',
    ]);
    expect(pod.spec?.initContainers?.[0]).to.deep.include({
      image: 'alpine:latest',
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      command: ['/bin/ash', '-c', 'echo -n "FOOBARBAZ" >> /restores/pvc1-vm/foobarbaz'],
    });
    const annotated = await waitFor('annotated restored', () =>
      core.readNamespacedPod({ namespace: 'other', name: 'annotated' }),
    );
    // Golden test 1: the annotation hook, with the API server's defaults (plus the service-account token mount
    // that admission adds to every container).
    const { volumeMounts: _mounts, ...hook } = annotated.spec!.initContainers![0]!;
    expect(annotated.spec?.initContainers).to.have.length(1);
    expect(hook).to.deep.equal({
      name: 'restore-hook',
      image: 'alpine:latest',
      command: ['/bin/ash', '-c', 'date'],
      imagePullPolicy: 'Always',
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    const plain = await waitFor('plain restored', () =>
      core.readNamespacedPod({ namespace: 'other', name: 'plain' }),
    );
    expect(plain.spec?.initContainers ?? []).to.deep.equal([]);
  });
});
