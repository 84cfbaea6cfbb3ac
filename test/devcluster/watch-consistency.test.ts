import { expect } from 'chai';
import fc from 'fast-check';
import { Cluster } from '../../src/devcluster/api/cluster.ts';
import type { KubeObject, WatchEvent } from '../../src/devcluster/api/types.ts';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

type Op =
  | { kind: 'create'; name: string; color: string }
  | { kind: 'relabel'; name: string; color: string }
  | { kind: 'delete'; name: string }
  | { kind: 'compact' };

const name = fc.constantFrom('a', 'b', 'c', 'd');
const color = fc.constantFrom('red', 'blue');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), name, color }),
  fc.record({ kind: fc.constant('relabel' as const), name, color }),
  fc.record({ kind: fc.constant('delete' as const), name }),
  fc.record({ kind: fc.constant('compact' as const) }),
);

function apply(cluster: Cluster, o: Op): void {
  try {
    if (o.kind === 'create')
      cluster.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: o.name, labels: { color: o.color } },
      });
    else if (o.kind === 'relabel')
      cluster.patch(CONFIGMAPS, 'default', o.name, 'application/merge-patch+json', {
        metadata: { labels: { color: o.color } },
      });
    else if (o.kind === 'delete') cluster.delete(CONFIGMAPS, 'default', o.name);
    else cluster.compact();
  } catch (err) {
    if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 409) throw err;
  }
}

/** Folds watch events into the set of objects the watcher believes exist, keyed by name. */
function fold(events: readonly WatchEvent[]): Map<string, string> {
  const state = new Map<string, string>();
  for (const e of events) {
    const o = e.object as KubeObject;
    if (e.type === 'ADDED' || e.type === 'MODIFIED') state.set(o.metadata.name!, o.metadata.resourceVersion!);
    else if (e.type === 'DELETED') state.delete(o.metadata.name!);
  }
  return state;
}

describe('devcluster watch consistency (property)', () => {
  it('a selective watch started anywhere ends in the same state as a list with the same selector', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 25 }),
        fc.array(op, { maxLength: 25 }),
        fc.boolean(),
        async (before, during, fromList) => {
          const cluster = new Cluster();
          try {
            for (const o of before) apply(cluster, o);
            const start = cluster.list(CONFIGMAPS, 'default', { labelSelector: 'color=red' });
            const events: WatchEvent[] = [];
            const handle = cluster.watch(
              CONFIGMAPS,
              'default',
              { labelSelector: 'color=red', ...(fromList ? { resourceVersion: start.resourceVersion } : {}) },
              (e) => events.push(e),
            );
            for (const o of during) apply(cluster, o);
            await new Promise((r) => setImmediate(r));
            handle.close();
            expect(events.every((e) => e.type !== 'ERROR')).to.equal(true);
            const seed = fromList
              ? new Map(start.items.map((i) => [i.metadata.name!, i.metadata.resourceVersion!]))
              : new Map<string, string>();
            const watched = fold(events);
            const believed = fromList
              ? new Map(
                  [...seed]
                    .filter(([n]) => !events.some((e) => (e.object as KubeObject).metadata.name === n))
                    .concat([...watched]),
                )
              : watched;
            const actual = new Map(
              cluster
                .list(CONFIGMAPS, 'default', { labelSelector: 'color=red' })
                .items.map((i) => [i.metadata.name!, i.metadata.resourceVersion!]),
            );
            expect(Object.fromEntries(believed)).to.deep.equal(Object.fromEntries(actual));
          } finally {
            cluster.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
