import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Settings } from '../config/settings.ts';
import type { HealthChecks } from '../telemetry/health.ts';
import type { HookMetrics } from '../telemetry/metrics.ts';
import type { Pod, Workload } from '../kube/types.ts';
import { RESTORE_NAME_LABEL } from '../kube/velero-labels.ts';
import { CacheInterner } from './cache-interner.ts';
import { cachedPod, cachedWorkload } from './cache-transforms.ts';
import { Cluster } from './cluster.ts';
import { EventRecorder } from './events.ts';
import { PodReconciler } from './init-hooks/pod-reconciler.ts';
import { ReplacementJournalStore } from './init-hooks/replacement-journal-store.ts';
import {
  WorkloadReconciler,
  changedThroughItsDeployment,
  workloadKey,
} from './init-hooks/workload-reconciler.ts';
import { isRestoreMember } from './membership.ts';
import { KubeJsonClient } from './kube-json-client.ts';
import { dispatcherHttpLibrary } from './machinery/dispatcher-http-library.ts';
import { instrumentedHttpLibrary } from './machinery/transport.ts';
import { jsonLeaseClient } from './lease-client.ts';
import { Controller } from './machinery/controller.ts';
import { IdleHeapRelease } from './machinery/idle-heap-release.ts';
import { Informer } from './machinery/informer.ts';
import type { RecoveryEvent } from './machinery/informer.ts';
import { NAMESPACE_INDEX, labelIndex } from './machinery/indexer.ts';
import type { KubeObject } from './machinery/kube-object.ts';
import { stripManagedFields } from './machinery/kube-object.ts';
import { KubeListWatch } from './machinery/list-watch.ts';
import { LeaderElector } from './machinery/leader-election.ts';
import type { Logger } from './machinery/logger.ts';
import { OwnerChain } from './owner-chain.ts';
import { cachedControllingWorkload } from './pod-owner.ts';
import { RestoreDirectory } from './restore-directory.ts';
import type { RestoreObject } from './restore-directory.ts';
import { restoreKey } from './restore-key.ts';
import { WORKLOAD_KINDS } from './workload-kinds.ts';
import type { WorkloadKind } from './workload-kinds.ts';
import { RestoreReconciler, WorkloadOutcomes } from './restores/restore-reconciler.ts';
import { ExecHookReconciler } from './exec-hooks/exec-reconciler.ts';
import { createExec } from './exec-hooks/exec-runner.ts';
import { EXEC_HOOKS_ANNOTATION, RESTORE_LABEL } from './marks.ts';
import { LEDGER_OF_LABEL, LEDGER_RESTORE_ANNOTATION, OutcomeLedgerStore } from './restores/ledger-store.ts';
import { restoreActivity } from './restore-activity.ts';
import { mayHaveExecHooks, planHooks } from '../hooks/plan.ts';
import { WORKLOAD_RESOURCES } from './cluster.ts';
import { admissionHandlers } from './admission/admission-handlers.ts';
import { WebhookCertificates } from './admission/webhook-certificates.ts';
import { WebhookServer } from './admission/webhook-server.ts';

export interface ManagerOptions {
  readonly kubeConfig: KubeConfig;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly metrics: HookMetrics;
  readonly health: HealthChecks;
  /** Namespace of the controller itself: the Lease and the replacement journal live there. */
  readonly namespace: string;
  readonly now?: () => number;
}

const RESTORE_INDEX = 'restore';
const LEDGER_INDEX = 'ledger-of';
/** A status write per restore at most this often, however many workload changes arrive. */
const RESTORE_STATUS_COALESCE_MS = 1000;
const CLEANUP_POLL_MS = 10_000;

/**
 * Wires informers, the four controllers (restore, workload, pod, exec) and leader election together, like
 * controller-runtime's manager: caches start at once on every replica; reconcilers run only on the leader.
 * `run` resolves with the exit status once `signal` aborts (graceful stop) or the lease is lost.
 */
export class Manager {
  readonly #options: ManagerOptions;
  readonly #logger: Logger;

