/**
 * The garbage collector, through ownerReferences: a dependent whose owners are all gone is deleted (Background);
 * an owner deleted with propagationPolicy Orphan has its dependents released (the `orphan` finalizer), one deleted
 * with Foreground waits for its blocking dependents (the `foregroundDeletion` finalizer). It covers the built-in
 * kinds the simulation uses; owners of other kinds are assumed to exist.
 */
import type { GroupVersionResource, KubeObject } from '../api/types.ts';
import type { AdmittedClient } from '../admission/client.ts';
import { objectKey } from './informer.ts';
import type { Informer, SharedInformers } from './informer.ts';
import { GVR, isNotFound, mergePatch } from './meta.ts';
import { release } from './ownership.ts';
import { WorkQueue } from './queue.ts';

const gvr = (group: string, version: string, resource: string): GroupVersionResource => ({
  group,
  version,
  resource,
});
/** Kind → resource for the kinds the collector tracks (owners and dependents). */
const TRACKED: Record<string, GroupVersionResource> = {
  Pod: GVR.pods,
  ReplicaSet: GVR.replicasets,
  Deployment: GVR.deployments,
  StatefulSet: GVR.statefulsets,
  DaemonSet: GVR.daemonsets,
  ControllerRevision: GVR.controllerrevisions,
  Job: GVR.jobs,
  CronJob: GVR.cronjobs,
  ConfigMap: gvr('', 'v1', 'configmaps'),
  Secret: gvr('', 'v1', 'secrets'),
  PersistentVolumeClaim: gvr('', 'v1', 'persistentvolumeclaims'),
  Service: gvr('', 'v1', 'services'),
};

interface Entry {
  kind: string;
  object: KubeObject;
}

export class GarbageCollector {
  private readonly queue: WorkQueue;
  private readonly byUID = new Map<string, Entry>();
  private readonly dependents = new Map<string, Set<string>>();
  private readonly informers = new Map<string, Informer>();
  private readonly api: AdmittedClient;

  constructor(api: AdmittedClient, shared: SharedInformers) {
    this.api = api;
    this.queue = new WorkQueue('garbage-collector', (uid) => this.sync(uid));
    for (const [kind, resource] of Object.entries(TRACKED)) {
      const informer = shared.for(resource);
      this.informers.set(kind, informer);
      informer.on({
        add: (o) => this.observe(kind, undefined, o),
        update: (old, o) => this.observe(kind, old, o),
        delete: (o) => this.forget(kind, o),
      });
    }
  }

  stop(): void {
    this.queue.stop();
  }

  private depKey(kind: string, o: KubeObject): string {
    return `${kind}|${objectKey(o)}`;
  }

  private observe(kind: string, old: KubeObject | undefined, o: KubeObject): void {
    const uid = o.metadata.uid ?? '';
    this.byUID.set(uid, { kind, object: o });
    const key = this.depKey(kind, o);
    for (const ref of old?.metadata.ownerReferences ?? []) this.dependents.get(ref.uid)?.delete(key);
    for (const ref of o.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(key);
      if (!this.byUID.has(ref.uid) && TRACKED[ref.kind]) this.queue.add(ref.uid);
    }
    const finalizers = o.metadata.finalizers ?? [];
    if (
      o.metadata.deletionTimestamp &&
      (finalizers.includes('orphan') || finalizers.includes('foregroundDeletion'))
    ) {
      this.queue.add(uid);
    }
  }

  private forget(kind: string, o: KubeObject): void {
    const uid = o.metadata.uid ?? '';
    this.byUID.delete(uid);
    const key = this.depKey(kind, o);
    for (const ref of o.metadata.ownerReferences ?? []) {
      this.dependents.get(ref.uid)?.delete(key);
      // An owner waiting in the foreground for its dependents may now be done.
      if (this.byUID.has(ref.uid)) this.queue.add(ref.uid);
    }
    if (this.dependents.get(uid)?.size) this.queue.add(uid);
  }

  private dependentsOf(uid: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const key of this.dependents.get(uid) ?? []) {
      const bar = key.indexOf('|');
      const o = this.informers.get(key.slice(0, bar))?.byKey(key.slice(bar + 1));
      if (o) out.push(o);
    }
    return out;
  }

  /** Whether the owner with this uid exists, asking the API when the cache has not seen it. */
  private ownerExists(
    uid: string,
    ref: { kind: string; name: string },
    namespace: string | undefined,
  ): boolean {
    if (this.byUID.has(uid)) return true;
    const resource = TRACKED[ref.kind];
    if (!resource) return true;
    try {
      const ns = ref.kind === 'Node' ? undefined : namespace;
      return this.api.get(resource, ns, ref.name).metadata.uid === uid;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  private async sync(uid: string): Promise<void> {
    const owner = this.byUID.get(uid);
    if (owner) return await this.syncOwner(owner);
    for (const dep of this.dependentsOf(uid)) {
      const ref = dep.metadata.ownerReferences?.find((r) => r.uid === uid);
      if (!ref || this.ownerExists(uid, ref, dep.metadata.namespace)) continue;
      const remaining = (dep.metadata.ownerReferences ?? []).filter(
        (r) => r.uid !== uid && this.ownerExists(r.uid, r, dep.metadata.namespace),
      );
      const kind = this.byUID.get(dep.metadata.uid ?? '')?.kind ?? '';
      const resource = TRACKED[kind];
      if (!resource) continue;
      try {
        if (remaining.length === 0) {
          if (!dep.metadata.deletionTimestamp) {
            await this.api.delete(resource, dep.metadata.namespace, dep.metadata.name!, {
              propagationPolicy: 'Background',
            });
          }
        } else {
          await mergePatch(this.api, resource, dep, { metadata: { ownerReferences: remaining } });
        }
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  private async syncOwner(owner: Entry): Promise<void> {
    const o = owner.object;
    const finalizers = o.metadata.finalizers ?? [];
    if (!o.metadata.deletionTimestamp) return;
    const uid = o.metadata.uid ?? '';
    const dependents = this.dependentsOf(uid);
    const resourceOf = (d: KubeObject) => TRACKED[this.byUID.get(d.metadata.uid ?? '')?.kind ?? ''];
    if (finalizers.includes('orphan')) {
      for (const d of dependents) {
        const resource = resourceOf(d);
        if (resource) await release(this.api, resource, d, uid, { ifUnchanged: false });
      }
      return await this.removeFinalizer(owner, 'orphan');
    }
    if (finalizers.includes('foregroundDeletion')) {
      let blocking = 0;
      for (const d of dependents) {
        const ref = d.metadata.ownerReferences?.find((r) => r.uid === uid);
        if (ref?.blockOwnerDeletion) blocking++;
        const resource = resourceOf(d);
        if (!resource || d.metadata.deletionTimestamp) continue;
        try {
          await this.api.delete(resource, d.metadata.namespace, d.metadata.name!, {
            propagationPolicy: 'Foreground',
          });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      if (blocking === 0) await this.removeFinalizer(owner, 'foregroundDeletion');
    }
  }

  private async removeFinalizer(owner: Entry, finalizer: string): Promise<void> {
    const resource = TRACKED[owner.kind]!;
    const o = owner.object;
    try {
      const current = this.api.get(resource, o.metadata.namespace, o.metadata.name!);
      await this.api.patch(resource, o.metadata.namespace, o.metadata.name!, 'application/merge-patch+json', {
        metadata: {
          finalizers: (current.metadata.finalizers ?? []).filter((f) => f !== finalizer),
          resourceVersion: current.metadata.resourceVersion,
        },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
