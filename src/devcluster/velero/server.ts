/**
 * The simulated Velero server: when a Restore (velero.io/v1) is created, it restores the backup fixture named by
 * spec.backupName in Velero's order (plan.ts) and moves the Restore New → InProgress → Completed (PartiallyFailed
 * when items fail), with startTimestamp, completionTimestamp, progress, warnings and errors. Status is written
 * through the main resource, as Velero's CRD has no status subresource.
 */
import type { KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import type { Clock } from '../sim/clock.ts';
import { objectKey, splitKey } from '../sim/informer.ts';
import type { SharedInformers } from '../sim/informer.ts';
import { GVR, isConflictOrExists, isNotFound } from '../sim/meta.ts';
import { WorkQueue } from '../sim/queue.ts';
import { rfc3339 } from '../kubelet/status.ts';
import { loadBackupFixture } from './fixtures.ts';
import { injectVeleroInitContainers, veleroInitContainers } from './init-hooks.ts';
import { planRestore } from './plan.ts';
import type { RestoreSpecLike } from './plan.ts';

export interface VeleroServerOptions {
  /** Directory holding one sub-directory of manifests per backup name. */
  fixturesDir: string;
  /** Also inject init hooks into restored pods as Velero itself does (for coexistence tests). Default false. */
  emulateInitHooks?: boolean;
}

interface RestoreLike extends KubeObject {
  spec?: RestoreSpecLike & { hooks?: Parameters<typeof veleroInitContainers>[1] };
  status?: { phase?: string };
}

export class VeleroServer {
  private readonly queue: WorkQueue;
  private readonly running = new Set<string>();
  private stopped = false;
  private readonly api: AdmittedClient;
  private readonly informers: SharedInformers;
  private readonly clock: Clock;
  private readonly options: VeleroServerOptions;

  constructor(api: AdmittedClient, informers: SharedInformers, clock: Clock, options: VeleroServerOptions) {
    this.api = api;
    this.informers = informers;
    this.clock = clock;
    this.options = options;
    this.queue = new WorkQueue('velero', (key) => this.sync(key));
    const enqueue = (r: KubeObject) => {
      const phase = (r as RestoreLike).status?.phase;
      if (!phase || phase === 'New') this.queue.add(objectKey(r));
    };
    informers.for(GVR.restores).on({ add: enqueue, update: (_o, r) => enqueue(r) });
  }

  stop(): void {
    this.stopped = true;
    this.queue.stop();
  }

  /** Resolves when no restore is being processed (tests, demo). */
  get busy(): boolean {
    return this.running.size > 0;
  }

  private now(): string {
    return rfc3339(this.clock.now());
  }

  private async sync(key: string): Promise<void> {
    if (this.running.has(key)) return;
    const restore = this.informers.for(GVR.restores).byKey(key) as RestoreLike | undefined;
    if (!restore || restore.metadata.deletionTimestamp) return;
    const phase = restore.status?.phase;
    if (phase && phase !== 'New') return;
    const [namespace, name] = splitKey(key);
    const backupName = restore.spec?.backupName;
    if (!backupName) {
      await this.setStatus(namespace!, name, {
        phase: 'FailedValidation',
        validationErrors: ['spec.backupName: Required value'],
      });
      return;
    }
    this.running.add(key);
    if (!(await this.setStatus(namespace!, name, { phase: 'InProgress', startTimestamp: this.now() }))) {
      this.running.delete(key);
      return;
    }
    void this.restore(namespace!, name, restore).finally(() => this.running.delete(key));
  }

  private async restore(namespace: string, name: string, restore: RestoreLike): Promise<void> {
    let backup: KubeObject[];
    try {
      backup = await loadBackupFixture(this.options.fixturesDir, restore.spec!.backupName!);
    } catch (e) {
      await this.setStatus(namespace, name, {
        phase: 'Failed',
        failureReason: (e as Error).message,
        completionTimestamp: this.now(),
      });
      return;
    }
    if (this.stopped) return;
    const plan = planRestore(backup, name, restore.spec ?? {});
    let restored = 0;
    let warnings = 0;
    let errors = 0;
    for (const { type, object } of plan.objects) {
      if (this.stopped) return;
      const gvr = { group: type.group, version: type.version, resource: type.resource };
      const ns = type.namespaced ? object.metadata.namespace : undefined;
      try {
        if (ns) await this.ensureNamespace(ns);
        if (type.qualified === 'pods' && this.options.emulateInitHooks) {
          injectVeleroInitContainers(object, veleroInitContainers(object, restore.spec?.hooks));
        }
        await this.api.create(gvr, ns, object);
        restored++;
      } catch (e) {
        if (isConflictOrExists(e)) warnings++;
        else errors++;
      }
    }
    await this.setStatus(namespace, name, {
      phase: errors > 0 ? 'PartiallyFailed' : 'Completed',
      completionTimestamp: this.now(),
      progress: { itemsRestored: restored, totalItems: plan.objects.length },
      ...(warnings > 0 ? { warnings } : {}),
      ...(errors > 0 ? { errors } : {}),
    });
  }

  private async ensureNamespace(namespace: string): Promise<void> {
    try {
      this.api.get(GVR.namespaces, undefined, namespace);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await this.api.create(GVR.namespaces, undefined, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace },
        });
      } catch (err) {
        if (!isConflictOrExists(err)) throw err;
      }
    }
  }

  /** Merges into status through the main resource; false when the Restore is gone. */
  private async setStatus(
    namespace: string,
    name: string,
    status: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.api.patch(GVR.restores, namespace, name, 'application/merge-patch+json', { status });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }
}
