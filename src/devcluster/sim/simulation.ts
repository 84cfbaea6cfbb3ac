/**
 * The simulated cluster behaviour on top of the ClusterAPI: nodes, scheduler, kubelet and the workload
 * controllers, each switchable. Every component is event-driven (shared informers feeding work queues). The
 * controllers, the scheduler and Velero write through the admission chain as their own users (identities.ts),
 * audited in `audit` when given; the kubelets, node registration and the event recorder write to the Cluster
 * directly (Events skip admission: no webhook here matches them, and the recorder batches and drops its writes).
 */
import type { AdmissionChain } from '../admission/chain.ts';
import { InProcessClient } from '../admission/client.ts';
import type { UserInfo } from '../api/types.ts';
import type { WriteLog } from '../audit/write-log.ts';
import { IDENTITIES } from './identities.ts';
import type { Clock } from './clock.ts';
import { RealClock } from './clock.ts';
import { SharedInformers } from './informer.ts';
import { JobController } from './job.ts';
import { Kubelet } from './kubelet.ts';
import { registerNodes } from './nodes.ts';
import type { NodeSpec } from './nodes.ts';
import { CronJobController } from './cronjob.ts';
import { DaemonSetController } from './daemonset.ts';
import { DeploymentController } from './deployment.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { ReplicaSetController } from './replicaset.ts';
import { Scheduler } from './scheduler.ts';
import { StatefulSetController } from './statefulset.ts';
import { VeleroServer } from '../velero/server.ts';
import { EventRecorder } from './events.ts';
import type { VeleroServerOptions } from '../velero/server.ts';

export interface SimulationComponents {
  scheduler?: boolean;
  kubelet?: boolean;
  replicaSets?: boolean;
  deployments?: boolean;
  statefulSets?: boolean;
  daemonSets?: boolean;
  jobs?: boolean;
  cronJobs?: boolean;
  garbageCollector?: boolean;
}

export interface SimulationOptions {
  /** Node names or specs; a number n means node-1..node-n. Default 3. */
  nodes?: number | readonly (string | NodeSpec)[];
  /** Default: the wall clock. Pass a ManualClock to drive pod lifecycles step by step. */
  clock?: Clock;
  /** Every component defaults to on. */
  components?: SimulationComponents;
  /** The simulated Velero server (opt-in). */
  velero?: VeleroServerOptions;
  /**
   * Pods each node admits (capacity.pods and allocatable.pods), which the scheduler honours as kube-scheduler does.
   * Default DEFAULT_SIMULATED_MAX_PODS (a real kubelet's --max-pods defaults to 110).
   */
  maxPodsPerNode?: number;
}

interface Component {
  stop(): void;
}

export class Simulation {
  readonly informers: SharedInformers;
  readonly clock: Clock;
  readonly nodes: readonly NodeSpec[];
  /** The kubelets (one component for every node); undefined when switched off. */
  readonly kubelet: Kubelet | undefined;
  /** The Events the scheduler and controllers emit (see events.ts). */
  readonly events: EventRecorder;
  private readonly components: Component[] = [];
  private readonly ownsClock: boolean;

  constructor(admission: AdmissionChain, options: SimulationOptions = {}, audit?: WriteLog) {
    const maxPods = options.maxPodsPerNode;
    if (maxPods !== undefined && !(Number.isInteger(maxPods) && maxPods >= 1))
      throw new RangeError(`maxPodsPerNode: must be an integer >= 1, got ${maxPods}`);
    const api = admission.cluster;
    const as = (user: UserInfo) => new InProcessClient(admission, user, audit);
    this.informers = new SharedInformers(api);
    this.ownsClock = !options.clock;
    this.clock = options.clock ?? new RealClock();
    const nodes = options.nodes ?? 3;
    this.nodes =
      typeof nodes === 'number'
        ? Array.from({ length: nodes }, (_, i) => ({ name: `node-${i + 1}` }))
        : nodes.map((n) => (typeof n === 'string' ? { name: n } : n));
    const on = { ...options.components };
    const enabled = (c: keyof SimulationComponents) => on[c] !== false;
    registerNodes(
      api,
      this.nodes,
      new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      maxPods,
    );
    this.events = new EventRecorder(api, this.clock);
    const events = (component: string) => this.events.forComponent(component);
    if (enabled('scheduler'))
      this.components.push(
        new Scheduler(
          as(IDENTITIES.scheduler),
          this.informers,
          this.events.forReportingController('default-scheduler', 'default-scheduler-devcluster'),
        ),
      );
    this.kubelet = enabled('kubelet')
      ? new Kubelet(
          api,
          this.informers,
          this.clock,
          this.nodes.map((n) => n.name),
        )
      : undefined;
    if (this.kubelet) this.components.push(this.kubelet);
    if (enabled('replicaSets'))
      this.components.push(
        new ReplicaSetController(as(IDENTITIES.replicaSet), this.informers, events('replicaset-controller')),
      );
    if (enabled('deployments'))
      this.components.push(
        new DeploymentController(as(IDENTITIES.deployment), this.informers, events('deployment-controller')),
      );
    if (enabled('daemonSets'))
      this.components.push(
        new DaemonSetController(as(IDENTITIES.daemonSet), this.informers, events('daemonset-controller')),
      );
    if (enabled('jobs'))
      this.components.push(
        new JobController(as(IDENTITIES.job), this.informers, this.clock, events('job-controller')),
      );
    if (enabled('cronJobs'))
      this.components.push(new CronJobController(as(IDENTITIES.cronJob), this.informers, this.clock));
    if (enabled('statefulSets'))
      this.components.push(
        new StatefulSetController(
          as(IDENTITIES.statefulSet),
          this.informers,
          events('statefulset-controller'),
        ),
      );
    if (options.velero)
      this.components.push(
        new VeleroServer(as(IDENTITIES.velero), this.informers, this.clock, options.velero),
      );
    if (enabled('garbageCollector'))
      this.components.push(new GarbageCollector(as(IDENTITIES.garbageCollector), this.informers));
  }

  /** Lists and starts watching; components begin reconciling. */
  start(): this {
    this.informers.start();
    return this;
  }

  stop(): void {
    for (const c of this.components) c.stop();
    this.events.stop();
    this.informers.stop();
    if (this.ownsClock) (this.clock as RealClock).stop();
  }

  protected add(component: Component): void {
    this.components.push(component);
  }
}
