/**
 * The controller's webhooks in url mode, as a test serves them on either bed: an administrator pre-creates the
 * MutatingWebhookConfiguration pointing at https://127.0.0.1:<port> (as the manifests would), and the controller,
 * started with the matching webhook settings, binds that port and writes its self-managed CA into the caBundle.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SETTINGS } from '../../src/config/settings.ts';
import type { Settings } from '../../src/config/settings.ts';
import { webhookConfiguration } from '../../src/controller/admission/webhook-configuration.ts';
import { CONTROLLER_NAMESPACE, eventually } from './controller-env.ts';
import type { ControllerEnv } from './controller-env.ts';

export const MWC_PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/restore-hooks';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Creates the configuration (failurePolicy Ignore, empty caBundle) as the admin; returns the settings to serve it.
 * `front`: the controller binds a port of its own, and the url names the port an AdmissionFront
 * (admission-front.ts) will listen on.
 */
export async function installUrlWebhooks(
  env: ControllerEnv,
  options: { front?: boolean } = {},
): Promise<Settings['webhook']> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  let bindPort = port;
  while (options.front && bindPort === port) bindPort = await freePort();
  await env.client.request({
    method: 'POST',
    path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    body: webhookConfiguration({
      name: 'restore-hooks',
      namespace: CONTROLLER_NAMESPACE,
      clientConfig: { url },
      caBundle: '',
      failurePolicy: 'Ignore',
    }),
  });
  return {
    ...DEFAULT_SETTINGS.webhook,
    enabled: true,
    bindAddress: `127.0.0.1:${bindPort}`,
    url,
    certificates: { ...DEFAULT_SETTINGS.webhook.certificates, refreshInterval: 1_000 },
  };
}

/** Starts the controller serving `webhook`; resolves once its CA is in every caBundle and its server listens. */
export async function startServingWebhooks(
  env: ControllerEnv,
  webhook: Settings['webhook'],
  timeoutMs: number,
): Promise<void> {
  await env.startController({ webhook });
  await eventually(
    async () => {
      const mwc = await env.client.request<{ webhooks: { clientConfig: { caBundle?: string } }[] }>({
        method: 'GET',
        path: MWC_PATH,
      });
      return mwc.webhooks.every((w) => (w.clientConfig.caBundle ?? '') !== '') || undefined;
    },
    'the controller to write its CA into the caBundle',
    timeoutMs,
  );
  await eventually(
    async () => env.logs.some((l) => l.msg === 'webhook server listening') || undefined,
    'the webhook server to listen',
    timeoutMs,
  );
}

/**
 * The webhook settings of certificate tests: configuration `restore-hooks` reached at `url`, failure policy
 * Ignore, a self-managed CA whose certificates last 10 days and are checked every second.
 */
export function selfManagedWebhook(url: string) {
  return {
    configurationName: 'restore-hooks',
    url,
    failurePolicy: 'Ignore' as const,
    certificates: {
      mode: 'SelfManaged' as const,
      secretName: 'restore-hooks-webhook-cert',
      refreshInterval: 1000,
      validity: 10 * 86_400_000,
      hosts: [],
    },
  };
}
