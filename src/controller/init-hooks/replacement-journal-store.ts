import type { ConfigMap } from '../../kube/types.ts';
import type { KubeJsonClient } from '../kube-json-client.ts';
import { isAlreadyExists, isNotFound } from '../machinery/api-errors.ts';
import type { JournalEntry } from './replacement-journal.ts';

/** Labels every journal entry, so that a start lists them all and nothing else. */
export const REPLACEMENT_JOURNAL_LABEL = 'restore-hooks.dev/replacement-journal';
/** For people reading the entries: the pod being replaced, `namespace/name`. */
export const REPLACES_ANNOTATION = 'restore-hooks.dev/replaces';
/** The single ConfigMap an earlier build kept every entry in; adopted (and deleted) when entries are loaded. */
export const LEGACY_JOURNAL_NAME = 'restore-hooks-replacements';
const ENTRY_KEY = 'entry';

/** The entry's object name: the uid of the pod being replaced names exactly one replacement, forever. */
export function journalEntryName(replacedUID: string): string {
  return `restore-hooks-replacement-${replacedUID}`;
}

function parseEntry(value: string | undefined): JournalEntry | undefined {
  if (value === undefined) return undefined;
  try {
    const e = JSON.parse(value) as JournalEntry;
    if (
      typeof e.namespace === 'string' &&
      typeof e.name === 'string' &&
      typeof e.replacedUID === 'string' &&
      e.replacedUID !== '' &&
      typeof e.replacement === 'object' &&
      e.replacement !== null
    )
      return e;
  } catch {
    // not an entry this controller wrote
  }
  return undefined;
}

/**
 * The replacement journal: one small ConfigMap per replacement in flight, in the controller's own namespace,
 * created before the pod is deleted and deleted once its copy exists. Every write costs the same whatever the
 * number of replacements in flight, and no two replacements touch the same object. (An earlier build kept every
 * entry as a key of one ConfigMap: during a backlog it grew to hundreds of KB, each write of it was cloned,
 * serialised and sent back in full, and it would reach etcd's object size limit at about a thousand entries.)
 * Entries that do not parse (edited by hand) are ignored.
 */
export class ReplacementJournalStore {
  readonly #client: KubeJsonClient;
  readonly #namespace: string;

  constructor(client: KubeJsonClient, namespace: string) {
    this.#client = client;
    this.#namespace = namespace;
  }

  /**
   * Every replacement in flight, after moving those of an earlier build's single ConfigMap into entries of their
   * own. A pod name has at most one: a pod is recorded only while it exists, so an older entry for the same name
   * belongs to a replacement whose copy was created and whose removal failed. Such entries are deleted here, so
   * that a stale one can never be driven in place of the newest.
   */
  async entries(): Promise<JournalEntry[]> {
    await this.#adoptLegacy();
    const list = await this.#client.request<{ items: ConfigMap[] }>({
      method: 'GET',
      path: this.#path(),
      query: { labelSelector: REPLACEMENT_JOURNAL_LABEL },
    });
    const newest = new Map<string, { entry: JournalEntry; at: number }>();
    const stale: JournalEntry[] = [];
    for (const cm of list.items) {
      const entry = parseEntry(cm.data?.[ENTRY_KEY]);
      if (!entry) continue;
      const key = `${entry.namespace}/${entry.name}`;
      const at = Date.parse(cm.metadata.creationTimestamp ?? '') || 0;
      const other = newest.get(key);
      if (other === undefined || at > other.at) {
        if (other) stale.push(other.entry);
        newest.set(key, { entry, at });
      } else if (at < other.at) stale.push(entry);
      // Recorded within the same second (creationTimestamp has no finer grain): nothing tells which is newer, so
      // neither is deleted; the first listed is driven.
    }
    for (const entry of stale) await this.remove(entry);
    return [...newest.values()].map((n) => n.entry);
  }

  /**
   * Records a replacement before its pod is deleted. Returns the entry as stored: when one for the same pod
   * already exists (a retried write that had succeeded), that one, so that only one replacement is ever driven.
   */
  async put(entry: JournalEntry): Promise<JournalEntry> {
    try {
      await this.#client.request({ method: 'POST', path: this.#path(), body: this.#configMap(entry) });
      return entry;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    const stored = await this.#client.request<ConfigMap>({
      method: 'GET',
      path: this.#path(journalEntryName(entry.replacedUID)),
    });
    const existing = parseEntry(stored.data?.[ENTRY_KEY]);
    if (!existing)
      throw new Error(
        `ConfigMap ${this.#namespace}/${stored.metadata.name} exists but holds no replacement journal entry`,
      );
    return existing;
  }

  /** Forgets a finished replacement; an entry already gone is no error. */
  async remove(entry: JournalEntry): Promise<void> {
    await this.#delete(journalEntryName(entry.replacedUID));
  }

  #configMap(entry: JournalEntry): ConfigMap {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: journalEntryName(entry.replacedUID),
        namespace: this.#namespace,
        labels: { [REPLACEMENT_JOURNAL_LABEL]: 'true' },
        annotations: { [REPLACES_ANNOTATION]: `${entry.namespace}/${entry.name}` },
      },
      data: { [ENTRY_KEY]: JSON.stringify(entry) },
    };
  }

  async #adoptLegacy(): Promise<void> {
    let legacy: ConfigMap;
    try {
      legacy = await this.#client.request<ConfigMap>({
        method: 'GET',
        path: this.#path(LEGACY_JOURNAL_NAME),
      });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const value of Object.values(legacy.data ?? {})) {
      const entry = parseEntry(value);
      if (entry) await this.put(entry);
    }
    await this.#delete(LEGACY_JOURNAL_NAME, legacy.metadata.resourceVersion);
  }

  async #delete(name: string, resourceVersion?: string): Promise<void> {
    try {
      await this.#client.request({
        method: 'DELETE',
        path: this.#path(name),
        ...(resourceVersion
          ? { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion } } }
          : {}),
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  #path(name?: string): string {
    return `/api/v1/namespaces/${this.#namespace}/configmaps${name ? `/${name}` : ''}`;
  }
}
