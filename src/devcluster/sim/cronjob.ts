/**
 * The CronJob controller: creates Job <name>-<minutes since the epoch> at each scheduled time (UTC, on the
 * simulation clock), honouring suspend and concurrencyPolicy (Allow, Forbid, Replace), tracks active Jobs and
 * lastScheduleTime/lastSuccessfulTime, and prunes finished Jobs beyond the history limits. Missed schedules are not
 * back-filled: only the latest missed time runs, as with startingDeadlineSeconds unset and few misses.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import { rfc3339 } from '../kubelet/status.ts';
import type { Clock } from './clock.ts';
import { parseCron } from './cron.ts';
import { objectKey } from './informer.ts';
import type { SharedInformers } from './informer.ts';
import { jobFinished } from './job.ts';
import {
  GVR,
  byControllerUID,
  controllerOf,
  controllerRef,
  isConflictOrExists,
  isNotFound,
  stableJson,
  writeStatus,
} from './meta.ts';
import { WorkQueue } from './queue.ts';

interface CronJobSpec {
  schedule?: string;
  suspend?: boolean;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate?: { metadata?: KubeObject['metadata']; spec?: unknown };
}

export class CronJobController {
  private readonly queue: WorkQueue;
  private readonly timers = new Map<string, () => void>();
  private readonly api: AdmittedClient;
  private readonly informers: SharedInformers;
  private readonly clock: Clock;

  constructor(api: AdmittedClient, informers: SharedInformers, clock: Clock) {
    this.api = api;
    this.informers = informers;
    this.clock = clock;
    this.queue = new WorkQueue('cronjob', (key) => this.sync(key));
    informers
      .for(GVR.cronjobs)
      .on({ add: (c) => this.queue.add(objectKey(c)), update: (_o, c) => this.queue.add(objectKey(c)) });
    const jobs = informers.for(GVR.jobs);
    jobs.addIndex('controller', byControllerUID);
    const jobChanged = (job: KubeObject) => {
      const ref = controllerOf(job);
      if (ref?.kind === 'CronJob') this.queue.add(`${job.metadata.namespace}/${ref.name}`);
    };
    jobs.on({ add: jobChanged, update: (_o, j) => jobChanged(j), delete: jobChanged });
  }

  stop(): void {
    this.queue.stop();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  private async sync(key: string): Promise<void> {
    this.timers.get(key)?.();
    this.timers.delete(key);
    const cj = this.informers.for(GVR.cronjobs).byKey(key);
    if (!cj || cj.metadata.deletionTimestamp) return;
    const spec = (cj.spec ?? {}) as CronJobSpec;
    const namespace = cj.metadata.namespace!;
    let schedule;
    try {
      schedule = parseCron(spec.schedule ?? '');
    } catch {
      return;
    }
    const jobs = this.informers.for(GVR.jobs).byIndex('controller', cj.metadata.uid ?? '');
    const status = (cj.status ?? {}) as { lastScheduleTime?: string; lastSuccessfulTime?: string };
    const now = this.clock.now();
    const since = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? rfc3339(now));
    let due: number | undefined;
    for (let t = schedule.next(since); t !== undefined && t <= now; t = schedule.next(t)) due = t;
    let active = jobs.filter((j) => !jobFinished(j) && !j.metadata.deletionTimestamp);
    let lastScheduleTime = status.lastScheduleTime;
    if (due !== undefined && !spec.suspend) {
      const policy = spec.concurrencyPolicy ?? 'Allow';
      if (policy === 'Replace') {
        for (const j of active) await this.delete(j);
        active = [];
      }
      if (policy !== 'Forbid' || active.length === 0) {
        const created = await this.createJob(cj, spec, due);
        if (created) active.push(created);
        lastScheduleTime = rfc3339(due);
      }
    }
    const finished = jobs.filter((j) => jobFinished(j));
    const prune = async (kind: 'Complete' | 'Failed', limit: number) => {
      const list = finished
        .filter((j) => jobFinished(j) === kind)
        .sort(
          (a, b) =>
            Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''),
        );
      for (const j of list.slice(0, Math.max(0, list.length - limit))) await this.delete(j);
    };
    await prune('Complete', spec.successfulJobsHistoryLimit ?? 3);
    await prune('Failed', spec.failedJobsHistoryLimit ?? 1);
    const lastSuccess = finished
      .filter((j) => jobFinished(j) === 'Complete')
      .map((j) => (j.status as { completionTime?: string }).completionTime ?? '')
      .sort()
      .at(-1);
    const next = {
      ...(active.length
        ? {
            active: active.map((j) => ({
              kind: 'Job',
              namespace,
              name: j.metadata.name,
              uid: j.metadata.uid,
              apiVersion: 'batch/v1',
              resourceVersion: j.metadata.resourceVersion,
            })),
          }
        : {}),
      ...(lastScheduleTime ? { lastScheduleTime } : {}),
      ...(lastSuccess || status.lastSuccessfulTime
        ? { lastSuccessfulTime: lastSuccess ?? status.lastSuccessfulTime }
        : {}),
    };
    if (stableJson(next) !== stableJson(cj.status ?? {})) {
      await writeStatus(this.api, GVR.cronjobs, cj, next);
    }
    const upcoming = schedule.next(Math.max(now, due ?? now));
    if (upcoming !== undefined)
      this.timers.set(
        key,
        this.clock.setTimer(upcoming, () => this.queue.add(key)),
      );
  }

  private async createJob(
    cj: KubeObject,
    spec: CronJobSpec,
    scheduled: number,
  ): Promise<KubeObject | undefined> {
    const template = spec.jobTemplate ?? {};
    try {
      return await this.api.create(GVR.jobs, cj.metadata.namespace, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`,
          namespace: cj.metadata.namespace,
          labels: { ...template.metadata?.labels },
          annotations: {
            ...template.metadata?.annotations,
            'batch.kubernetes.io/cronjob-scheduled-timestamp': rfc3339(scheduled),
          },
          ownerReferences: [controllerRef(cj)],
        },
        spec: structuredClone(template.spec ?? {}),
      });
    } catch (e) {
      if (isConflictOrExists(e)) return undefined;
      throw e;
    }
  }

  private async delete(job: KubeObject): Promise<void> {
    try {
      await this.api.delete(GVR.jobs, job.metadata.namespace, job.metadata.name!, {
        propagationPolicy: 'Background',
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
