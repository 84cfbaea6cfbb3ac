/**
 * What the simulated kubelets ran: one record per container run (a start of an init or application container), as
 * read from the statuses the kubelet writes. Pods come and go, statuses are overwritten; this log keeps the history,
 * so a test can prove that an init hook ran exactly once and before the pod's application containers, even for pods
 * deleted since. Served at GET /devcluster/kubelet/runs.
 */
import type { KubeObject } from '../api/types.ts';

export interface ContainerRun {
  /** Order in which the kubelet first saw the run. */
  readonly seq: number;
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
  readonly node: string;
  /** `Kind/name` of the pod's controller owner when it started, '' for a bare pod. */
  readonly owner: string;
  readonly container: string;
  readonly init: boolean;
  /** The container's restartCount for this run (0 for the first run). */
  readonly restartCount: number;
  readonly startedAt: string;
  finishedAt?: string;
  exitCode?: number;
}

interface StateLike {
  running?: { startedAt?: string };
  terminated?: { startedAt?: string; finishedAt?: string; exitCode?: number };
}

interface StatusLike {
  name: string;
  restartCount?: number;
  state?: StateLike;
  lastState?: StateLike;
}

export class ContainerRunLog {
  private readonly runs: ContainerRun[] = [];
  private readonly byKey = new Map<string, ContainerRun>();
  private nextSeq = 1;
  private readonly capacity: number;

  constructor(capacity = 200_000) {
    this.capacity = capacity;
  }

  /** Records the runs a status shows for `pod` (init containers first, so their order is the kubelet's). */
  observe(pod: KubeObject, status: { initContainerStatuses?: unknown; containerStatuses?: unknown }): void {
    const meta = pod.metadata;
    const owner = (meta.ownerReferences ?? []).find((o) => o.controller);
    const base = {
      namespace: meta.namespace ?? '',
      pod: meta.name ?? '',
      uid: meta.uid ?? '',
      node: (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '',
      owner: owner ? `${owner.kind}/${owner.name}` : '',
    };
    const lists: [unknown, boolean][] = [
      [status.initContainerStatuses, true],
      [status.containerStatuses, false],
    ];
    for (const [list, init] of lists) {
      if (!Array.isArray(list)) continue;
      for (const s of list as StatusLike[]) {
        const restarts = s.restartCount ?? 0;
        if (s.lastState?.terminated) this.note(base, s.name, init, restarts - 1, s.lastState.terminated);
        if (s.state?.terminated) this.note(base, s.name, init, restarts, s.state.terminated);
        else if (s.state?.running?.startedAt)
          this.note(base, s.name, init, restarts, { startedAt: s.state.running.startedAt });
      }
    }
  }

  entries(filter: { namespace?: string; since?: number } = {}): ContainerRun[] {
    return this.runs.filter(
      (r) =>
        (filter.namespace === undefined || r.namespace === filter.namespace) && r.seq > (filter.since ?? 0),
    );
  }

  private note(
    base: Omit<ContainerRun, 'seq' | 'container' | 'init' | 'restartCount' | 'startedAt'>,
    container: string,
    init: boolean,
    restartCount: number,
    state: { startedAt?: string; finishedAt?: string; exitCode?: number },
  ): void {
    if (!state.startedAt) return;
    const key = `${base.uid}/${container}/${restartCount}`;
    let run = this.byKey.get(key);
    if (!run) {
      run = { seq: this.nextSeq++, ...base, container, init, restartCount, startedAt: state.startedAt };
      this.runs.push(run);
      this.byKey.set(key, run);
      if (this.runs.length > this.capacity) {
        const dropped = this.runs.shift()!;
        this.byKey.delete(`${dropped.uid}/${dropped.container}/${dropped.restartCount}`);
      }
    }
    if (state.finishedAt !== undefined) run.finishedAt = state.finishedAt;
    if (state.exitCode !== undefined) run.exitCode = state.exitCode;
  }
}