  constructor(options: ManagerOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  async run(signal: AbortSignal): Promise<number> {
    const { kubeConfig, settings, registry, metrics, health } = this.#options;
    const now = this.#options.now ?? Date.now;
    const http = instrumentedHttpLibrary(dispatcherHttpLibrary(), {
      qps: settings.api.qps,
      burst: settings.api.burst,
      registry,
    });
    const client = new KubeJsonClient(kubeConfig, http);
    const cluster = new Cluster(client);
    const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
    const events = new EventRecorder(client, { instance: identity, logger: this.#logger });

    /** The last error of each informer that has not completed its first list: what /readyz explains. */
    const listFailures = new Map<string, string>();
    const onRecovery = (resource: string) => (event: RecoveryEvent) => {
      if (event.type === 'restarted') {
        metrics.informerRestarted(resource);
        if (!allInformers.find((i) => i.name === event.informer)?.hasSynced()) {
          if (/^403\b/.test(event.error) && !listFailures.has(event.informer))
            this.#logger.error(
              'forbidden: the RBAC of this controller does not allow it to read what it needs',
              {
                informer: event.informer,
                error: event.error,
                namespace: this.#options.namespace,
                hint: "check --namespace (the controller's own namespace) and the RBAC in manifests/base/rbac.yaml",
              },
            );
          listFailures.set(event.informer, event.error);
        }
      }
      if (event.type === 'relisted')
        metrics.informerRelisted(resource, event.reason === 'expired' ? 'expired' : 'stalled');
    };
    const informer = <T extends KubeObject>(
      name: string,
      path: string,
      resource: string,
      extra: {
        labelSelector?: string;
        fieldSelector?: string;
        indexers?: Record<string, (o: T) => readonly string[]>;
        transform?: (o: T) => T;
      } = {},
    ) =>
      new Informer<T>({
        name,
        listWatch: new KubeListWatch<T>(kubeConfig, path, { httpLibrary: http }),
        transform: stripManagedFields,
        logger: this.#logger,
        onRecovery: onRecovery(resource),
        ...extra,
      });

    const restoreInformers = settings.veleroNamespaces.map((ns) =>
      informer<KubeObject>(`restores-${ns}`, `/apis/velero.io/v1/namespaces/${ns}/restores`, 'restores'),
    );
    const workloadInformers = new Map(
      WORKLOAD_KINDS.map((kind) => [
        kind,
        informer<KubeObject>(
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
    // Pods are cached with only the fields the controller reads (cache-transforms.ts): they are what memory grows with.
    // One interning table for the pod informers: a pod both Pending and hooked shares its pieces between them.
    const podInterner = new CacheInterner();
    const podCache = (o: KubeObject) => cachedPod(o, podInterner);
    const pendingPods = informer<KubeObject>('pending-pods', '/api/v1/pods', 'pods', {
      fieldSelector: 'status.phase=Pending',
      transform: podCache,
    });
    // Exec hooks: pods we hooked or claimed (any phase), and Velero's restored pods only when we run theirs too.
    const hookedPods = informer<KubeObject>('hooked-pods', '/api/v1/pods', 'pods', {
      labelSelector: RESTORE_LABEL,
      indexers: { [RESTORE_INDEX]: labelIndex(RESTORE_LABEL) },
      transform: podCache,
    });
    const veleroPods =
      settings.exec.veleroRestoredPods === 'Run'
        ? informer<KubeObject>('velero-restored-pods', '/api/v1/pods', 'pods', {
            labelSelector: RESTORE_NAME_LABEL,
            indexers: { [RESTORE_INDEX]: labelIndex(RESTORE_NAME_LABEL) },
            transform: podCache,
          })
        : undefined;
    // The hook-count ledgers' shards, in the controller's own namespace only.
    const ledgerInformer = informer<KubeObject>(
      'hook-count-ledgers',
      `/api/v1/namespaces/${this.#options.namespace}/configmaps`,
      'configmaps',
      { labelSelector: LEDGER_OF_LABEL, indexers: { [LEDGER_INDEX]: labelIndex(LEDGER_OF_LABEL) } },
    );
    const allInformers = [
      ...restoreInformers,
      ledgerInformer,
      ...workloadInformers.values(),
      pendingPods,
      hookedPods,
      ...(veleroPods ? [veleroPods] : []),
    ];

    const listRestores = (): RestoreObject[] =>
      restoreInformers.flatMap((i) => i.store.list() as unknown as RestoreObject[]);
    const directory = new RestoreDirectory(listRestores, settings.policy);
    const getWorkload = (kind: WorkloadKind, namespace: string, name: string): Workload | undefined =>
      workloadInformers.get(kind)?.store.get(`${namespace}/${name}`) as unknown as Workload | undefined;
    const initSettings = {
      hookWindowMs: settings.hookWindow,
      cleanupPolicy: settings.templateCleanup,
      policy: settings.policy,
      cleanupPollMs: CLEANUP_POLL_MS,
      admission: () => certificates?.configured ?? false,
    };
    const outcomes = new WorkloadOutcomes();

    const controllerOptions = {
      registry,
      logger: this.#logger,
      maxConcurrentReconciles: settings.concurrency.reconciles,
    };
    const restoreController: Controller = new Controller({
      name: 'restore',
      reconcile: (k, ctx) => restoreReconciler.reconcile(k, ctx),
      ...controllerOptions,
    });
    const owners = new OwnerChain({
      getWorkload,
      listWorkloads: (kind, namespace) =>
        (workloadInformers.get(kind)?.store.byIndex(NAMESPACE_INDEX, namespace) ??
          []) as unknown as Workload[],
      getReplicaSet: (namespace, name) => cluster.getReplicaSet(namespace, name),
    });
    const workloadReconciler = new WorkloadReconciler({
      getWorkload,
      onExecCandidates: (pods) => {
        for (const pod of pods) execReconciler.podSeenPending(pod);
      },
      pendingPodsIn: (namespace) =>
        pendingPods.store.byIndex(NAMESPACE_INDEX, namespace) as unknown as readonly Pod[],
      owners,
      restores: directory,
      cluster,
      events,
      settings: initSettings,
      now,
      metrics,
      // Only a changed outcome can change the restore's status. Every restore reconcile enqueues its workloads, so
      // requeueing the restore after each of their reconciles would run both forever, once a second.
      onOutcome: (outcome) => {
        if (outcomes.record(outcome))
          restoreController.queue.addAfter(outcome.restore, RESTORE_STATUS_COALESCE_MS);
      },
    });
    const workloadController = new Controller({
      name: 'workload',
      reconcile: (k, ctx) => workloadReconciler.reconcile(k, ctx),
      rank: (k) => workloadReconciler.rank(k),
      ...controllerOptions,
    });
    const podReconciler = new PodReconciler({
      getPendingPod: (namespace, name) =>
        pendingPods.store.get(`${namespace}/${name}`) as unknown as Pod | undefined,
      getWorkload,
      owners,
      enqueueWorkload: (key) => workloadController.enqueue(key),
      restores: directory,
      cluster,
      journal: new ReplacementJournalStore(client, this.#options.namespace),
      metrics,
      events,
      settings: initSettings,
      now,
      onSkippedPod: (restore, pod) => {
        outcomes.recordSkippedPod(restore, pod);
        restoreController.queue.addAfter(restore, RESTORE_STATUS_COALESCE_MS);
      },
    });
    const podController = new Controller({
      name: 'pod',
      reconcile: (k, ctx) => podReconciler.reconcile(k, ctx),
      rank: (k) => podReconciler.rank(k),
      ...controllerOptions,
    });
    const execController: Controller = new Controller({
      name: 'exec',
      reconcile: (k, ctx) => execReconciler.reconcile(k, ctx),
      ...controllerOptions,
    });
    const execReconciler = new ExecHookReconciler({
      getPod: (namespace, name) => {
        const key = `${namespace}/${name}`;
        return (hookedPods.store.get(key) ??
          veleroPods?.store.get(key) ??
          pendingPods.store.get(key)) as unknown as Pod | undefined;
      },
      getWorkload,
      owners,
      restores: directory,
      activeRestores: () =>
        listRestores().filter((r) => restoreActivity(r.status, now(), settings.hookWindow).active),
      cluster,
      client,
      events,
      exec: createExec(kubeConfig),
      enqueue: (key) => execController.enqueue(key),
      settings: {
        hookWindowMs: settings.hookWindow,
        policy: settings.policy,
        exec: settings.exec,
        concurrency: settings.concurrency.execHooks,
      },
      now,
      logger: this.#logger.child({ controller: 'exec' }),
      metrics,
      onOutcome: (restoreKey) => restoreController.queue.addAfter(restoreKey, RESTORE_STATUS_COALESCE_MS),
    });
    const restoreReconciler = new RestoreReconciler({
      getRestore: (namespace, name) =>
        restoreInformers[settings.veleroNamespaces.indexOf(namespace)]?.store.get(
          `${namespace}/${name}`,
        ) as unknown as RestoreObject | undefined,
      listRestores,
      restores: directory,
      memberWorkloads: (labelValue, restore) =>
        WORKLOAD_KINDS.flatMap((kind) =>
          (
            (workloadInformers.get(kind)?.store.byIndex(RESTORE_INDEX, labelValue) ??
              []) as unknown as Workload[]
          )
            .filter(
              (w) =>
                !changedThroughItsDeployment(kind, w) &&
                isRestoreMember(w.metadata, restore, directory.hooksOf(restore)),
            )
            .map((w) => workloadKey(kind, w.metadata.namespace ?? '', w.metadata.name ?? '')),
        ),
      enqueueWorkload: (key) => workloadController.enqueue(key),
      outcomes,
      client,
      events,
      hookWindowMs: settings.hookWindow,
      now,
      onActiveRestores: (count) => metrics.setRestoresActive(count),
      hookStatus: {
        memberPods: (labelValue, restore) => {
          const hooks = directory.hooksOf(restore);
          const pods = [
            ...hookedPods.store.byIndex(RESTORE_INDEX, labelValue),
            ...(veleroPods?.store.byIndex(RESTORE_INDEX, labelValue) ?? []).filter(
              (p) => p.metadata?.annotations?.[EXEC_HOOKS_ANNOTATION] !== undefined,
            ),
          ] as unknown as Pod[];
          // A pod with only our mark (anyone may copy it into a template, or put it on a pod) counts when the
          // restored workload that controls it is the Restore's.
          const ownedByMember = (p: Pod): boolean => {
            if (p.metadata.labels?.[RESTORE_NAME_LABEL] !== undefined) return true;
            const owner = cachedControllingWorkload(
              p.metadata as Record<string, unknown>,
              p.metadata.namespace ?? '',
              getWorkload,
            );
            return (
              'workload' in owner &&
              owner.workload.metadata.labels?.[RESTORE_NAME_LABEL] === labelValue &&
              isRestoreMember(owner.workload.metadata, restore, hooks)
            );
          };
          return [...new Map(pods.map((p) => [p.metadata.uid, p])).values()].filter(
            (p) => isRestoreMember(p.metadata, restore, hooks) && ownedByMember(p),
          );
        },
        execHookIds: (restore, pod) => {
          const hooks = directory.hooksOf(restore);
          const annotations = pod.metadata.annotations ?? {};
          if (!mayHaveExecHooks(hooks, annotations)) return [];
          const target = {
            namespace: pod.metadata.namespace ?? '',
            labels: pod.metadata.labels ?? {},
            annotations,
            podSpec: pod.spec,
          };
          return planHooks(hooks, target, { policy: settings.policy }).execHooks.map((h) => h.id);
        },
        ledgers: new OutcomeLedgerStore({
          client,
          namespace: this.#options.namespace,
          cached: (hash) => ledgerInformer.store.byIndex(LEDGER_INDEX, hash),
        }),
      },
      onRestoreDone: (name) => metrics.forgetRestore(name),
      minStatusIntervalMs: RESTORE_STATUS_COALESCE_MS,
    });

    const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    for (const i of restoreInformers) {
      i.addEventHandler({
        onAdd: (o) => restoreController.enqueue(restoreKey(o)),
        onUpdate: (_old, o) => restoreController.enqueue(restoreKey(o)),
        onDelete: (o) => restoreController.enqueue(restoreKey(o)),
      });
    }
    // A ledger whose Restore was deleted while no controller ran: reconciling the missing Restore deletes it.
    ledgerInformer.addEventHandler({
      onAdd: (o) => {
        const ledgerOf = o.metadata?.annotations?.[LEDGER_RESTORE_ANNOTATION];
        if (ledgerOf && !listRestores().some((r) => restoreKey(r) === ledgerOf))
          restoreController.enqueue(ledgerOf);
      },
    });
    for (const [kind, i] of workloadInformers) {
      const enqueue = (o: KubeObject) =>
        workloadController.enqueue(workloadKey(kind, o.metadata?.namespace ?? '', o.metadata?.name ?? ''));
      i.addEventHandler({ onAdd: enqueue, onUpdate: (_old, o) => enqueue(o) });
    }
    // Deletions matter too: a bare pod being replaced is recreated once its predecessor is gone.
    pendingPods.addEventHandler({
      onAdd: (o) => podController.enqueue(keyOf(o)),
      onUpdate: (_old, o) => podController.enqueue(keyOf(o)),
      onDelete: (o) => podController.enqueue(keyOf(o)),
    });
    // Pending pods of restored workloads may need claiming for their exec hooks.
    pendingPods.addEventHandler({
      onAdd: (o) => execReconciler.podSeenPending(o as unknown as Pod),
      onUpdate: (_old, o) => execReconciler.podSeenPending(o as unknown as Pod),
    });
    for (const i of [hookedPods, ...(veleroPods ? [veleroPods] : [])]) {
      i.addEventHandler({
        onAdd: (o) => execController.enqueue(keyOf(o)),
        onUpdate: (_old, o) => {
          execController.enqueue(keyOf(o));
          // Hook init containers finishing change the restore's counts.
          const value = o.metadata?.labels?.[RESTORE_LABEL] ?? o.metadata?.labels?.[RESTORE_NAME_LABEL];
          const lookup = value === undefined ? undefined : directory.byLabelValue(value);
          if (lookup?.found)
            restoreController.queue.addAfter(restoreKey(lookup.restore), RESTORE_STATUS_COALESCE_MS);
        },
        onDelete: (o) => execReconciler.podDeleted(o as unknown as Pod),
      });
    }

    const controllers = [restoreController, workloadController, podController, execController];
    const heapRelease = this.#idleHeapRelease(controllers);

    let informersSynced = false;
    health.add('readyz', 'informers-synced', () => {
      if (informersSynced) return;
      const failing = allInformers
        .filter((i) => !i.hasSynced() && listFailures.has(i.name))
        .map((i) => `${i.name}: ${listFailures.get(i.name)}`);
      throw new Error(
        `informers have not completed their first list${failing.length > 0 ? `; ${failing.join('; ')}` : ''}`,
      );
    });
    const leading = health.readinessGate('leader-election', 'leader election has not started');
    for (const i of allInformers) i.start();
    heapRelease?.start();

    // The admission webhooks: served by every replica, leader or not, from the caches started above.
    const webhookStop = new AbortController();
    const webhook = settings.webhook.enabled
      ? new WebhookServer({
          bindAddress: settings.webhook.bindAddress,
          logger: this.#logger.child({ component: 'webhook' }),
          registry,
          handlers: admissionHandlers({
            caches: {
              restoreOf: (labelValue) => directory.byLabelValue(labelValue),
              workloadOf: getWorkload,
            },
            settings: {
              veleroIdentities: settings.webhook.veleroIdentities,
              workloadControllerIdentities: settings.webhook.workloadControllerIdentities,
              policy: settings.policy,
              hookWindowMs: settings.hookWindow,
            },
            metrics,
            events,
            logger: this.#logger.child({ component: 'webhook' }),
            now,
          }),
        })
      : undefined;
    const certificateGate = webhook
      ? health.readinessGate('webhook-certificate', 'the webhook serving certificate is not loaded yet')
      : undefined;
    const certificates = webhook
      ? new WebhookCertificates({
          client,
          namespace: this.#options.namespace,
          settings: settings.webhook,
          load: (certificate) => webhook.loadCertificate(certificate),
          // Ready once the API server can trust it too (the caBundle is written when self-managed).
          onSynced: () => certificateGate?.ready(),
          logger: this.#logger.child({ component: 'webhook-certificates' }),
        })
      : undefined;

    let exitCode = 0;
    const stopped = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    const syncedAll = await Promise.all(allInformers.map((i) => i.waitForSync(signal)));
    if (syncedAll.every(Boolean)) {
      informersSynced = true;
      this.#logger.info('informers synced', { informers: allInformers.map((i) => i.name) });
    }
    // Decisions need the Restores cached: the webhook server listens once they are (and its certificate loaded).
    const certificatesDone = certificates?.run(webhookStop.signal) ?? Promise.resolve();

    const startControllers = async (): Promise<void> => {
      for (const key of await podReconciler.loadJournal()) podController.enqueue(key);
      for (const c of controllers) c.start();
      this.#logger.info('controllers started', { identity });
    };

    let elector: LeaderElector | undefined;
    let lost: Promise<void> = new Promise(() => {});
    if (settings.leaderElection.enabled && !signal.aborted) {
      // A transport of its own, as client-go gives leader election its own client: renewals never queue behind
      // the reconcilers' requests in the shared rate limiter.
      const leaseHttp = instrumentedHttpLibrary(dispatcherHttpLibrary(), {
        qps: settings.api.qps,
        burst: settings.api.burst,
      });
      let onLost: () => void = () => {};
      lost = new Promise((resolve) => (onLost = resolve));
      elector = new LeaderElector({
        client: jsonLeaseClient(new KubeJsonClient(kubeConfig, leaseHttp)),
        namespace: settings.leaderElection.leaseNamespace || this.#options.namespace,
        leaseName: settings.leaderElection.leaseName,
        identity,
        leaseDurationMs: settings.leaderElection.leaseDuration,
        renewDeadlineMs: settings.leaderElection.renewDeadline,
        retryPeriodMs: settings.leaderElection.retryPeriod,
        registry,
        logger: this.#logger,
        onStartedLeading: () => {
          leading.ready();
          void startControllers().catch((error: unknown) => {
            this.#logger.error('could not start controllers', { error: String(error) });
            onLost();
          });
        },
        onNewLeader: (holder) => {
          if (holder !== identity) leading.ready();
        },
        onStoppedLeading: () => {
          leading.notReady('lost the leader lease');
          if (!signal.aborted) {
            this.#logger.error('lost the leader lease; exiting so that a new process starts clean', {
              identity,
            });
            exitCode = 1;
          }
          onLost();
        },
      });
      void elector.run();
    } else if (!signal.aborted) {
      leading.ready();
      await startControllers();
    }

    await Promise.race([stopped, lost]);
    health.add('readyz', 'shutdown', () => {
      throw new Error('shutting down');
    });
    this.#logger.info('stopping: finishing in-flight reconciles');
    await Promise.all(controllers.map((c) => c.stop()));
    // Execs under way finish (each within its execTimeout) and their outcomes are recorded.
    await execReconciler.drain();
    await elector?.stop();
    webhookStop.abort();
    await certificatesDone;
    await webhook?.close();
    await Promise.all(allInformers.map((i) => i.stop()));
    heapRelease?.stop();
    this.#logger.info('stopped', { exitCode });
    return exitCode;
  }

  /**
   * Returns the memory of a burst once every work queue is idle again (IdleHeapRelease), when Node runs with
   * `--expose-gc` as the image does; without it (e.g. `node src/cli.ts` in development) V8 alone decides.
   */
  #idleHeapRelease(controllers: readonly Controller[]): IdleHeapRelease | undefined {
    const gc = globalThis.gc;
    if (gc === undefined) {
      this.#logger.debug('idle heap release off: node runs without --expose-gc');
      return undefined;
    }
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    return new IdleHeapRelease({
      isIdle: () => controllers.every((c) => c.queue.isIdle()),
      heapUsed: () => {
        // External memory too: the buffers of dead responses are only freed when the heap is collected.
        const heap = getHeapStatistics();
        return heap.used_heap_size + heap.external_memory;
      },
      // A last-resort collection also compacts the old generation and gives its free pages back to the OS.
      collect: () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }),
      onRelease: ({ usedBeforeBytes, usedAfterBytes, durationMs }) => {
        this.#options.metrics.heapReleased(usedBeforeBytes, usedAfterBytes);
        this.#logger.info('work queues idle: released the heap of the burst', {
          heapUsedBeforeMiB: mib(usedBeforeBytes),
          heapUsedAfterMiB: mib(usedAfterBytes),
          durationMs: Math.round(durationMs),
        });
      },
    });
  }
}
