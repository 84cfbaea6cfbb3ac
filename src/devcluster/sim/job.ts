/**
 * The Job controller: runs pods until `completions` succeed (at most `parallelism` at once), or fails the Job
 * after more than `backoffLimit` failed pods; conditions and counts as kube-controller-manager 1.32 writes them.
 * Not simulated: indexed completion, pod failure policy, success policy, suspend, activeDeadlineSeconds, TTL.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import { rfc3339 } from '../kubelet/status.ts';
import type { Clock } from './clock.ts';
import type { SharedInformers } from './informer.ts';
import { GVR, isPodReady, slowStartBatch, stableJson, writeStatus } from './meta.ts';
import { QueuedController, owning } from './queued-controller.ts';
import type { PodTemplate } from './replicaset.ts';
import { createPodFor, deletePodOf, podFromTemplate, withoutZeros } from './replicaset.ts';
import type { ComponentEvents } from './events.ts';

interface JobSpec {
  completions?: number;
  parallelism?: number;
  backoffLimit?: number;
  template?: PodTemplate;
}
interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

const phaseOf = (pod: KubeObject) => (pod.status as { phase?: string } | undefined)?.phase;

export function jobFinished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  const conditions = (job.status as { conditions?: JobCondition[] } | undefined)?.conditions ?? [];
  return conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
    ?.type as 'Complete' | 'Failed' | undefined;
}

export class JobController extends QueuedController {
  private readonly clock: Clock;
  constructor(api: AdmittedClient, informers: SharedInformers, clock: Clock, events?: ComponentEvents) {
    super(api, informers, events, owning(GVR.jobs, GVR.pods, 'Job'));
    this.clock = clock;
  }

  protected async sync(key: string): Promise<void> {
    const job = this.informers.for(GVR.jobs).byKey(key);
    if (!job || job.metadata.deletionTimestamp || jobFinished(job)) return;
    const spec = (job.spec ?? {}) as JobSpec;
    const completions = spec.completions ?? 1;
    const parallelism = spec.parallelism ?? 1;
    const backoffLimit = spec.backoffLimit ?? 6;
    const pods = this.informers.for(GVR.pods).byIndex('controller', job.metadata.uid ?? '');
    const succeeded = pods.filter((p) => phaseOf(p) === 'Succeeded').length;
    const failed = pods.filter((p) => phaseOf(p) === 'Failed').length;
    const active = pods.filter(
      (p) => !p.metadata.deletionTimestamp && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed',
    );
    const now = rfc3339(this.clock.now());
    const previous = (job.status ?? {}) as { startTime?: string; conditions?: JobCondition[] };
    const condition = (type: string, reason: string, message: string): JobCondition => ({
      type,
      status: 'True',
      reason,
      message,
      lastProbeTime: now,
      lastTransitionTime: now,
    });
    let conditions = previous.conditions;
    let completionTime: string | undefined;
    let activeCount = active.length;
    if (succeeded >= completions) {
      conditions = [
        condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
        condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
      ];
      completionTime = now;
      if (!previous.conditions?.some((c) => c.type === 'Complete'))
        this.events.event(job, 'Normal', 'Completed', 'Job completed');
      for (const p of active) await this.deletePod(p);
      activeCount = 0;
    } else if (failed > backoffLimit) {
      conditions = [
        condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
        condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      ];
      if (!previous.conditions?.some((c) => c.type === 'Failed'))
        this.events.event(
          job,
          'Warning',
          'BackoffLimitExceeded',
          'Job has reached the specified backoff limit',
        );
      for (const p of active) await this.deletePod(p);
      activeCount = 0;
    } else {
      const want = Math.min(parallelism, completions - succeeded) - active.length;
      if (want > 0) {
        await slowStartBatch(want, () =>
          createPodFor(
            this.api,
            this.events,
            job,
            podFromTemplate(job, spec.template, `${job.metadata.name}-`),
          ),
        );
        activeCount += want;
      }
    }
    const status = {
      ...withoutZeros(
        {
          active: activeCount,
          succeeded,
          failed,
          ready: active.filter(isPodReady).length,
          terminating: pods.filter((p) => !!p.metadata.deletionTimestamp).length,
        },
        ['ready', 'terminating'],
      ),
      startTime: previous.startTime ?? now,
      ...(completionTime ? { completionTime } : {}),
      ...(conditions ? { conditions } : {}),
      uncountedTerminatedPods: {},
    };
    if (stableJson(status) === stableJson(job.status)) return;
    await writeStatus(this.api, GVR.jobs, job, status);
  }

  private async deletePod(pod: KubeObject): Promise<void> {
    await deletePodOf(this.api, this.events, pod, { propagationPolicy: 'Background' });
  }
}
