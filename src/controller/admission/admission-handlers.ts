import { formatProblem } from '../../hooks/problems.ts';
import type { HookMetrics } from '../../telemetry/metrics.ts';
import type { EventRecorder } from '../events.ts';
import { restoreReference } from '../events.ts';
import type { Logger } from '../machinery/logger.ts';
import { SeenOnce } from '../seen-once.ts';
import { decidePodAdmission, decideWorkloadAdmission } from './admission-decision.ts';
import type {
  AdmissionCaches,
  AdmissionDecision,
  AdmissionSettings,
  WebhookName,
} from './admission-decision.ts';
import type { AdmissionRequest } from './admission-review.ts';
import type { WebhookAnswer, WebhookHandler } from './webhook-server.ts';
import { PODS_WEBHOOK, WORKLOADS_WEBHOOK } from './webhook-configuration.ts';
import { restoreKey } from '../restore-key.ts';

export interface AdmissionHandlerDeps {
  /** The Restores and restored workloads, from the informer caches. */
  readonly caches: AdmissionCaches;
  readonly settings: AdmissionSettings;
  readonly metrics: HookMetrics;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly now: () => number;
  /**
   * How long a pod whose controller no cache holds yet waits for the caches before it is admitted without hooks:
   * its workload may have been created an instant before (the workload controllers react to the same event as our
   * informers). Default 2 s, well within the webhook's timeoutSeconds (5).
   */
  readonly ownerWaitMs?: number;
}

const OWNER_WAIT_MS = 2000;
const OWNER_POLL_MS = 25;

/**
 * The two webhooks' handlers: the pure decision (admission-decision.ts) on the cached Restores, then the log line,
 * restore_hooks_admission_total and, for hooks the engine rejects at pod admission, a Warning Event on the Restore
 * once per Restore and reason (the workload reconciler reports rejected hooks of unmarked workloads, as before).
 * A pod whose controller is not in the caches yet is decided again as they catch up, for at most `ownerWaitMs`.
 */
export function admissionHandlers(deps: AdmissionHandlerDeps): Record<string, WebhookHandler> {
  const reported = new SeenOnce();
  const handle =
    (webhook: WebhookName, decide: typeof decidePodAdmission): WebhookHandler =>
    async (request) => {
      let decision: AdmissionDecision;
      try {
        decision = decide(request, deps.caches, deps.settings, deps.now());
        const deadline = performance.now() + (deps.ownerWaitMs ?? OWNER_WAIT_MS);
        while (decision.ownerUncached && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, OWNER_POLL_MS));
          decision = decide(request, deps.caches, deps.settings, deps.now());
        }
      } catch (error) {
        deps.metrics.admitted(webhook, 'error');
        throw error;
      }
      deps.metrics.admitted(webhook, decision.result);
      report(webhook, request, decision);
      return answer(decision);
    };

  const report = (webhook: WebhookName, request: AdmissionRequest, decision: AdmissionDecision): void => {
    const fields = {
      webhook,
      uid: request.uid,
      kind: request.kind.kind,
      namespace: request.namespace,
      name: request.name || objectName(request),
      user: request.userInfo.username,
      result: decision.result,
      reason: decision.reason,
      ...(decision.restore ? { restore: restoreKey(decision.restore) } : {}),
      ...(decision.hooks ? { hooks: decision.hooks } : {}),
    };
    if (decision.result === 'bypass') {
      deps.logger.warn(
        decision.patch.length > 0
          ? 'admission: workload labelled as restored by an identity that is not trusted; its mark removed, annotated as not a member'
          : "admission: marked pod created by an identity that is not trusted, or for a workload that is not its restore's; admitted without hooks",
        fields,
      );
      return;
    }
    if (decision.result === 'error') {
      const problems = (decision.problems ?? []).filter((p) => p.severity === 'error').map(formatProblem);
      deps.logger.warn('admission: the hooks cannot be applied; admitted unchanged', { ...fields, problems });
      if (webhook === 'pods' && decision.restore && !request.dryRun) {
        const restore = decision.restore;
        if (reported.first(`${restore.metadata.uid ?? ''}/${decision.reason}`))
          void deps.events.record({
            regarding: restoreReference(restore.metadata),
            type: 'Warning',
            reason: decision.reason === 'HookConflict' ? 'HookConflict' : 'InvalidHook',
            action: 'Admit',
            note: `Pods of Restore ${restoreKey(restore)} in namespace ${request.namespace} are admitted without their init hooks: ${problems.join('; ') || decision.reason}.`,
          });
      }
      return;
    }
    if (decision.result === 'patched') deps.logger.info('admission: patched', fields);
    else deps.logger.debug('admission: admitted unchanged', fields);
  };

  return {
    [WORKLOADS_WEBHOOK.path]: handle('workloads', decideWorkloadAdmission),
    [PODS_WEBHOOK.path]: handle('pods', decidePodAdmission),
  };
}

function objectName(request: AdmissionRequest): string {
  const metadata = request.object.metadata as { name?: unknown; generateName?: unknown } | undefined;
  if (typeof metadata?.name === 'string') return metadata.name;
  return typeof metadata?.generateName === 'string' ? `${metadata.generateName}*` : '';
}

function answer(decision: AdmissionDecision): WebhookAnswer {
  return { patch: decision.patch };
}
