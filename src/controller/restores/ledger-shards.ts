/**
 * The per-Restore hook-count ledger, split into shards of bounded size so that a whole-cluster restore fits (each
 * shard is one ConfigMap, and a ConfigMap holds at most 1 MiB). Pure: which shard a pod's entry goes to, what an
 * update changes, merging shards back into one ledger, and the shard format.
 *
 * Rules that keep every pod in exactly one shard, even when a writer works from a stale view (each shard write is
 * guarded by the resourceVersion it was read at, so a stale view only ever costs a conflict and a re-read):
 * entries are never removed or moved; a known pod is updated in the shard that holds it; a new pod goes to the
 * lowest shard with room. Shard 0, the head, is the only place of the baseline.
 */
import type { HookCounts, StatusBaseline } from './hook-outcomes.ts';

/** One shard as stored (the head, shard 0, also carries the baseline). */
export interface LedgerShard {
  /** The Restore, `namespace/name`, and its uid (a new Restore of the same name starts a new ledger). */
  readonly restore: string;
  readonly restoreUID: string;
  /** Per pod uid, that pod's own counts. */
  readonly pods: Readonly<Record<string, HookCounts>>;
  readonly baseline?: StatusBaseline;
}

/** A Restore's whole ledger: every shard's pods, and the head's baseline. */
export interface Ledger {
  readonly restore: string;
  readonly restoreUID: string;
  readonly pods: Readonly<Record<string, HookCounts>>;
  readonly baseline?: StatusBaseline;
}

export interface LedgerLimits {
  readonly podsPerShard: number;
  readonly shards: number;
}

/**
 * 5,000 pods per shard: an entry (UUID and counts) takes about 70 bytes, so a full shard is about 350 KB, well
 * under a ConfigMap's 1 MiB; 20 shards hold 100,000 pods per Restore.
 */
export const LEDGER_LIMITS: LedgerLimits = { podsPerShard: 5000, shards: 20 };

export function ledgerCapacity(limits: LedgerLimits = LEDGER_LIMITS): number {
  return limits.podsPerShard * limits.shards;
}

export const HEAD_SHARD = 0;

/** The shards of `restoreUID` merged into one ledger; a pod found in two shards counts once (the lower wins). */
export function mergeShards(
  shards: ReadonlyMap<number, LedgerShard>,
  restore: { readonly key: string; readonly uid: string },
): Ledger {
  const pods: Record<string, HookCounts> = {};
  for (const index of [...shards.keys()].sort((a, b) => a - b)) {
    const shard = shards.get(index)!;
    if (shard.restoreUID !== restore.uid) continue;
    for (const [uid, counts] of Object.entries(shard.pods)) if (!Object.hasOwn(pods, uid)) pods[uid] = counts;
  }
  const head = shards.get(HEAD_SHARD);
  const baseline = head?.restoreUID === restore.uid ? head.baseline : undefined;
  return { restore: restore.key, restoreUID: restore.uid, pods, ...(baseline ? { baseline } : {}) };
}

export function ledgerTotals(ledger: Pick<Ledger, 'pods'>): HookCounts {
  let attempted = 0;
  let failed = 0;
  for (const c of Object.values(ledger.pods)) {
    attempted += c.attempted;
    failed += c.failed;
  }
  return { attempted, failed };
}

export interface LedgerUpdate {
  /** The shards whose content changes, by index, whole: exactly these are written. */
  readonly writes: ReadonlyMap<number, LedgerShard>;
  /** Uids of new pods that fit in no shard (the ledger is full), sorted. */
  readonly overflow: readonly string[];
  /** The ledger once the writes are done. */
  readonly ledger: Ledger;
}

/**
 * What storing `pods` (each overwriting its own entry) and, if the head has none yet, `baseline` changes in the
 * `stored` shards. Shards of another Restore uid count as empty and are overwritten when written.
 */
