import { expect } from 'chai';
import { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { Informer } from '../../../src/controller/machinery/informer.ts';
import { labelIndex } from '../../../src/controller/machinery/indexer.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import { KubeListWatch } from '../../../src/controller/machinery/list-watch.ts';
import { silentLogger } from '../../../src/controller/machinery/logger.ts';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import type { Pod } from '../../../src/kube/types.ts';
import { EventRecorder } from '../../../src/controller/events.ts';
import { formatExecRecord } from '../../../src/controller/exec-hooks/exec-record.ts';
import { EXEC_HOOKS_ANNOTATION } from '../../../src/controller/marks.ts';
import type { Logger } from '../../../src/controller/machinery/logger.ts';
import { RestoreDirectory } from '../../../src/controller/restore-directory.ts';
import type { RestoreObject } from '../../../src/controller/restore-directory.ts';
import { RestoreReconciler } from '../../../src/controller/restores/restore-reconciler.ts';
import type { HookCounts } from '../../../src/controller/restores/hook-outcomes.ts';
import { LEDGER_LIMITS, ledgerTotals } from '../../../src/controller/restores/ledger-shards.ts';
import {
  LEDGER_KEY,
  LEDGER_OF_LABEL,
  LEDGER_SHARD_LABEL,
  OutcomeLedgerStore,
  ledgerHash,
  ledgerName,
} from '../../../src/controller/restores/ledger-store.ts';
import { CONTROLLER_NAMESPACE, eventually, startControllerEnv } from '../../helpers/controller-env.ts';
import type { ControllerEnv } from '../../helpers/controller-env.ts';
import { describeOnBeds } from '../../helpers/bed-suites.ts';

interface ConfigMap {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/** `count` synthetic pod entries: one hook each, every tenth failed. */
function syntheticPods(from: number, count: number): Record<string, HookCounts> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => {
      const n = from + i;
      return [
        `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        { attempted: 1, failed: n % 10 === 0 ? 1 : 0 },
      ];
    }),
  );
}

const sum = (pods: Record<string, HookCounts>) => ledgerTotals({ pods });

describeOnBeds('the sharded hook-count ledger (RBAC enforced)', function (bed) {
  this.timeout(180_000);
  let env: ControllerEnv;
  /** The controller's identity: what the store does, it does with the Role of manifests/base/rbac.yaml. */
  let client: KubeJsonClient;
  const informers: Informer<KubeObject>[] = [];

  before(async () => {
    env = await startControllerEnv({ bed: bed.kind, rbac: true, conditionsCrd: true });
    client = new KubeJsonClient(env.kubeConfig, new IsomorphicFetchHttpLibrary(), 'ledger-test');
  });
  after(async () => {
    await Promise.all(informers.map((i) => i.stop()));
    await env.stop();
  });

  /** A store reading from its own informer, as the manager wires it. */
  async function cachedStore(): Promise<{ store: OutcomeLedgerStore; informer: Informer<KubeObject> }> {
    const informer = new Informer<KubeObject>({
      name: 'ledgers',
      listWatch: new KubeListWatch<KubeObject>(
        env.kubeConfig,
        `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/configmaps`,
      ),
      logger: silentLogger,
      labelSelector: LEDGER_OF_LABEL,
      indexers: { ledger: labelIndex(LEDGER_OF_LABEL) },
    });
    informers.push(informer);
    informer.start();
    expect(await informer.waitForSync()).to.equal(true);
    const store = new OutcomeLedgerStore({
      client,
      namespace: CONTROLLER_NAMESPACE,
      cached: (hash) => informer.store.byIndex('ledger', hash),
    });
    return { store, informer };
  }

  const shardsOf = async (restoreKey: string): Promise<ConfigMap[]> =>
    (
      await env.client.request<{ items: ConfigMap[] }>({
        method: 'GET',
        path: `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/configmaps`,
        query: { labelSelector: `${LEDGER_OF_LABEL}=${ledgerHash(restoreKey)}` },
      })
    ).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

  it('spreads 12,000 pods over three bounded shards, rewrites only the shard that changed, and survives a stale cache', async () => {
    const restore = { key: 'velero/big', uid: 'uid-big' };
    const { store, informer } = await cachedStore();
    const first = syntheticPods(0, 12_000);
    const stored = await store.update(restore, first, undefined);
    expect(stored.overflow).to.deep.equal([]);
    expect(ledgerTotals(stored.ledger)).to.deep.equal(sum(first));

    const shards = await shardsOf(restore.key);
    expect(shards.map((s) => s.metadata.name)).to.deep.equal([
      ledgerName(restore.key),
      ledgerName(restore.key, 1),
      ledgerName(restore.key, 2),
    ]);
    expect(shards.map((s) => s.metadata.labels?.[LEDGER_SHARD_LABEL])).to.deep.equal(['0', '1', '2']);
    for (const s of shards) {
      const pods = Object.keys((JSON.parse(s.data?.[LEDGER_KEY] ?? '{}') as { pods: object }).pods);
      expect(pods.length).to.be.at.most(LEDGER_LIMITS.podsPerShard);
      expect(Buffer.byteLength(s.data?.[LEDGER_KEY] ?? '')).to.be.below(512 * 1024);
    }

    // The cache catches up; the same entries again write nothing.
    await eventually(() => store.read(restore).pods[Object.keys(first).at(-1)!] !== undefined, 'the cache');
    await store.update(restore, first, undefined);
    expect((await shardsOf(restore.key)).map((s) => s.metadata.resourceVersion)).to.deep.equal(
      shards.map((s) => s.metadata.resourceVersion),
    );

    // One pod's counts change: only its shard is written.
    const changedUid = Object.keys(first)[7_000]!;
    await store.update(restore, { [changedUid]: { attempted: 3, failed: 2 } }, undefined);
    const after = await shardsOf(restore.key);
    expect(
      after.map((s, i) => s.metadata.resourceVersion !== shards[i]!.metadata.resourceVersion),
    ).to.deep.equal([false, true, false]);

    // A store whose cache shows nothing (stale) conflicts, re-reads from the API server and gets it right.
    const stale = new OutcomeLedgerStore({ client, namespace: CONTROLLER_NAMESPACE, cached: () => [] });
    const more = syntheticPods(12_000, 100);
    const result = await stale.update(restore, more, undefined);
    const expected = sum({ ...first, [changedUid]: { attempted: 3, failed: 2 }, ...more });
    expect(ledgerTotals(result.ledger)).to.deep.equal(expected);
    await eventually(() => ledgerTotals(store.read(restore)).attempted === expected.attempted, 'the cache');
    expect(ledgerTotals(store.read(restore))).to.deep.equal(expected);
    expect(await shardsOf(restore.key)).to.have.lengthOf(3);

    expect(await store.remove(restore.key)).to.equal(3);
    expect(await shardsOf(restore.key)).to.deep.equal([]);
    await eventually(
      () => informer.store.byIndex('ledger', ledgerHash(restore.key)).length === 0,
      'the cache',
    );
  });

  it('past its capacity keeps what fits, whole, and names the pods left out', async () => {
    const restore = { key: 'velero/tiny', uid: 'uid-tiny' };
    const store = new OutcomeLedgerStore({
      client,
      namespace: CONTROLLER_NAMESPACE,
      cached: () => [],
      limits: { podsPerShard: 2, shards: 2 },
    });
    const result = await store.update(restore, syntheticPods(0, 6), undefined);
    expect(result.overflow).to.deep.equal(Object.keys(syntheticPods(4, 2)));
    expect(Object.keys(result.ledger.pods)).to.deep.equal(Object.keys(syntheticPods(0, 4)));
    expect(await shardsOf(restore.key)).to.have.lengthOf(2);
    await store.remove(restore.key);
  });

  it('adopts a single-ConfigMap ledger of an earlier build: keeps its pods and baseline, and labels it', async () => {
    const restore = { key: 'velero/earlier', uid: 'uid-earlier' };
    const baseline = { phase: 'Completed', hooksAttempted: 2, hooksFailed: 0, errors: 0 };
    await env.client.request({
      method: 'POST',
      path: `/api/v1/namespaces/${CONTROLLER_NAMESPACE}/configmaps`,
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: ledgerName(restore.key),
          labels: { 'app.kubernetes.io/managed-by': 'restore-hooks' },
        },
        data: {
          [LEDGER_KEY]: JSON.stringify({
            restore: restore.key,
            restoreUID: restore.uid,
            pods: { old: { attempted: 3, failed: 1 } },
            baseline,
          }),
        },
      },
    });
    const { store } = await cachedStore();
    expect(store.read(restore).pods).to.deep.equal({});
    const result = await store.update(
      restore,
      { young: { attempted: 1, failed: 0 } },
      { ...baseline, hooksAttempted: 7 },
    );
    expect(result.ledger).to.deep.include({ baseline });
    expect(ledgerTotals(result.ledger)).to.deep.equal({ attempted: 4, failed: 1 });
    const [head] = await shardsOf(restore.key);
    expect(head?.metadata.labels).to.include({
      [LEDGER_OF_LABEL]: ledgerHash(restore.key),
      [LEDGER_SHARD_LABEL]: '0',
    });
    await eventually(
      () => ledgerTotals(store.read(restore)).attempted === 4,
      'the cache to show the adopted ledger',
    );
    expect(await store.remove(restore.key)).to.equal(1);
  });

  it('a Restore whose ledger is full gets an error log, a HookCountsIncomplete Event and a condition message, and keeps what fits', async () => {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const restore = await env.velero.request<RestoreObject>({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'crowded', namespace: 'velero' },
        spec: { backupName: 'everything' },
        status: { phase: 'InProgress', startTimestamp: now },
      },
    });
    const pods: Pod[] = Array.from({ length: 5 }, (_, i) => ({
      metadata: {
        name: `p${i}`,
        namespace: 'app',
        uid: `pod-${i}`,
        annotations: {
          [EXEC_HOOKS_ANNOTATION]: formatExecRecord({
            restore: 'velero/crowded',
            hooks: { h: { attempts: 1, result: 'Succeeded', finishedAt: now } },
          }),
        },
      },
      spec: { containers: [{ name: 'app' }] },
    }));
    const errors: { message: string; meta: unknown }[] = [];
    const logger: Logger = {
      ...silentLogger,
      error: (message, meta) => errors.push({ message, meta }),
      child: () => logger,
    };
    const ledgers = new OutcomeLedgerStore({
      client,
      namespace: CONTROLLER_NAMESPACE,
      cached: () => [],
      limits: { podsPerShard: 2, shards: 1 },
    });
    const reconciler = new RestoreReconciler({
      getRestore: () => restore,
      listRestores: () => [restore],
      restores: new RestoreDirectory(() => [restore], DEFAULT_SETTINGS.policy),
      initHooksTally: () => ({ done: 0, pending: 0, conflicts: 0, skippedPods: 0, invalid: [] }),
      client,
      events: new EventRecorder(client, { instance: 'ledger-test', logger: silentLogger }),
      hookWindowMs: DEFAULT_SETTINGS.hookWindow,
      now: Date.now,
      hookStatus: { memberPods: () => pods, execHookIds: () => ['h'], ledgers },
    });
    const ctx = { reconcileID: 'r', logger, signal: new AbortController().signal };
    await reconciler.reconcile('velero/crowded', ctx);

    expect(errors.map((e) => e.message)).to.deep.equal(['hook counts not fully kept']);
    expect(errors[0]!.meta).to.deep.include({ restore: 'velero/crowded', uncountedPods: 3 });
    const event = await eventually(
      async () =>
        (
          await env.client.request<{ items: { reason: string; type: string; message: string }[] }>({
            method: 'GET',
            path: '/api/v1/namespaces/velero/events',
          })
        ).items.find((e) => e.reason === 'HookCountsIncomplete'),
      'the HookCountsIncomplete Event',
    );
    expect(event.type).to.equal('Warning');
    expect(event.message).to.contain('ledger of this Restore is full (2 pods)');
    const stored = await env.client.request<{ status: { conditions?: { type: string; message: string }[] } }>(
      {
        method: 'GET',
        path: '/apis/velero.io/v1/namespaces/velero/restores/crowded',
      },
    );
    expect(stored.status.conditions?.find((c) => c.type === 'ExecHooksCompleted')?.message).to.contain(
      'hook counts of further pods are not in status.hookStatus',
    );
    const [head] = await shardsOf('velero/crowded');
    expect(
      Object.keys((JSON.parse(head!.data?.[LEDGER_KEY] ?? '{}') as { pods: object }).pods),
    ).to.deep.equal(['pod-0', 'pod-1']);
    await ledgers.remove('velero/crowded');
  });

  it('the controller adds a multi-shard ledger to the status once, also after a restart, deletes every shard with the Restore, and an orphaned ledger at its next start', async () => {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const created = await env.velero.request<{ metadata: { uid: string } }>({
      method: 'POST',
      path: '/apis/velero.io/v1/namespaces/velero/restores',
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'whole-cluster', namespace: 'velero' },
        spec: { backupName: 'everything' },
        status: {
          phase: 'Completed',
          startTimestamp: now,
          completionTimestamp: now,
          errors: 0,
          hookStatus: { hooksAttempted: 2, hooksFailed: 0 },
        },
      },
    });
    const restore = { key: 'velero/whole-cluster', uid: created.metadata.uid };
    const direct = new OutcomeLedgerStore({ client, namespace: CONTROLLER_NAMESPACE, cached: () => [] });
    const first = syntheticPods(0, 11_000);
    await direct.update(restore, first, undefined);
    expect(await shardsOf(restore.key)).to.have.lengthOf(3);

    type Status = {
      phase: string;
      errors: number;
      hookStatus: { hooksAttempted: number; hooksFailed: number };
    };
    const status = async () =>
      (
        await env.client.request<{ status: Status }>({
          method: 'GET',
          path: '/apis/velero.io/v1/namespaces/velero/restores/whole-cluster',
        })
      ).status;
    const expectStatus = async (pods: Record<string, HookCounts>, what: string) => {
      const ours = sum(pods);
      const seen = await eventually(
        async () => {
          const s = await status();
          return s.hookStatus.hooksAttempted === 2 + ours.attempted ? s : undefined;
        },
        what,
        60_000,
      );
      expect(seen).to.deep.equal({
        ...seen,
        phase: 'PartiallyFailed',
        errors: ours.failed,
        hookStatus: { hooksAttempted: 2 + ours.attempted, hooksFailed: ours.failed },
      });
    };

    await env.startController();
    await expectStatus(first, 'the 11,000 pods counted on top of Velero’s 2 hooks');
    // The baseline is Velero's values, kept in the head only.
    const head = (await shardsOf(restore.key))[0]!;
    expect(JSON.parse(head.data?.[LEDGER_KEY] ?? '{}')).to.have.deep.property('baseline', {
      phase: 'Completed',
      hooksAttempted: 2,
      hooksFailed: 0,
      errors: 0,
    });
    expect(await env.stopController()).to.equal(0);

    // While it is stopped, more pods are counted (a fourth shard); the restarted controller adds them, once.
    const second = { ...first, ...syntheticPods(11_000, 5_000) };
    await direct.update(restore, second, undefined);
    expect(await shardsOf(restore.key)).to.have.lengthOf(4);
    await env.startController();
    await expectStatus(second, 'the 16,000 pods counted once after the restart');

    await env.client.request({
      method: 'DELETE',
      path: '/apis/velero.io/v1/namespaces/velero/restores/whole-cluster',
    });
    await eventually(
      async () => (await shardsOf(restore.key)).length === 0,
      'every shard deleted with the Restore',
      60_000,
    );
    expect(await env.stopController()).to.equal(0);

    // A ledger whose Restore was deleted while no controller ran is deleted at the next start.
    await direct.update({ key: 'velero/gone', uid: 'uid-gone' }, syntheticPods(0, 6_000), undefined);
    expect(await shardsOf('velero/gone')).to.have.lengthOf(2);
    await env.startController();
    await eventually(
      async () => (await shardsOf('velero/gone')).length === 0,
      'the orphaned ledger deleted',
      60_000,
    );
    expect(await env.stopController()).to.equal(0);
  });
});
