/**
 * The webhook's serving certificate, kept in one Secret in the controller's namespace and shared by every replica.
 * SelfManaged: the first replica to find the Secret missing creates a CA and a serving certificate (a concurrent
 * creator loses with AlreadyExists and loads the winner's), any replica renews them before they expire (an update
 * with a resourceVersion precondition: one wins), and every replica writes the CA bundle into the webhook
 * configuration's caBundle when it differs. External: cert-manager (or another tool) writes the Secret and the
 * caBundle; the controller only loads the Secret. Every replica re-reads the Secret periodically and loads a
 * changed certificate in place. None of this is on the admission path.
 */
import {
  certificateValidity,
  generateCa,
  pemBlocks,
  signServingCertificate,
  trustedBy,
} from '../../kube/certificates.ts';
import type { KubeJsonClient } from '../kube-json-client.ts';
import { describeApiError, isAlreadyExists, isConflict, isNotFound } from '../machinery/api-errors.ts';
import type { Logger } from '../machinery/logger.ts';
import type { LabelSelector } from './pod-selector.ts';
import {
  CA_CERT,
  CA_KEY,
  CA_LIFETIMES,
  TLS_CERT,
  TLS_KEY,
  caBundleInForce,
  certificateAction,
  holdsCertificate,
  servingHosts,
} from './webhook-certificate-rules.ts';
import type { CertificateData } from './webhook-certificate-rules.ts';
import { PODS_WEBHOOK, WEBHOOK_SERVICE_NAME, webhookConfiguration } from './webhook-configuration.ts';
import { WebhookConfigurationStore, webhookNamed } from './webhook-configuration-store.ts';
import type { WebhookConfigurationObject } from './webhook-configuration-store.ts';
import type { ServingCertificate } from './webhook-server.ts';

export interface WebhookCertificatesOptions {
  readonly client: KubeJsonClient;
  readonly namespace: string;
  readonly settings: {
    readonly configurationName: string;
    readonly url: string;
    readonly failurePolicy: 'Ignore' | 'Fail';
    readonly certificates: {
      readonly mode: 'SelfManaged' | 'External';
      readonly secretName: string;
      readonly refreshInterval: number;
      readonly validity: number;
      readonly hosts: readonly string[];
    };
  };
  readonly load: (certificate: ServingCertificate) => Promise<void>;
  /**
   * The pod webhook's objectSelector for a configuration this controller creates (url mode). On an existing one the
   * selector is the pod selector reconciler's (pod-selector-reconciler.ts) and is kept as stored.
   */
  readonly podSelector?: () => LabelSelector;
  /** After each round that loaded a certificate (and, when self-managed, wrote the caBundle). */
  readonly onSynced?: () => void;
  readonly logger: Logger;
  readonly now?: () => number;
}

interface SecretObject {
  metadata: { name?: string; namespace?: string; resourceVersion?: string };
  type?: string;
  data?: Record<string, string>;
}

const decode = (data: Record<string, string> | undefined): CertificateData =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  ) as CertificateData;
const encode = (data: CertificateData): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v as string).toString('base64')]));

export class WebhookCertificates {
  readonly #o: WebhookCertificatesOptions;
  readonly #now: () => number;
  readonly #configuration: WebhookConfigurationStore;
  #configured: boolean;
  readonly #firstRound = Promise.withResolvers<void>();

  constructor(options: WebhookCertificatesOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#configuration = new WebhookConfigurationStore(options.client, options.settings.configurationName);
    // Another tool owns the configuration in External mode: assume it is installed.
    this.#configured = options.settings.certificates.mode === 'External';
  }

  /** Whether the webhook configuration exists (as last seen): the API server calls the webhooks. */
  get configured(): boolean {
    return this.#configured;
  }

