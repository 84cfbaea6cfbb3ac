/**
 * The one write path of restore-hooks' MutatingWebhookConfiguration, shared by its two writers: the certificates'
 * caBundle (every replica; with url, the whole configuration) and the pod webhook's objectSelector (the leader,
 * pod-selector-reconciler.ts). Each write is an update of the object as just read, resourceVersion included, that
 * changes only its writer's fields; a conflict (the other writer, or kubectl / Helm, wrote in between) re-reads and
 * recomputes the change from the new object. So neither writer ever puts back a value the other replaced. RBAC:
 * get and update on this one object (by resourceName).
 */
import type { KubeJsonClient } from '../kube-json-client.ts';
import { isConflict, isNotFound } from '../machinery/api-errors.ts';

export interface StoredWebhook extends Record<string, unknown> {
  name?: string;
  clientConfig?: { caBundle?: string } & Record<string, unknown>;
  objectSelector?: unknown;
}

export interface WebhookConfigurationObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; resourceVersion?: string } & Record<string, unknown>;
  webhooks?: StoredWebhook[];
}

export const MUTATING_WEBHOOK_CONFIGURATIONS =
  '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

/** Conflicts in a row before an update gives up (the caller's retry or backoff takes over). */
const CONFLICT_ATTEMPTS = 5;

export type ConfigurationChange = (
  current: WebhookConfigurationObject,
) => Promise<WebhookConfigurationObject | undefined> | WebhookConfigurationObject | undefined;

export class WebhookConfigurationStore {
  readonly #client: KubeJsonClient;
  readonly name: string;

  constructor(client: KubeJsonClient, name: string) {
    this.#client = client;
    this.name = name;
  }

  get #path(): string {
    return `${MUTATING_WEBHOOK_CONFIGURATIONS}/${this.name}`;
  }

  /** The configuration as stored now; undefined when it does not exist. */
  async read(): Promise<WebhookConfigurationObject | undefined> {
    try {
      return await this.#client.request<WebhookConfigurationObject>({ method: 'GET', path: this.#path });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async create(body: WebhookConfigurationObject): Promise<WebhookConfigurationObject> {
    return this.#client.request<WebhookConfigurationObject>({
      method: 'POST',
      path: MUTATING_WEBHOOK_CONFIGURATIONS,
      body,
    });
  }

  /**
   * Applies `change` to the configuration (`current` when the caller has just read it, else a fresh read) and
   * writes the result under the resourceVersion it was computed from; `change` returns undefined when nothing
   * needs writing. Returns the configuration as it then stands, whether it was written, or undefined when it does
   * not exist.
   */
  async update(
    change: ConfigurationChange,
    current?: WebhookConfigurationObject,
  ): Promise<{ configuration: WebhookConfigurationObject; written: boolean } | undefined> {
    let stored = current ?? (await this.read());
    for (let attempt = 1; ; attempt++) {
      if (!stored) return undefined;
      const desired = await change(stored);
      if (!desired) return { configuration: stored, written: false };
      try {
        const written = await this.#client.request<WebhookConfigurationObject>({
          method: 'PUT',
          path: this.#path,
          body: {
            ...desired,
            metadata: { ...desired.metadata, resourceVersion: stored.metadata.resourceVersion },
          },
        });
        return { configuration: written, written: true };
      } catch (error) {
        if (!isConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
      stored = await this.read();
    }
  }
}

/** The webhook of that name in a configuration. */
export function webhookNamed(
  configuration: WebhookConfigurationObject | undefined,
  name: string,
): StoredWebhook | undefined {
  return (configuration?.webhooks ?? []).find((w) => w.name === name);
}
