import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { desiredPodSelector, sameSelector } from '../../../src/controller/admission/pod-selector.ts';
import type { LabelSelector, SelectorRestore } from '../../../src/controller/admission/pod-selector.ts';
import {
  POD_SELECTOR_KEY,
  PodSelectorReconciler,
} from '../../../src/controller/admission/pod-selector-reconciler.ts';
import { WebhookCertificates } from '../../../src/controller/admission/webhook-certificates.ts';
import {
  PODS_WEBHOOK,
  webhookConfiguration,
} from '../../../src/controller/admission/webhook-configuration.ts';
import { WebhookConfigurationStore } from '../../../src/controller/admission/webhook-configuration-store.ts';
import type { WebhookConfigurationObject } from '../../../src/controller/admission/webhook-configuration-store.ts';
import type { JsonRequest } from '../../../src/controller/kube-json-client.ts';
import { KubeJsonClient } from '../../../src/controller/kube-json-client.ts';
import { apiErrorCode } from '../../../src/controller/machinery/api-errors.ts';
import { silentLogger } from '../../../src/controller/machinery/logger.ts';
import { startDevCluster } from '../../../src/devcluster/index.ts';
import type { DevCluster } from '../../../src/devcluster/index.ts';
import { selfManagedWebhook } from '../../helpers/webhook-serving.ts';

const NAMESPACE = 'restore-hooks';
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/restore-hooks';
const ctx = { reconcileID: 'test', logger: silentLogger, signal: new AbortController().signal };

/** A client that runs `before` ahead of its first PUT of the configuration, and counts the conflicts it gets. */
class InterposedClient extends KubeJsonClient {
  before: (() => Promise<void>) | undefined;
  conflicts = 0;
  override async request<T>(req: JsonRequest): Promise<T> {
    if (req.method === 'PUT' && req.path === MWC && this.before) {
      const before = this.before;
      this.before = undefined;
      await before();
    }
    try {
      return await super.request<T>(req);
    } catch (error) {
      if (apiErrorCode(error) === 409) this.conflicts++;
      throw error;
    }
  }
}

/**
 * The two writers of the webhook configuration over a devcluster (real HTTP, resourceVersion preconditions): the
 * certificates' caBundle and the leader's pod selector. Whichever writes in between the other's read and update, both
 * values end up stored: the loser's update conflicts, re-reads and writes only its own field again.
 */
