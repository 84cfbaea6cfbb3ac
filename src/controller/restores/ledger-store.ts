/**
 * The hook-count ledgers as ConfigMaps in the controller's namespace: shard i of a Restore's ledger is
 * `restore-hooks-outcomes-<hash>` (i = 0, the head) or `restore-hooks-outcomes-<hash>-<i>`, labelled
 * `restore-hooks.dev/ledger-of=<hash>`. Reads come from an informer's cache of those ConfigMaps; an update writes
 * only the shards whose content changed, each guarded by the resourceVersion it was read at, and re-reads from the
 * API server (list by label) after a conflict.
 */
import { createHash } from 'node:crypto';
import type { ConfigMap } from '../../kube/types.ts';
import type { KubeJsonClient } from '../kube-json-client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../machinery/api-errors.ts';
import type { KubeObject } from '../machinery/kube-object.ts';
import { DEFAULT_RETRY, retryOnError } from '../machinery/retry.ts';
import type { HookCounts, StatusBaseline } from './hook-outcomes.ts';
import type { Ledger, LedgerLimits, LedgerShard, LedgerUpdate } from './ledger-shards.ts';
import {
  HEAD_SHARD,
  LEDGER_LIMITS,
  formatShard,
  mergeShards,
  parseShard,
  planLedgerUpdate,
} from './ledger-shards.ts';

export const LEDGER_KEY = 'ledger.json';
/** On every shard: the hash of the Restore whose ledger it is part of (what the informer selects and indexes). */
export const LEDGER_OF_LABEL = 'restore-hooks.dev/ledger-of';
export const LEDGER_SHARD_LABEL = 'restore-hooks.dev/ledger-shard';
/** On every shard: the Restore, `namespace/name` (a label value cannot hold the slash). */
export const LEDGER_RESTORE_ANNOTATION = 'restore-hooks.dev/ledger-for';

/** 10 hex of sha256(namespace/name): the Restore's part of its shards' names, and their label value. */
export function ledgerHash(restoreKey: string): string {
  return createHash('sha256').update(restoreKey).digest('hex').slice(0, 10);
}

/** The ConfigMap of shard `index` of a Restore's ledger; the head keeps the single-ConfigMap name of earlier builds. */
export function ledgerName(restoreKey: string, index = HEAD_SHARD): string {
  const head = `restore-hooks-outcomes-${ledgerHash(restoreKey)}`;
  return index === HEAD_SHARD ? head : `${head}-${index}`;
}

interface StoredShard {
  readonly object: ConfigMap;
  readonly shard: LedgerShard | undefined;
}

export interface LedgerStoreOptions {
  readonly client: KubeJsonClient;
  readonly namespace: string;
  /** The cached ConfigMaps labelled `restore-hooks.dev/ledger-of=<hash>`. */
  readonly cached: (hash: string) => readonly KubeObject[];
  readonly limits?: LedgerLimits;
}

export interface LedgerUpdateResult {
  readonly ledger: Ledger;
  /** Uids of new pods the full ledger could not take. */
  readonly overflow: readonly string[];
}

export class OutcomeLedgerStore {
  readonly #client: KubeJsonClient;
  readonly #namespace: string;
  readonly #cached: (hash: string) => readonly KubeObject[];
  readonly #limits: LedgerLimits;
  /** Parsed shards by ConfigMap name, valid while its resourceVersion is unchanged (a full shard is ~350 KB). */
  readonly #parsed = new Map<
    string,
    { resourceVersion: string | undefined; shard: LedgerShard | undefined }
  >();

  constructor(options: LedgerStoreOptions) {
    this.#client = options.client;
    this.#namespace = options.namespace;
    this.#cached = options.cached;
    this.#limits = options.limits ?? LEDGER_LIMITS;
  }

  get limits(): LedgerLimits {
    return this.#limits;
  }

  /** The ledger as the cache shows it. */
  read(restore: { key: string; uid: string }): Ledger {
    const stored = this.#shards(restore.key, this.#cached(ledgerHash(restore.key)) as readonly ConfigMap[]);
    return mergeShards(readable(stored), restore);
  }