export function planLedgerUpdate(
  stored: ReadonlyMap<number, LedgerShard>,
  restore: { readonly key: string; readonly uid: string },
  pods: Readonly<Record<string, HookCounts>>,
  baseline: StatusBaseline | undefined,
  limits: LedgerLimits = LEDGER_LIMITS,
): LedgerUpdate {
  const ours = (index: number): LedgerShard | undefined => {
    const shard = stored.get(index);
    return shard?.restoreUID === restore.uid ? shard : undefined;
  };
  const where = new Map<string, number>();
  const sizes: number[] = [];
  for (let index = 0; index < limits.shards; index++) {
    const shardPods = ours(index)?.pods ?? {};
    sizes.push(Object.keys(shardPods).length);
    for (const uid of Object.keys(shardPods)) if (!where.has(uid)) where.set(uid, index);
  }
  const drafts = new Map<number, Record<string, HookCounts>>();
  const draft = (index: number): Record<string, HookCounts> => {
    let d = drafts.get(index);
    if (!d) drafts.set(index, (d = { ...ours(index)?.pods }));
    return d;
  };
  const added: string[] = [];
  for (const [uid, counts] of Object.entries(pods)) {
    const index = where.get(uid);
    if (index === undefined) {
      added.push(uid);
      continue;
    }
    const known = ours(index)!.pods[uid]!;
    if (known.attempted !== counts.attempted || known.failed !== counts.failed) draft(index)[uid] = counts;
  }
  const overflow: string[] = [];
  let open = 0;
  // New pods in uid order: the same pods give the same shards, whatever order they come in.
  for (const uid of added.sort()) {
    const counts = pods[uid]!;
    while (open < limits.shards && sizes[open]! >= limits.podsPerShard) open++;
    if (open === limits.shards) {
      overflow.push(uid);
      continue;
    }
    draft(open)[uid] = counts;
    sizes[open]!++;
  }
  const head = ours(HEAD_SHARD);
  const newBaseline = baseline && !head?.baseline ? baseline : undefined;
  if (newBaseline) draft(HEAD_SHARD);

  const writes = new Map<number, LedgerShard>();
  for (const [index, shardPods] of drafts) {
    const kept = index === HEAD_SHARD ? (newBaseline ?? head?.baseline) : undefined;
    writes.set(index, {
      restore: restore.key,
      restoreUID: restore.uid,
      pods: shardPods,
      ...(kept ? { baseline: kept } : {}),
    });
  }
  const after = new Map(stored);
  for (const [index, shard] of writes) after.set(index, shard);
  return { writes, overflow, ledger: mergeShards(after, restore) };
}

function isCounts(v: unknown): v is HookCounts {
  const c = v as HookCounts;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger(c.attempted) &&
    Number.isInteger(c.failed) &&
    c.attempted >= 0 &&
    c.failed >= 0 &&
    c.failed <= c.attempted
  );
}

/**
 * Reads a shard; undefined when unreadable (the caller treats it as empty and overwrites it when it writes there).
 * The head's format is the single-ConfigMap ledger's of earlier builds, so such a ledger reads as a head shard.
 */
export function parseShard(text: string | undefined): LedgerShard | undefined {
  if (!text) return undefined;
  try {
    const raw = JSON.parse(text) as Partial<LedgerShard>;
    if (typeof raw.restore !== 'string' || typeof raw.restoreUID !== 'string') return undefined;
    if (typeof raw.pods !== 'object' || raw.pods === null || Array.isArray(raw.pods)) return undefined;
    if (!Object.values(raw.pods).every(isCounts)) return undefined;
    const b = raw.baseline;
    const baseline =
      b &&
      typeof b.phase === 'string' &&
      [b.hooksAttempted, b.hooksFailed, b.errors].every((n) => Number.isInteger(n) && n >= 0)
        ? { baseline: b }
        : {};
    return { restore: raw.restore, restoreUID: raw.restoreUID, pods: raw.pods, ...baseline };
  } catch {
    return undefined;
  }
}

/** The shard as JSON with pods sorted by uid, so that equal content gives equal text. */
export function formatShard(shard: LedgerShard): string {
  const pods = Object.fromEntries(
    Object.keys(shard.pods)
      .sort()
      .map((uid) => [uid, shard.pods[uid]!]),
  );
  return JSON.stringify({ ...shard, pods });
}
