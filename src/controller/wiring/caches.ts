import type { HttpLibrary, KubeConfig } from '@kubernetes/client-node';
import type { Settings } from '../../config/settings.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../kube/velero-labels.ts';
import type { HookMetrics } from '../../telemetry/metrics.ts';
import { CacheInterner } from '../cache-interner.ts';
import { cachedPod, cachedWorkload } from '../cache-transforms.ts';
import { WORKLOAD_RESOURCES } from '../restored-objects-api.ts';
import { NAMESPACE_INDEX, labelIndex } from '../machinery/indexer.ts';
import type { IndexFunc } from '../machinery/indexer.ts';
import { Informer } from '../machinery/informer.ts';
import type { RecoveryEvent } from '../machinery/informer.ts';
import type { KubeObject, ObjectWithMeta } from '../machinery/kube-object.ts';
import { stripManagedFields } from '../machinery/kube-object.ts';
import { KubeListWatch } from '../machinery/list-watch.ts';
import type { Logger } from '../machinery/logger.ts';
import { RESTORE_LABEL } from '../marks.ts';
import type { RestoreObject } from '../restore-directory.ts';
import { LEDGER_OF_LABEL } from '../restores/ledger-store.ts';
import { WORKLOAD_KINDS } from '../workload-kinds.ts';
import type { WorkloadKind } from '../workload-kinds.ts';

const RESTORE_INDEX = 'restore';
const LEDGER_INDEX = 'ledger-of';

/** What the lifecycle does with every informer, whatever it holds. */
export type ManagedInformer = Pick<
  Informer<ObjectWithMeta>,
  'name' | 'start' | 'stop' | 'hasSynced' | 'waitForSync'
>;

export interface CachesOptions {
  readonly kubeConfig: KubeConfig;
  readonly http: HttpLibrary;
  readonly settings: Settings;
  /** The controller's own namespace: the hook-count ledgers live there. */
  readonly namespace: string;
  readonly logger: Logger;
  readonly metrics: HookMetrics;
}

/**
 * The controller's informers, typed by what they hold, and the reads the reconcilers and webhooks make of them:
 * the Restores of the Velero namespaces; restored workloads (`velero.io/restore-name`) by kind; pending pods; the
 * pods restore-hooks hooked or claimed (its mark), and Velero's restored pods when their exec hooks are ours too; the
 * hook-count ledgers' shards. Pods keep only the fields the controller reads (cache-transforms.ts), with one
 * interning table for all the pod caches, so that a pod both Pending and hooked shares its pieces between them.
 */
export class ControllerCaches {
  readonly restores: readonly Informer<RestoreObject>[];
  readonly workloads: ReadonlyMap<WorkloadKind, Informer<Workload>>;
  readonly pendingPods: Informer<Pod>;
  readonly hookedPods: Informer<Pod>;
  /** Pods Velero restored (`velero.io/restore-name`): what the Restore's InitHooksApplied counts them from. */
  readonly restoredPods: Informer<Pod>;
  /** The same informer, when the exec hooks of Velero's restored pods are restore-hooks' to run. */
  readonly veleroPods: Informer<Pod> | undefined;
  readonly ledgers: Informer<KubeObject>;
  /** Restored Jobs (`velero.io/restore-name`): their pods are reported in the Restore's InitHooksApplied. */
  readonly restoredJobs: Informer<Workload>;
  readonly all: readonly ManagedInformer[];
  readonly #options: CachesOptions;
  readonly #veleroNamespaces: readonly string[];
  /** The last error of each informer that has not completed its first list: what /readyz explains. */
  readonly #listFailures = new Map<string, string>();
  #synced = false;