  get #secretPath(): string {
    return `/api/v1/namespaces/${this.#o.namespace}/secrets/${this.#o.settings.certificates.secretName}`;
  }

  /**
   * Resolves once `run`'s first sync has ended, succeeded or failed (or `run` stopped before one): from then on
   * `configured` says what that sync found.
   */
  get firstRound(): Promise<void> {
    return this.#firstRound.promise;
  }

  /** Keeps the certificate until `signal` aborts: a sync now, then one every refreshInterval. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.#syncRounds(signal);
    } finally {
      this.#firstRound.resolve();
    }
  }

  async #syncRounds(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.sync();
      } catch (error) {
        this.#o.logger.error('webhook certificates: sync failed; retrying', {
          error: describeApiError(error),
        });
      }
      this.#firstRound.resolve();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#o.settings.certificates.refreshInterval);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  /**
   * One round: read (create or renew when self-managed) the Secret, keep the caBundle, and load the serving
   * certificate. Self-managed, the caBundle is written before the certificate is loaded, and a certificate the
   * configuration's caBundle does not trust is not loaded (the one loaded before keeps serving): a replica never
   * serves a certificate the API server cannot verify, whichever replica rotated it.
   */
  async sync(): Promise<void> {
    const selfManaged = this.#o.settings.certificates.mode === 'SelfManaged';
    let secret = await this.#readSecret();
    if (!secret && !selfManaged) {
      this.#o.logger.warn('webhook certificates: waiting for the Secret (certificates.mode External)', {
        secret: this.#o.settings.certificates.secretName,
      });
      return;
    }
    let configuration: WebhookConfigurationObject | undefined;
    if (selfManaged) {
      configuration = await this.#configuration.read();
      secret = await this.#ensureCurrent(secret, caBundleInForce(configuration));
    }
    if (!secret) return;
    const data = decode(secret.data);
    if (selfManaged && data[CA_CERT])
      configuration = await this.#ensureCaBundle(data[CA_CERT], secret, configuration);
    const cert = data[TLS_CERT];
    const key = data[TLS_KEY];
    if (!cert || !key) {
      this.#o.logger.warn('webhook certificates: the Secret has no tls.crt / tls.key yet');
      return;
    }
    if (configuration && !trustedBy(cert, caBundleInForce(configuration))) {
      this.#o.logger.warn(
        "webhook certificates: the caBundle does not trust the Secret's serving certificate yet; keeping the one loaded",
      );
      return;
    }
    await this.#o.load({ cert, key });
    this.#o.onSynced?.();
  }

  async #readSecret(): Promise<SecretObject | undefined> {
    try {
      return await this.#o.client.request<SecretObject>({ method: 'GET', path: this.#secretPath });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The Secret, created or renewed when it needs to be; on a lost race, the winner's. */
  async #ensureCurrent(
    secret: SecretObject | undefined,
    caBundle: string,
  ): Promise<SecretObject | undefined> {
    const { certificates, url } = this.#o.settings;
    const now = this.#now();
    const current = decode(secret?.data);
    const action = secret ? certificateAction(current, now, certificates.validity, caBundle) : 'create';
    if (action === 'keep') return secret;
    const hosts = servingHosts(this.#o.namespace, url, certificates.hosts);
    const serverName = `${WEBHOOK_SERVICE_NAME}.${this.#o.namespace}.svc`;
    let data: CertificateData;
    if (action === 'renew-ca') {
      const fresh = await generateCa({
        name: 'restore-hooks-webhook-ca',
        validityMs: certificates.validity * CA_LIFETIMES,
        now,
      });
      // The serving certificate stays until the caBundle trusts the new CA (certificateAction); the old CAs stay
      // in the bundle until they expire, for whatever they signed.
      const stillValid = pemBlocks(current[CA_CERT] ?? '').filter(
        (pem) => (certificateValidity(pem)?.notAfter ?? 0) > now,
      );
      data = { ...current, [CA_CERT]: [fresh.caCert, ...stillValid].join(''), [CA_KEY]: fresh.caKey };
    } else {
      const ca =
        action === 'create'
          ? await generateCa({
              name: 'restore-hooks-webhook-ca',
              validityMs: certificates.validity * CA_LIFETIMES,
              now,
            })
          : { caCert: current[CA_CERT] ?? '', caKey: current[CA_KEY] ?? '' };
      const serving = await signServingCertificate(
        { caCert: pemBlocks(ca.caCert)[0] ?? ca.caCert, caKey: ca.caKey },
        { hosts, validityMs: certificates.validity, serverName, now },
      );
      data = { [TLS_CERT]: serving.cert, [TLS_KEY]: serving.key, [CA_CERT]: ca.caCert, [CA_KEY]: ca.caKey };
    }
    try {
      if (!secret) {
        const created = await this.#o.client.request<SecretObject>({
          method: 'POST',
          path: `/api/v1/namespaces/${this.#o.namespace}/secrets`,
          body: {
            apiVersion: 'v1',
            kind: 'Secret',
            type: 'kubernetes.io/tls',
            metadata: {
              name: certificates.secretName,
              namespace: this.#o.namespace,
              labels: { 'app.kubernetes.io/name': 'restore-hooks' },
            },
            data: encode(data),
          },
        });
        this.#o.logger.info('webhook certificates: created a CA and a serving certificate', { hosts });
        return created;
      }
      const updated = await this.#o.client.request<SecretObject>({
        method: 'PUT',
        path: this.#secretPath,
        body: { ...secret, data: encode(data) },
      });
      this.#o.logger.info(
        action === 'renew-ca'
          ? 'webhook certificates: added a new CA; the serving certificate follows once the caBundle trusts it'
          : 'webhook certificates: renewed the serving certificate',
        { action, hosts },
      );
      return updated;
    } catch (error) {
      // Another replica created or renewed it first: use theirs.
      if (isAlreadyExists(error) || isConflict(error)) return this.#readSecret();
      throw error;
    }
  }

  /**
   * Writes the Secret's CA bundle into the webhook configuration (or, with url, the whole configuration but the pod
   * webhook's objectSelector) when it differs; returns the configuration as it then stands (undefined when it does
   * not exist). A bundle that holds a CA the Secret as read does not is only replaced once a fresh read shows the
   * Secret unchanged: a replica with a stale read must not take a new CA out of the bundle.
   */
  async #ensureCaBundle(
    bundle: string,
    secret: SecretObject,
    current: WebhookConfigurationObject | undefined,
  ): Promise<WebhookConfigurationObject | undefined> {
    const { configurationName, url, failurePolicy } = this.#o.settings;
    const encoded = Buffer.from(bundle).toString('base64');
    const outdated = async (stored: WebhookConfigurationObject): Promise<boolean> => {
      const inForce = caBundleInForce(stored);
      if (pemBlocks(inForce).every((pem) => holdsCertificate(bundle, pem))) return false;
      const fresh = await this.#readSecret();
      if (fresh?.metadata.resourceVersion === secret.metadata.resourceVersion) return false;
      this.#o.logger.info(
        'webhook certificates: the Secret changed during the round; the caBundle waits for the next',
      );
      return true;
    };
    const desired = (podSelector: LabelSelector | undefined) =>
      webhookConfiguration({
        name: configurationName,
        namespace: this.#o.namespace,
        clientConfig: { url },
        caBundle: bundle,
        failurePolicy,
        ...(podSelector ? { podSelector } : {}),
      }) as unknown as WebhookConfigurationObject;
    if (url !== '' && !current) {
      try {
        const created = await this.#configuration.create(desired(this.#o.podSelector?.()));
        this.#o.logger.info('webhook configuration created', { name: configurationName, url });
        this.#configured = true;
        return created;
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
    }
    const result = await this.#configuration.update(async (stored) => {
      if (url !== '') {
        // The pod webhook's objectSelector is the pod selector reconciler's: kept as stored.
        const want = desired(
          webhookNamed(stored, PODS_WEBHOOK.name)?.objectSelector as LabelSelector | undefined,
        );
        if (sameWebhooks(stored.webhooks, want.webhooks) || (await outdated(stored))) return undefined;
        return { ...want, metadata: { ...want.metadata, ...stored.metadata } };
      }
      const webhooks = stored.webhooks ?? [];
      if (webhooks.every((w) => w.clientConfig?.caBundle === encoded) || (await outdated(stored)))
        return undefined;
      return {
        ...stored,
        webhooks: webhooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle: encoded } })),
      };
    }, current);
    this.#configured = result !== undefined;
    if (!result) {
      if (url === '')
        this.#o.logger.warn('webhook configuration not found; install manifests/base/webhook.yaml', {
          name: configurationName,
        });
      return undefined;
    }
    if (result.written)
      this.#o.logger.info(
        url !== '' ? 'webhook configuration updated' : 'webhook configuration: wrote the CA bundle',
        { name: configurationName, ...(url !== '' ? { url } : {}) },
      );
    return result.configuration;
  }
}

/** Whether the webhooks as stored (with the API server's defaults) carry everything we would write. */
function sameWebhooks(stored: unknown, desired: unknown): boolean {
  return contains(stored, desired);
}

function contains(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted))
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => contains(actual[i], w))
    );
  if (typeof wanted === 'object' && wanted !== null) {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.entries(wanted).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
  }
  return actual === wanted;
}
