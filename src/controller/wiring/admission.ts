import type { HealthChecks } from '../../telemetry/health.ts';
import { admissionHandlers } from '../admission/admission-handlers.ts';
import { WebhookCertificates } from '../admission/webhook-certificates.ts';
import { WebhookServer } from '../admission/webhook-server.ts';
import type { LabelSelector } from '../admission/pod-selector.ts';
import type { WiringContext } from './context.ts';
import type { ReplicaComponent } from './lifecycle.ts';

/** The admission webhooks of one replica: what the init-hook reconcilers ask of them, and their lifecycle. */
export interface Admission extends ReplicaComponent {
  /** The webhooks serve and their configuration is written (a workload that needs the template path missed them). */
  configured(): boolean;
  /** Admission requests received so far (the idle heap release waits for a pause in them). */
  requestsReceived(): number;
}

/**
 * The admission webhooks (workloads.restore-hooks.dev, pods.restore-hooks.dev): served by every replica, leader or
 * not, from the caches, over a certificate the replica keeps loaded (and, self-managed, in the webhook
 * configuration's caBundle). Undefined when `webhook.enabled` is false. The server listens once the certificate is
 * loaded, which `run` does once the caches have synced: decisions need the Restores cached.
 */
export function buildAdmission(
  ctx: WiringContext,
  health: HealthChecks,
  podSelector: () => LabelSelector,
): Admission | undefined {
  const { settings, logger } = ctx;
  if (!settings.webhook.enabled) return undefined;
  const webhookLogger = logger.child({ component: 'webhook' });
  const server = new WebhookServer({
    bindAddress: settings.webhook.bindAddress,
    logger: webhookLogger,
    registry: ctx.registry,
    handlers: admissionHandlers({
      caches: {
        restoreOf: (labelValue) => ctx.restores.byLabelValue(labelValue),
        workloadOf: ctx.caches.getWorkload,
      },
      settings: {
        veleroIdentities: settings.webhook.veleroIdentities,
        workloadControllerIdentities: settings.webhook.workloadControllerIdentities,
        policy: settings.policy,
        hookWindowMs: settings.hookWindow,
      },
      metrics: ctx.metrics,
      events: ctx.events,
      logger: webhookLogger,
      now: ctx.now,
    }),
  });
  const certificateGate = health.readinessGate(
    'webhook-certificate',
    'the webhook serving certificate is not loaded yet',
  );
  const certificates = new WebhookCertificates({
    client: ctx.client,
    namespace: ctx.namespace,
    settings: settings.webhook,
    load: (certificate) => server.loadCertificate(certificate),
    // Only when it creates the configuration: the pod-selector controller keeps the selector afterwards.
    podSelector,
    // Ready once the API server can trust it too (the caBundle is written when self-managed).
    onSynced: () => certificateGate.ready(),
    logger: logger.child({ component: 'webhook-certificates' }),
  });
  return {
    configured: () => certificates.configured,
    requestsReceived: () => server.requestsReceived,
    firstRound: () => certificates.firstRound,
    run: async (signal) => {
      try {
        await certificates.run(signal);
      } finally {
        await server.close();
      }
    },
  };
}
