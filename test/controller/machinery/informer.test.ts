import { expect } from 'chai';
import type { RecoveryEvent } from '../../../src/controller/machinery/informer.ts';
import { Informer } from '../../../src/controller/machinery/informer.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import { labelIndex } from '../../../src/controller/machinery/indexer.ts';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.ts';
import { MemoryListWatch } from '../../helpers/memory-list-watch.ts';

const pod = (name: string, rv: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'app', name, resourceVersion: rv, labels },
});

describe('Informer (state machine, in-memory list/watch)', () => {
  let clock: FakeClock;
  let lw: MemoryListWatch;
  let recoveries: RecoveryEvent[];
  let seen: string[];
  let informer: Informer<KubeObject>;

  beforeEach(() => {
    clock = new FakeClock();
    lw = new MemoryListWatch();
    recoveries = [];
    seen = [];
    informer = new Informer({
      name: 'pods',
      listWatch: lw,
      labelSelector: 'velero.io/restore-name',
      fieldSelector: 'status.phase=Pending',
      pageSize: 2,
      stallTimeoutMs: 60_000,
      watchTimeoutSeconds: 300,
      backoff: { initialMs: 100, maxMs: 400 },
      indexers: { restore: labelIndex('velero.io/restore-name') },
      onRecovery: (event) => recoveries.push(event),
      clock,
      random: () => 0,
    });
    informer.addEventHandler({
      onAdd: (o) => seen.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      onUpdate: (_old, o) => seen.push(`update ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
    });
  });
  afterEach(() => informer.stop());

  it('lists in pages with the selectors, syncs, then watches from the list resourceVersion with bookmarks', async () => {
    lw.objects = [pod('a', '1', { 'velero.io/restore-name': 'r1' }), pod('b', '1'), pod('c', '1')];
    lw.resourceVersion = '10';
    const synced = informer.waitForSync();
    expect(informer.hasSynced()).to.equal(false);
    informer.start();
    expect(await synced).to.equal(true);
    expect(lw.listRequests).to.deep.equal([
      {
        labelSelector: 'velero.io/restore-name',
        fieldSelector: 'status.phase=Pending',
        limit: 2,
        continue: undefined,
      },
      {
        labelSelector: 'velero.io/restore-name',
        fieldSelector: 'status.phase=Pending',
        limit: 2,
        continue: '2',
      },
    ]);
    await flushMicrotasks();
    expect(lw.current().request).to.deep.equal({
      resourceVersion: '10',
      allowWatchBookmarks: true,
      labelSelector: 'velero.io/restore-name',
      fieldSelector: 'status.phase=Pending',
      timeoutSeconds: 300,
    });
    expect(seen).to.deep.equal(['add a@1', 'add b@1', 'add c@1']);
    expect(informer.store.byIndex('restore', 'r1').map((o) => o.metadata?.name)).to.deep.equal(['a']);
  });

  it('applies watch events to the cache and tracks the resourceVersion, bookmarks included', async () => {
    informer.start();
    await informer.waitForSync();
    await flushMicrotasks();
    const watch = lw.current();
    watch.onEvent({ type: 'ADDED', object: pod('x', '11') });
    watch.onEvent({ type: 'MODIFIED', object: pod('x', '12') });
    watch.onEvent({ type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: '15' } } });
    expect(informer.resourceVersion).to.equal('15');
    watch.onEvent({ type: 'DELETED', object: pod('x', '16') });
    expect(seen).to.deep.equal(['add x@11', 'update x@12', 'delete x']);
    expect(informer.store.get('app/x')).to.equal(undefined);
    watch.onDone();
    await clock.advance(1000);
    expect(lw.current().request.resourceVersion, 'a clean close resumes, no re-list').to.equal('16');
    expect(lw.listRequests).to.have.length(1);
  });

  it('re-lists after 410 Expired and reconciles the cache with the new list', async () => {
    lw.objects = [pod('a', '1'), pod('b', '1')];
    informer.start();
    await informer.waitForSync();
    await flushMicrotasks();
    lw.objects = [pod('b', '5'), pod('c', '5')];
    lw.resourceVersion = '20';
    lw.current().onEvent({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } });
    await flushMicrotasks();
    expect(seen.slice(2)).to.deep.equal(['delete a', 'update b@5', 'add c@5']);
    expect(recoveries).to.deep.equal([{ type: 'relisted', informer: 'pods', reason: 'expired' }]);
    expect(lw.current().request.resourceVersion).to.equal('20');
  });

  it('keeps retrying a failing first list with growing, capped backoff and is not synced meanwhile', async () => {
    lw.listErrors.push(
      new Error('connect ECONNREFUSED'),
      new Error('again'),
      new Error('again'),
      new Error('again'),
    );
    informer.start();
    await clock.advance(0);
    expect(informer.hasSynced()).to.equal(false);
    await clock.advance(100 + 200 + 400 + 400);
    expect(informer.hasSynced()).to.equal(true);
    expect(recoveries.map((r) => (r.type === 'restarted' ? r.delayMs : r.type))).to.deep.equal([
      100, 200, 400, 400,
    ]);
    expect(
      recoveries.some((r) => r.type === 'relisted'),
      'the first list is no re-list',
    ).to.equal(false);
  });

  it('restarts after a watch error (e.g. 500) and resumes from the last resourceVersion', async () => {
    informer.start();
    await informer.waitForSync();
    await flushMicrotasks();
    lw.current().onEvent({ type: 'ADDED', object: pod('x', '30') });
    lw.current().onDone(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    await clock.advance(100);
    expect(recoveries).to.have.length(1);
    expect(recoveries[0]).to.include({ type: 'restarted', attempt: 1 });
    expect(lw.current().request.resourceVersion).to.equal('30');
  });

  it('backs off further only while watches keep failing at once, not after each healthy watch that broke', async () => {
    informer.start();
    await informer.waitForSync();
    await flushMicrotasks();
    const cut = () =>
      lw.current().onDone(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    // Three watches that each ran 2 s before they were cut: every restart waits the initial delay.
    for (let i = 0; i < 3; i++) {
      await clock.advance(2000);
      cut();
      await clock.advance(100);
    }
    // Then three that fail as soon as they start: each continues the streak the last cut began, up to the cap.
    for (let i = 0; i < 3; i++) {
      cut();
      await clock.advance(400);
    }
    expect(recoveries.map((r) => (r.type === 'restarted' ? r.delayMs : r.type))).to.deep.equal([
      100, 100, 100, 200, 400, 400,
    ]);
    expect(lw.listRequests, 'a broken watch resumes from its resourceVersion').to.have.length(1);
  });

  it('treats a watch that stays silent past stallTimeout as stalled and re-lists', async () => {
    informer.start();
    await informer.waitForSync();
    await flushMicrotasks();
    // Reconnections without events do not reset the stall clock.
    await clock.advance(30_000);
    lw.current().onDone();
    await clock.advance(30_000);
    expect(recoveries.map((r) => r.type)).to.deep.equal(['stalled', 'relisted']);
    expect(lw.listRequests).to.have.length(2);
  });

  it('survives a throwing handler and redelivers the cache on resync', async () => {
    const resyncing = new Informer({
      name: 'pods',
      listWatch: lw,
      resyncPeriodMs: 1000,
      clock,
    });
    let updates = 0;
    resyncing.addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
      onUpdate: () => (updates += 1),
    });
    lw.objects = [pod('a', '1'), pod('b', '1')];
    resyncing.start();
    expect(await resyncing.waitForSync()).to.equal(true);
    await clock.advance(1000);
    expect(updates).to.equal(2);
    await resyncing.stop();
  });

  it('delivers existing objects to a handler added after sync, and waitForSync is false once stopped', async () => {
    lw.objects = [pod('a', '1')];
    informer.start();
    await informer.waitForSync();
    const late: string[] = [];
    informer.addEventHandler({ onAdd: (o) => late.push(o.metadata!.name!) });
    expect(late).to.deep.equal(['a']);
    await informer.stop();
    const other = new Informer({ name: 'x', listWatch: new MemoryListWatch(), clock });
    const wait = other.waitForSync();
    await other.stop();
    expect(await wait).to.equal(false);
  });

  it('rejects bad options naming the field', () => {
    expect(() => new Informer({ name: 'x', listWatch: lw, stallTimeoutMs: -1 })).to.throw('stallTimeoutMs');
    expect(() => new Informer({ name: 'x', listWatch: lw, backoff: { initialMs: 0, maxMs: 1 } })).to.throw(
      'backoff',
    );
  });
});