  /**
   * Stores `pods` (each overwriting its own entry) and, if the head has none yet, `baseline`; writes only the
   * shards that change. A shard that never holds anything is never created: a restore without hooked pods has no
   * ledger, a small one has the head only.
   */
  update(
    restore: { key: string; uid: string },
    pods: Readonly<Record<string, HookCounts>>,
    baseline: StatusBaseline | undefined,
  ): Promise<LedgerUpdateResult> {
    const retriable = (error: unknown): boolean => isConflict(error) || isAlreadyExists(error);
    let fresh = false;
    return retryOnError(DEFAULT_RETRY, retriable, async () => {
      const objects = fresh
        ? await this.#list(restore.key)
        : (this.#cached(ledgerHash(restore.key)) as readonly ConfigMap[]);
      fresh = true;
      const stored = this.#shards(restore.key, objects);
      const plan: LedgerUpdate = planLedgerUpdate(readable(stored), restore, pods, baseline, this.#limits);
      for (const [index, shard] of plan.writes)
        await this.#write(restore.key, index, shard, stored.get(index)?.object);
      return { ledger: plan.ledger, overflow: plan.overflow };
    });
  }

  /** Deletes every shard of a Restore that is gone; returns how many there were. */
  async remove(restoreKey: string): Promise<number> {
    const names = new Set([
      ledgerName(restoreKey),
      ...(await this.#list(restoreKey)).map((o) => o.metadata.name),
    ]);
    let deleted = 0;
    for (const name of names) {
      this.#parsed.delete(name);
      try {
        await this.#client.request({ method: 'DELETE', path: this.#path(name) });
        deleted++;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return deleted;
  }

  /** The stored shards by index, from ConfigMaps of the Restore's ledger (others and bad indexes are ignored). */
  #shards(restoreKey: string, objects: readonly ConfigMap[]): Map<number, StoredShard> {
    const shards = new Map<number, StoredShard>();
    for (const object of objects) {
      const index = this.#indexOf(restoreKey, object);
      if (index === undefined) continue;
      shards.set(index, { object, shard: this.#parse(object) });
    }
    return shards;
  }

  #indexOf(restoreKey: string, object: ConfigMap): number | undefined {
    const label = object.metadata.labels?.[LEDGER_SHARD_LABEL];
    const index = label === undefined ? HEAD_SHARD : Number(label);
    const valid = Number.isInteger(index) && index >= 0 && index < this.#limits.shards;
    return valid && object.metadata.name === ledgerName(restoreKey, index) ? index : undefined;
  }

  #parse(object: ConfigMap): LedgerShard | undefined {
    const { name, resourceVersion } = object.metadata;
    const memo = this.#parsed.get(name);
    if (memo && memo.resourceVersion === resourceVersion) return memo.shard;
    const shard = parseShard(object.data?.[LEDGER_KEY]);
    this.#parsed.set(name, { resourceVersion, shard });
    return shard;
  }

  /**
   * The Restore's shards as the API server has them: listed by label, plus the head by name when the list lacks
   * it (a head written by an earlier build has no label; writing it adds the label).
   */
  async #list(restoreKey: string): Promise<ConfigMap[]> {
    const listed = await this.#client.request<{ items: ConfigMap[] }>({
      method: 'GET',
      path: this.#path(),
      query: { labelSelector: `${LEDGER_OF_LABEL}=${ledgerHash(restoreKey)}` },
    });
    const head = ledgerName(restoreKey);
    if (listed.items.some((o) => o.metadata.name === head)) return listed.items;
    try {
      return [
        ...listed.items,
        await this.#client.request<ConfigMap>({ method: 'GET', path: this.#path(head) }),
      ];
    } catch (error) {
      if (isNotFound(error)) return listed.items;
      throw error;
    }
  }

  async #write(
    restoreKey: string,
    index: number,
    shard: LedgerShard,
    current: ConfigMap | undefined,
  ): Promise<void> {
    const name = ledgerName(restoreKey, index);
    const data = { [LEDGER_KEY]: formatShard(shard) };
    const labels = {
      ...current?.metadata.labels,
      'app.kubernetes.io/managed-by': 'restore-hooks',
      [LEDGER_OF_LABEL]: ledgerHash(restoreKey),
      [LEDGER_SHARD_LABEL]: String(index),
    };
    const annotations = { ...current?.metadata.annotations, [LEDGER_RESTORE_ANNOTATION]: restoreKey };
    const written = current
      ? await this.#client.request<ConfigMap>({
          method: 'PUT',
          path: this.#path(name),
          body: { ...current, metadata: { ...current.metadata, labels, annotations }, data },
        })
      : await this.#client.request<ConfigMap>({
          method: 'POST',
          path: this.#path(),
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace: this.#namespace, labels, annotations },
            data,
          },
        });
    this.#parsed.set(name, { resourceVersion: written.metadata.resourceVersion, shard });
  }

  #path(name?: string): string {
    return `/api/v1/namespaces/${this.#namespace}/configmaps${name ? `/${name}` : ''}`;
  }
}

/** The readable shards by index; an unreadable one counts as empty and is overwritten when a pod is put there. */
function readable(stored: ReadonlyMap<number, StoredShard>): Map<number, LedgerShard> {
  return new Map([...stored].flatMap(([index, s]) => (s.shard ? [[index, s.shard] as const] : [])));
}