  constructor(options: CachesOptions) {
    this.#options = options;
    const { settings, namespace } = options;
    this.#veleroNamespaces = settings.veleroNamespaces;
    this.restores = settings.veleroNamespaces.map((ns) =>
      this.#informer<RestoreObject>(
        `restores-${ns}`,
        `/apis/velero.io/v1/namespaces/${ns}/restores`,
        'restores',
      ),
    );
    this.workloads = new Map(
      WORKLOAD_KINDS.map((kind) => [
        kind,
        this.#informer<Workload>(
          kind.toLowerCase(),
          `/apis/apps/v1/${WORKLOAD_RESOURCES[kind]}`,
          WORKLOAD_RESOURCES[kind],
          {
            labelSelector: RESTORE_NAME_LABEL,
            indexers: { [RESTORE_INDEX]: labelIndex(RESTORE_NAME_LABEL) },
            transform: cachedWorkload,
          },
        ),
      ]),
    );
    const interner = new CacheInterner();
    const transform = (pod: Pod): Pod => cachedPod(pod, interner);
    this.pendingPods = this.#informer<Pod>('pending-pods', '/api/v1/pods', 'pods', {
      fieldSelector: 'status.phase=Pending',
      transform,
    });
    this.hookedPods = this.#informer<Pod>('hooked-pods', '/api/v1/pods', 'pods', {
      labelSelector: RESTORE_LABEL,
      indexers: { [RESTORE_INDEX]: labelIndex(RESTORE_LABEL) },
      transform,
    });
    this.restoredPods = this.#informer<Pod>('velero-restored-pods', '/api/v1/pods', 'pods', {
      labelSelector: RESTORE_NAME_LABEL,
      indexers: { [RESTORE_INDEX]: labelIndex(RESTORE_NAME_LABEL) },
      transform,
    });
    this.veleroPods = settings.exec.veleroRestoredPods === 'Run' ? this.restoredPods : undefined;
    this.ledgers = this.#informer<KubeObject>(
      'hook-count-ledgers',
      `/api/v1/namespaces/${namespace}/configmaps`,
      'configmaps',
      { labelSelector: LEDGER_OF_LABEL, indexers: { [LEDGER_INDEX]: labelIndex(LEDGER_OF_LABEL) } },
    );
    this.restoredJobs = this.#informer<Workload>('restored-jobs', '/apis/batch/v1/jobs', 'jobs', {
      labelSelector: RESTORE_NAME_LABEL,
      indexers: { [RESTORE_INDEX]: labelIndex(RESTORE_NAME_LABEL) },
      transform: cachedWorkload,
    });
    this.all = [
      ...this.restores,
      this.ledgers,
      this.restoredJobs,
      ...this.workloads.values(),
      this.pendingPods,
      this.hookedPods,
      this.restoredPods,
    ];
  }

  /** The pod caches the exec hooks watch: hooked pods, and Velero's restored pods when their hooks are ours. */
  watchedPods(): Informer<Pod>[] {
    return [this.hookedPods, ...(this.veleroPods ? [this.veleroPods] : [])];
  }

  readonly listRestores = (): RestoreObject[] => this.restores.flatMap((i) => i.store.list());

  readonly getRestore = (namespace: string, name: string): RestoreObject | undefined =>
    this.restores[this.#veleroNamespaces.indexOf(namespace)]?.store.get(`${namespace}/${name}`);

  readonly getWorkload = (kind: WorkloadKind, namespace: string, name: string): Workload | undefined =>
    this.workloads.get(kind)?.store.get(`${namespace}/${name}`);

  readonly workloadsIn = (kind: WorkloadKind, namespace: string): Workload[] =>
    this.workloads.get(kind)?.store.byIndex(NAMESPACE_INDEX, namespace) ?? [];

  /** The restored workloads of a kind carrying a `velero.io/restore-name` label value. */
  readonly workloadsLabelled = (kind: WorkloadKind, labelValue: string): Workload[] =>
    this.workloads.get(kind)?.store.byIndex(RESTORE_INDEX, labelValue) ?? [];

  readonly getPendingPod = (namespace: string, name: string): Pod | undefined =>
    this.pendingPods.store.get(`${namespace}/${name}`);

  readonly pendingPodsIn = (namespace: string): Pod[] =>
    this.pendingPods.store.byIndex(NAMESPACE_INDEX, namespace);

  /** A pod as the exec hooks see it: hooked, else restored by Velero (when watched), else pending. */
  readonly getExecPod = (namespace: string, name: string): Pod | undefined => {
    const key = `${namespace}/${name}`;
    return (
      this.hookedPods.store.get(key) ?? this.veleroPods?.store.get(key) ?? this.pendingPods.store.get(key)
    );
  };

  /** Pods carrying a restore label value: with restore-hooks' mark, and with Velero's label (when watched). */
  readonly podsLabelled = (labelValue: string): { hooked: Pod[]; velero: Pod[] } => ({
    hooked: this.hookedPods.store.byIndex(RESTORE_INDEX, labelValue),
    velero: this.veleroPods?.store.byIndex(RESTORE_INDEX, labelValue) ?? [],
  });

  /** Pods carrying a restore label value: with restore-hooks' mark, or restored by Velero; once each. */
  readonly restorePods = (labelValue: string): Pod[] => {
    const hooked = this.hookedPods.store.byIndex(RESTORE_INDEX, labelValue);
    const restored = this.restoredPods.store.byIndex(RESTORE_INDEX, labelValue);
    if (restored.length === 0) return hooked;
    const seen = new Set(hooked.map((p) => p.metadata.uid));
    return [...hooked, ...restored.filter((p) => !seen.has(p.metadata.uid))];
  };

  readonly pendingPodList = (): Pod[] => this.pendingPods.store.list();

  /** The restored Jobs carrying a `velero.io/restore-name` label value. */
  readonly jobsLabelled = (labelValue: string): Workload[] =>
    this.restoredJobs.store.byIndex(RESTORE_INDEX, labelValue);

  readonly getJob = (namespace: string, name: string): Workload | undefined =>
    this.restoredJobs.store.get(`${namespace}/${name}`);

  /** The cached shards of the ledger whose `LEDGER_OF_LABEL` is `hash`. */
  readonly ledgerShards = (hash: string): KubeObject[] => this.ledgers.store.byIndex(LEDGER_INDEX, hash);

  start(): void {
    for (const i of this.all) i.start();
  }

  /** Resolves true once every informer has completed its first list (logged), false if `signal` aborts first. */
  async waitForSync(signal: AbortSignal): Promise<boolean> {
    const synced = await Promise.all(this.all.map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return false;
    this.#synced = true;
    this.#options.logger.info('informers synced', { informers: this.all.map((i) => i.name) });
    return true;
  }

  /** The readiness check: throws, naming the informers whose first list fails and why, until all have synced. */
  readonly checkSynced = (): void => {
    if (this.#synced) return;
    const failing = this.all
      .filter((i) => !i.hasSynced() && this.#listFailures.has(i.name))
      .map((i) => `${i.name}: ${this.#listFailures.get(i.name)}`);
    throw new Error(
      `informers have not completed their first list${failing.length > 0 ? `; ${failing.join('; ')}` : ''}`,
    );
  };

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  #informer<T extends ObjectWithMeta>(
    name: string,
    path: string,
    resource: string,
    extra: {
      labelSelector?: string;
      fieldSelector?: string;
      indexers?: Record<string, IndexFunc<T>>;
      transform?: (o: T) => T;
    } = {},
  ): Informer<T> {
    const { kubeConfig, http, logger } = this.#options;
    return new Informer<T>({
      name,
      listWatch: new KubeListWatch<T>(kubeConfig, path, { httpLibrary: http }),
      transform: stripManagedFields,
      logger,
      onRecovery: (event) => this.#onRecovery(resource, event),
      ...extra,
    });
  }

  #onRecovery(resource: string, event: RecoveryEvent): void {
    const { metrics, logger, namespace } = this.#options;
    if (event.type === 'relisted')
      metrics.informerRelisted(resource, event.reason === 'expired' ? 'expired' : 'stalled');
    if (event.type !== 'restarted') return;
    metrics.informerRestarted(resource);
    if (this.all.find((i) => i.name === event.informer)?.hasSynced()) return;
    if (/^403\b/.test(event.error) && !this.#listFailures.has(event.informer))
      logger.error('forbidden: the RBAC of this controller does not allow it to read what it needs', {
        informer: event.informer,
        error: event.error,
        namespace,
        hint: "check --namespace (the controller's own namespace) and the RBAC in manifests/base/rbac.yaml",
      });
    this.#listFailures.set(event.informer, event.error);
  }
}
