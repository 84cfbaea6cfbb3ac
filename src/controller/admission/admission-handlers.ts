import { formatProblem } from '../../hooks/problems.ts';
import type { HookMetrics } from '../../telemetry/metrics.ts';
import type { EventRecorder } from '../events.ts';
import { restoreReference } from '../events.ts';
import type { Logger } from '../machinery/logger.ts';
import type { RestoreLookup } from '../restore-directory.ts';
import { SeenOnce } from '../seen-once.ts';
import { decidePodAdmission, decideWorkloadAdmission } from './admission-decision.ts';
import type { AdmissionDecision, AdmissionSettings, WebhookName } from './admission-decision.ts';
import type { AdmissionRequest } from './admission-review.ts';
import type { WebhookAnswer, WebhookHandler } from './webhook-server.ts';
import { PODS_PATH, WORKLOADS_PATH } from './webhook-configuration.ts';

export interface AdmissionHandlerDeps {
  /** The Restore behind a label value, from the informer cache. */
  readonly restoreOf: (labelValue: string) => RestoreLookup;
  readonly settings: AdmissionSettings;
  readonly metrics: HookMetrics;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * The two webhooks' handlers: the pure decision (admission-decision.ts) on the cached Restores, then the log line,
 * restore_hooks_admission_total and, for hooks the engine rejects at pod admission, a Warning Event on the Restore
 * once per Restore and reason (the workload reconciler reports rejected hooks of unmarked workloads, as before).
 */
export function admissionHandlers(deps: AdmissionHandlerDeps): Record<string, WebhookHandler> {
  const reported = new SeenOnce();
  const handle =
    (webhook: WebhookName, decide: typeof decidePodAdmission): WebhookHandler =>
    (request) => {
      let decision: AdmissionDecision;
      try {
        decision = decide(request, deps.restoreOf, deps.settings, deps.now());
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
      ...(decision.restore
        ? { restore: `${decision.restore.metadata.namespace ?? ''}/${decision.restore.metadata.name ?? ''}` }
        : {}),
      ...(decision.hooks ? { hooks: decision.hooks } : {}),
    };
    if (decision.result === 'bypass') {
      deps.logger.warn(
        'admission: object of a restore created by an identity that is not trusted; admitted unchanged',
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
            note: `Pods of Restore ${restore.metadata.namespace ?? ''}/${restore.metadata.name ?? ''} in namespace ${request.namespace} are admitted without their init hooks: ${problems.join('; ') || decision.reason}.`,
          });
      }
      return;
    }
    if (decision.result === 'patched') deps.logger.info('admission: patched', fields);
    else deps.logger.debug('admission: admitted unchanged', fields);
  };

  return {
    [WORKLOADS_PATH]: handle('workloads', decideWorkloadAdmission),
    [PODS_PATH]: handle('pods', decidePodAdmission),
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
