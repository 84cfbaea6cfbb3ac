import { expect } from 'chai';
import { PodReconciler } from '../../../src/controller/init-hooks/pod-reconciler.ts';
import type { PodReconcilerDeps } from '../../../src/controller/init-hooks/pod-reconciler.ts';
import type { JournalEntry } from '../../../src/controller/init-hooks/replacement-journal.ts';
import { ReadyQueue } from '../../../src/controller/machinery/ready-queue.ts';
import type { Pod } from '../../../src/kube/types.ts';

const pod = (namespace: string, name: string, created: string): Pod => ({
  metadata: { namespace, name, uid: `uid-${name}`, creationTimestamp: created },
  spec: { containers: [{ name: 'app' }] },
  status: { phase: 'Pending' },
});

describe('pod reconciler: the order pods are worked on', () => {
  // Only what ranking reads: the pending-pod cache and the journal. Nothing is reconciled here.
  const pending = [
    pod('a-first-namespace', 'young', '2026-11-25T00:00:30Z'),
    pod('z-last-namespace', 'old', '2026-11-25T00:00:10Z'),
    pod('m-namespace', 'middle', '2026-11-25T00:00:20Z'),
  ];
  const underWay: JournalEntry = {
    namespace: 'z-last-namespace',
    name: 'being-replaced',
    replacedUID: 'uid-being-replaced',
    replacement: pod('z-last-namespace', 'being-replaced', '2026-11-25T00:00:40Z'),
  };
  const reconciler = new PodReconciler({
    getPendingPod: (namespace: string, name: string) =>
      pending.find((p) => p.metadata.namespace === namespace && p.metadata.name === name),
    journal: { entries: async () => [underWay] },
  } as unknown as PodReconcilerDeps);

  it('puts replacements under way first, then pending pods oldest first, whatever their namespace', async () => {
    await reconciler.loadJournal();
    const queue = new ReadyQueue();
    // The informer's list order: namespace by namespace.
    for (const key of [
      'a-first-namespace/young',
      'gone/not-pending-any-more',
      'm-namespace/middle',
      'z-last-namespace/being-replaced',
      'z-last-namespace/old',
    ])
      queue.push(key, reconciler.rank(key));
    const order: (string | undefined)[] = [];
    while (queue.length > 0) order.push(queue.shift());
    expect(order).to.deep.equal([
      'z-last-namespace/being-replaced',
      'z-last-namespace/old',
      'm-namespace/middle',
      'a-first-namespace/young',
      'gone/not-pending-any-more',
    ]);
  });
});
