import type { KubeJsonClient } from '../kube-json-client.ts';
import { isAlreadyExists, isNotFound } from '../machinery/api-errors.ts';
import { DEFAULT_RETRY, retryOnError } from '../machinery/retry.ts';
import type { JournalEntry } from './replacement-journal.ts';
import { journalKey } from './replacement-journal.ts';

interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/**
 * The replacement journal, kept in one ConfigMap in the controller's own namespace (entries are removed as soon
 * as their replacement exists, so it stays small). Each entry is its own key, written and removed with a JSON merge
 * patch of that key alone: concurrent reconciles never conflict and no write needs a read first (a
 * read-modify-write of the whole map serialised every replacement behind one resourceVersion). Malformed entries
 * (edited by hand) are ignored.
 */
export class ReplacementJournalStore {
  readonly #client: KubeJsonClient;
  readonly #namespace: string;
  readonly #name: string;

  constructor(client: KubeJsonClient, namespace: string, name = 'restore-hooks-replacements') {
    this.#client = client;
    this.#namespace = namespace;
    this.#name = name;
  }

  async entries(): Promise<JournalEntry[]> {
    const cm = await this.#read();
    const entries: JournalEntry[] = [];
    for (const value of Object.values(cm?.data ?? {})) {
      try {
        const e = JSON.parse(value) as JournalEntry;
        if (
          typeof e.namespace === 'string' &&
          typeof e.name === 'string' &&
          typeof e.replacedUID === 'string' &&
          e.replacement
        )
          entries.push(e);
      } catch {
        // ignored: not an entry this controller wrote
      }
    }
    return entries;
  }

  async put(entry: JournalEntry): Promise<void> {
    const key = journalKey(entry.namespace, entry.name);
    const value = JSON.stringify(entry);
    // The first entry creates the ConfigMap; a create that lost the race to another one patches instead.
    const retriable = (error: unknown): boolean => isAlreadyExists(error) || isNotFound(error);
    await retryOnError(DEFAULT_RETRY, retriable, async () => {
      if (await this.#patch({ [key]: value })) return;
      await this.#client.request({
        method: 'POST',
        path: this.#path(),
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: this.#name, namespace: this.#namespace },
          data: { [key]: value },
        },
      });
    });
  }

  async remove(namespace: string, name: string): Promise<void> {
    await this.#patch({ [journalKey(namespace, name)]: null });
  }

  #path(name?: string): string {
    return `/api/v1/namespaces/${this.#namespace}/configmaps${name ? `/${name}` : ''}`;
  }

  async #read(): Promise<ConfigMap | undefined> {
    try {
      return await this.#client.request<ConfigMap>({ method: 'GET', path: this.#path(this.#name) });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Merge-patches keys of the ConfigMap's data (null removes one); false when the ConfigMap does not exist. */
  async #patch(data: Record<string, string | null>): Promise<boolean> {
    try {
      await this.#client.request({
        method: 'PATCH',
        path: this.#path(this.#name),
        contentType: 'application/merge-patch+json',
        body: { data },
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}