describe('webhook configuration: the caBundle and the pod selector writers never undo each other (devcluster)', function () {
  this.timeout(120_000);
  let cluster: DevCluster;
  let kubeConfig: KubeConfig;
  let admin: KubeJsonClient;
  const restores: SelectorRestore[] = [{ metadata: { name: 'r1' }, status: { phase: 'InProgress' } }];

  const client = () => new InterposedClient(kubeConfig, new IsomorphicFetchHttpLibrary());
  const certificates = (via: KubeJsonClient, url: string, podSelector?: () => LabelSelector) =>
    new WebhookCertificates({
      client: via,
      namespace: NAMESPACE,
      settings: selfManagedWebhook(url),
      load: async () => {},
      ...(podSelector ? { podSelector } : {}),
      logger: silentLogger,
    });
  const selector = (via: KubeJsonClient) =>
    new PodSelectorReconciler({
      settings: {
        hookWindow: 3_600_000,
        webhook: { podSelector: 'ActiveRestores', configurationName: 'restore-hooks' },
      },
      client: via,
      listRestores: () => restores,
      now: Date.now,
      logger: silentLogger,
    });
  const stored = () => admin.request<WebhookConfigurationObject>({ method: 'GET', path: MWC });
  const podSelectorOf = (c: WebhookConfigurationObject) =>
    c.webhooks?.find((w) => w.name === PODS_WEBHOOK.name)?.objectSelector;
  const bundlesSet = (c: WebhookConfigurationObject) =>
    (c.webhooks ?? []).every((w) => (w.clientConfig?.caBundle ?? '') !== '');
  const install = () =>
    admin.request({
      method: 'POST',
      path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
      body: webhookConfiguration({
        name: 'restore-hooks',
        namespace: NAMESPACE,
        clientConfig: { service: true },
        caBundle: '',
        failurePolicy: 'Ignore',
      }),
    });

  beforeEach(async () => {
    cluster = await startDevCluster({ crdDirectory: false });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig());
    admin = new KubeJsonClient(kubeConfig, new IsomorphicFetchHttpLibrary());
    await admin.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    });
  });
  afterEach(() => cluster.stop());

  it('the selector written between the caBundle writer’s read and update: both stored', async () => {
    await install();
    const certClient = client();
    const selectorWriter = selector(client());
    certClient.before = async () => {
      await selectorWriter.reconcile(POD_SELECTOR_KEY, ctx);
    };
    await certificates(certClient, '').sync();
    expect(certClient.conflicts, 'the caBundle update conflicted once').to.equal(1);
    const c = await stored();
    expect(bundlesSet(c), 'caBundle').to.equal(true);
    expect(sameSelector(podSelectorOf(c), desiredPodSelector('ActiveRestores', ['r1'])), 'selector').to.equal(
      true,
    );
  });

  it('the caBundle written between the selector writer’s read and update: both stored', async () => {
    await install();
    const selectorClient = client();
    selectorClient.before = () => certificates(client(), '').sync();
    await selector(selectorClient).reconcile(POD_SELECTOR_KEY, ctx);
    expect(selectorClient.conflicts, 'the selector update conflicted once').to.equal(1);
    const c = await stored();
    expect(bundlesSet(c), 'caBundle').to.equal(true);
    expect(sameSelector(podSelectorOf(c), desiredPodSelector('ActiveRestores', ['r1'])), 'selector').to.equal(
      true,
    );
  });

  it('url mode: the certificates create the configuration with the pod selector asked for, then keep the stored one', async () => {
    const want = desiredPodSelector('ActiveRestores', ['r1']);
    const certs = certificates(client(), 'https://127.0.0.1:9443', () => want);
    await certs.sync();
    expect(sameSelector(podSelectorOf(await stored()), want), 'created with it').to.equal(true);
    restores.push({ metadata: { name: 'r2' }, status: { phase: 'New' } });
    try {
      await selector(client()).reconcile(POD_SELECTOR_KEY, ctx);
      const narrowed = desiredPodSelector('ActiveRestores', ['r1', 'r2']);
      expect(sameSelector(podSelectorOf(await stored()), narrowed)).to.equal(true);
      // A later round of the certificates (url mode rewrites everything it owns) leaves the selector alone.
      await certificates(client(), 'https://127.0.0.1:9443', () => want).sync();
      expect(sameSelector(podSelectorOf(await stored()), narrowed), 'kept as stored').to.equal(true);
    } finally {
      restores.pop();
    }
  });

  it('an update that keeps conflicting gives up after 5 attempts with the conflict (the work queue backs off)', async () => {
    await install();
    const store = new WebhookConfigurationStore(admin, 'restore-hooks');
    let attempts = 0;
    const error = await store
      .update(async (current) => {
        attempts++;
        // Someone else writes after every read of ours.
        await admin.request({
          method: 'PUT',
          path: MWC,
          body: { ...current, metadata: { ...current.metadata, labels: { round: String(attempts) } } },
        });
        return { ...current, metadata: { ...current.metadata, annotations: { mine: 'yes' } } };
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(apiErrorCode(error)).to.equal(409);
    expect(attempts).to.equal(5);
  });

  it('no configuration: nothing to write, no error', async () => {
    const result = await new WebhookConfigurationStore(admin, 'restore-hooks').update(() => {
      throw new Error('not called without a configuration');
    });
    expect(result).to.equal(undefined);
    await selector(client()).reconcile(POD_SELECTOR_KEY, ctx);
  });
});
