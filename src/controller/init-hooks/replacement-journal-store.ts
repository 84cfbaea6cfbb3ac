import type { KubeJsonClient } from '../kube-json-client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../machinery/api-errors.ts';
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
 * as their replacement exists, so it stays small). Writes are read-modify-write with resourceVersion and retried
 * on conflict. Malformed entries (edited by hand) are ignored.
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

  put(entry: JournalEntry): Promise<void> {
    return this.#update((data) => {
      data[journalKey(entry.namespace, entry.name)] = JSON.stringify(entry);
    });
  }

  remove(namespace: string, name: string): Promise<void> {
    return this.#update((data) => {
      delete data[journalKey(namespace, name)];
    });
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

  #update(mutate: (data: Record<string, string>) => void): Promise<void> {
    // A conflict, or a create that lost a race with another create: read again and redo the change.
    const retriable = (error: unknown): boolean => isConflict(error) || isAlreadyExists(error);
    return retryOnError(DEFAULT_RETRY, retriable, async () => {
      const current = await this.#read();
      const data = { ...current?.data };
      mutate(data);
      if (!current) {
        await this.#client.request({
          method: 'POST',
          path: this.#path(),
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: this.#name, namespace: this.#namespace },
            data,
          },
        });
        return;
      }
      await this.#client.request({
        method: 'PUT',
        path: this.#path(this.#name),
        body: { ...current, data },
      });
    });
  }
}
