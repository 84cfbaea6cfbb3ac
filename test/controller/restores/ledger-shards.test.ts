import { expect } from 'chai';
import fc from 'fast-check';
import type { HookCounts, StatusBaseline } from '../../../src/controller/restores/hook-outcomes.ts';
import {
  LEDGER_LIMITS,
  formatShard,
  ledgerCapacity,
  ledgerTotals,
  mergeShards,
  parseShard,
  planLedgerUpdate,
} from '../../../src/controller/restores/ledger-shards.ts';
import type { LedgerLimits, LedgerShard } from '../../../src/controller/restores/ledger-shards.ts';
import { ledgerName } from '../../../src/controller/restores/ledger-store.ts';

const restore = { key: 'velero/r2', uid: 'u' };
const small: LedgerLimits = { podsPerShard: 2, shards: 3 };
const c = (attempted: number, failed = 0): HookCounts => ({ attempted, failed });
const shard = (pods: Record<string, HookCounts>, extra: Partial<LedgerShard> = {}): LedgerShard => ({
  restore: restore.key,
  restoreUID: restore.uid,
  pods,
  ...extra,
});
const baseline: StatusBaseline = { phase: 'Completed', hooksAttempted: 2, hooksFailed: 0, errors: 0 };

/** Applies a plan's writes to the stored shards, as the store does. */
function apply(stored: ReadonlyMap<number, LedgerShard>, writes: ReadonlyMap<number, LedgerShard>) {
  const next = new Map(stored);
  for (const [i, s] of writes) next.set(i, s);
  return next;
}

describe('restores: the sharded hook-count ledger', () => {
  describe('planLedgerUpdate', () => {
    const cases: {
      name: string;
      stored: [number, LedgerShard][];
      pods: Record<string, HookCounts>;
      baseline?: StatusBaseline;
      writes: [number, LedgerShard][];
      overflow?: string[];
    }[] = [
      { name: 'no pods and no ledger: nothing is created', stored: [], pods: {}, writes: [] },
      {
        name: 'a small restore: the head only',
        stored: [],
        pods: { b: c(1), a: c(2, 1) },
        writes: [[0, shard({ a: c(2, 1), b: c(1) })]],
      },
      {
        name: 'the same counts again: nothing is written',
        stored: [[0, shard({ a: c(2, 1), b: c(1) })]],
        pods: { a: c(2, 1), b: c(1) },
        writes: [],
      },
      {
        name: 'a known pod is overwritten in the shard that holds it, not added to',
        stored: [
          [0, shard({ a: c(1), b: c(1) })],
          [1, shard({ c: c(1) })],
        ],
        pods: { c: c(3, 1) },
        writes: [[1, shard({ c: c(3, 1) })]],
      },
      {
        name: 'new pods fill the lowest shard with room, then create the next',
        stored: [[0, shard({ a: c(1) })]],
        pods: { b: c(1), c: c(1), d: c(1) },
        writes: [
          [0, shard({ a: c(1), b: c(1) })],
          [1, shard({ c: c(1), d: c(1) })],
        ],
      },
      {
        name: 'past capacity: what fits is written, the rest is reported, never half a shard',
        stored: [
          [0, shard({ a: c(1), b: c(1) })],
          [1, shard({ c: c(1), d: c(1) })],
          [2, shard({ e: c(1) })],
        ],
        pods: { a: c(2), f: c(1), g: c(1), h: c(1) },
        writes: [
          [0, shard({ a: c(2), b: c(1) })],
          [2, shard({ e: c(1), f: c(1) })],
        ],
        overflow: ['g', 'h'],
      },
      {
        name: 'the baseline goes to the head, and only when it has none',
        stored: [[1, shard({ c: c(1) })]],
        pods: {},
        baseline,
        writes: [[0, shard({}, { baseline })]],
      },
      {
        name: 'a stored baseline is kept (Velero’s values from before our first status write)',
        stored: [[0, shard({ a: c(1) }, { baseline })]],
        pods: { a: c(2) },
        baseline: { ...baseline, hooksAttempted: 9 },
        writes: [[0, shard({ a: c(2) }, { baseline })]],
      },
      {
        name: 'shards of an earlier Restore of the same name count as empty and are overwritten',
        stored: [[0, { ...shard({ old: c(5) }, { baseline }), restoreUID: 'earlier' }]],
        pods: { a: c(1) },
        writes: [[0, shard({ a: c(1) })]],
      },
    ];
    for (const t of cases)
      it(t.name, () => {
        const plan = planLedgerUpdate(new Map(t.stored), restore, t.pods, t.baseline, small);
        expect([...plan.writes].sort(([a], [b]) => a - b)).to.deep.equal(t.writes);
        expect(plan.overflow).to.deep.equal(t.overflow ?? []);
        expect(plan.ledger).to.deep.equal(mergeShards(apply(new Map(t.stored), plan.writes), restore));
      });
  });

  describe('mergeShards', () => {
    it('merges every shard of the Restore, the head’s baseline, and counts a pod found twice once', () => {
      const merged = mergeShards(
        new Map([
          [1, shard({ b: c(1), a: c(7) })],
          [0, shard({ a: c(2, 1) }, { baseline })],
          [2, { ...shard({ z: c(9) }), restoreUID: 'earlier' }],
        ]),
        restore,
      );
      expect(merged).to.deep.equal({ ...shard({ a: c(2, 1), b: c(1) }), restore: restore.key, baseline });
      expect(ledgerTotals(merged)).to.deep.equal({ attempted: 3, failed: 1 });
    });
    it('ignores a baseline outside the head', () => {
      expect(mergeShards(new Map([[1, shard({}, { baseline })]]), restore)).not.to.have.property('baseline');
    });
  });

  describe('properties', () => {
    const counts = fc
      .tuple(fc.nat(20), fc.nat(20))
      .map(([a, b]) => ({ attempted: Math.max(a, b), failed: Math.min(a, b) }));
    const batches = fc.array(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), counts, { maxKeys: 12 }),
      {
        minLength: 1,
        maxLength: 6,
      },
    );
    const limits = fc.record({
      podsPerShard: fc.integer({ min: 1, max: 6 }),
      shards: fc.integer({ min: 1, max: 5 }),
    });

    it('any pod entries, stored in batches over shards and merged back, give the totals of the latest counts of every pod that fit; no shard exceeds its bound; a pod is in one shard only; re-applying a batch changes nothing', () => {
      fc.assert(
        fc.property(batches, limits, (updates, lim) => {
          let stored = new Map<number, LedgerShard>();
          const latest = new Map<string, HookCounts>();
          const dropped = new Set<string>();
          for (const pods of updates) {
            const plan = planLedgerUpdate(stored, restore, pods, undefined, lim);
            stored = apply(stored, plan.writes);
            for (const [uid, counts] of Object.entries(pods))
              if (!plan.overflow.includes(uid)) latest.set(uid, counts);
            for (const uid of plan.overflow) {
              expect(latest.has(uid), `a known pod ${uid} never overflows`).to.equal(false);
              dropped.add(uid);
            }
            expect(
              planLedgerUpdate(stored, restore, pods, undefined, lim).writes.size,
              'idempotent',
            ).to.equal(0);
          }
          const seen = new Set<string>();
          for (const [index, s] of stored) {
            expect(index).to.be.within(0, lim.shards - 1);
            expect(Object.keys(s.pods).length).to.be.at.most(lim.podsPerShard);
            for (const uid of Object.keys(s.pods)) {
              expect(seen.has(uid), `pod ${uid} in two shards`).to.equal(false);
              seen.add(uid);
            }
          }
          const merged = mergeShards(stored, restore);
          expect(Object.keys(merged.pods).sort()).to.deep.equal([...latest.keys()].sort());
          const expected = [...latest.values()].reduce(
            (t, x) => ({ attempted: t.attempted + x.attempted, failed: t.failed + x.failed }),
            { attempted: 0, failed: 0 },
          );
          expect(ledgerTotals(merged)).to.deep.equal(expected);
          // Overflow happens only when every shard is full.
          if (dropped.size > 0) expect(seen.size).to.equal(lim.podsPerShard * lim.shards);
        }),
      );
    });

    it('format then parse gives a shard back', () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.uuid(), counts, { maxKeys: 20 }),
          fc.option(
            fc.record({
              phase: fc.constantFrom('Completed', 'PartiallyFailed', 'Failed'),
              hooksAttempted: fc.nat(100),
              hooksFailed: fc.nat(100),
              errors: fc.nat(100),
            }),
            { nil: undefined },
          ),
          (pods, b) => {
            const s = shard(pods, b ? { baseline: b } : {});
            expect(parseShard(formatShard(s))).to.deep.equal(s);
          },
        ),
      );
    });
  });

  describe('bounds and format', () => {
    it('holds at least 100,000 pods per Restore', () => {
      expect(ledgerCapacity()).to.be.at.least(100_000);
    });

    it('a full shard of UUID-keyed pods with large counts and a baseline stays well under 1 MiB (512 KiB)', () => {
      const pods = Object.fromEntries(
        Array.from({ length: LEDGER_LIMITS.podsPerShard }, () => [
          crypto.randomUUID(),
          { attempted: 99_999, failed: 99_999 },
        ]),
      );
      const big = { phase: 'PartiallyFailed', hooksAttempted: 1e9, hooksFailed: 1e9, errors: 1e9 };
      expect(Buffer.byteLength(formatShard(shard(pods, { baseline: big })))).to.be.below(512 * 1024);
    });

    it('an unreadable shard is no shard', () => {
      for (const text of [
        undefined,
        '',
        '{',
        '[]',
        '{"restore":"velero/r2","restoreUID":"u","pods":[]}',
        '{"restore":"velero/r2","restoreUID":"u","pods":{"p":{"attempted":1,"failed":2}}}',
      ])
        expect(parseShard(text)).to.equal(undefined);
    });

    it('reads a single-ConfigMap ledger of earlier builds as the head shard', () => {
      const earlier =
        '{"restore":"velero/r2","restoreUID":"u","pods":{"p1":{"attempted":2,"failed":1}},"baseline":{"phase":"Completed","hooksAttempted":2,"hooksFailed":0,"errors":0}}';
      expect(parseShard(earlier)).to.deep.equal(shard({ p1: c(2, 1) }, { baseline }));
    });

    it('names shards after a hash of the restore (valid ConfigMap names); the head keeps the earlier name', () => {
      expect(ledgerName('velero/r2')).to.match(/^restore-hooks-outcomes-[0-9a-f]{10}$/);
      expect(ledgerName('velero/r2', 0)).to.equal(ledgerName('velero/r2'));
      expect(ledgerName('velero/r2', 19)).to.equal(`${ledgerName('velero/r2')}-19`);
      expect(ledgerName('velero/r2')).not.to.equal(ledgerName('velero/r3'));
    });
  });
});
