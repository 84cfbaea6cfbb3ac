/**
 * The kubelet's pod status as a pure function of the pod, when the kubelet started it, and now. Container runs,
 * exits, restarts (with the kubelet's 10 s doubling back-off, capped at 5 min), image-pull failures and readiness
 * all follow from the behaviour annotations (behaviour.ts), so the same inputs always give the same status, and the
 * function also says when the status will next change. Shapes, reasons and messages follow kubelet 1.32.
 */
import { readPodBehaviour } from './behaviour.ts';
import type { BehaviourProblem, ContainerBehaviour } from './behaviour.ts';
import { podQOSClass } from '../builtin/defaults.ts';
import { containerID, imageID, normalizeImage } from './images.ts';

export interface ContainerSpec {
  name: string;
  image?: string;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
}

export interface PodLike {
  metadata: { name?: string; namespace?: string; uid?: string; annotations?: Record<string, string> };
  spec?: { restartPolicy?: string; initContainers?: ContainerSpec[]; containers?: ContainerSpec[] };
  status?: PodStatus;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        reason: string;
        startedAt: string;
        finishedAt: string;
        containerID: string;
      };
    };

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; recursiveReadOnly?: string }[];
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False';
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  qosClass?: string;
}

export interface PodRuntime {
  /** When the kubelet admitted the pod (ms since the epoch): status.startTime. */
  readonly startedAt: number;
  readonly now: number;
  /** Sandbox set-up before the first container starts, on top of the start-seconds annotation. Default 0. */
  readonly startDelayMs?: number;
  readonly hostIP: string;
  readonly podIP: string;
}

export interface KubeletStatusResult {
  readonly status: PodStatus;
  /** When the status will change next without outside input (ms since the epoch); undefined: never. */
  readonly nextChangeAt: number | undefined;
  readonly problems: readonly BehaviourProblem[];
}

/** How long ErrImagePull shows before ImagePullBackOff. */
export const ERR_IMAGE_PULL_MS = 2_000;
const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

/** RFC 3339 with whole seconds, as the API server stores times. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface Terminated {
  start: number;
  end: number;
  exitCode: number;
  attempt: number;
}

/** Where one container is at `now`, given it was first started at `t0`. */
interface ContainerPhase {
  kind: 'pulling' | 'running' | 'backoff' | 'terminated';
  restartCount: number;
  attempt: number;
  start: number;
  last?: Terminated;
  exited?: Terminated;
  backoffMs?: number;
  pullFailedFor?: number;
  next?: number;
}

function backoff(restarts: number): number {
  return Math.min(BACKOFF_INITIAL_MS * 2 ** restarts, BACKOFF_MAX_MS);
}

function containerAt(
  t0: number,
  b: ContainerBehaviour,
  restartAfter: (exitCode: number) => boolean,
  now: number,
): ContainerPhase {
  if (b.imagePullFailure) {
    const pullFailedFor = now - t0;
    return {
      kind: 'pulling',
      restartCount: 0,
      attempt: 0,
      start: t0,
      pullFailedFor,
      ...(pullFailedFor < ERR_IMAGE_PULL_MS ? { next: t0 + ERR_IMAGE_PULL_MS } : {}),
    };
  }
  let start = t0;
  let last: Terminated | undefined;
  for (let attempt = 0; ; attempt++) {
    const end = start + b.runSeconds * 1000;
    if (now < end) {
      const readyAt = start + b.readyAfterSeconds * 1000;
      const next = Math.min(end, !b.neverReady && now < readyAt ? readyAt : Infinity);
      return {
        kind: 'running',
        restartCount: attempt,
        attempt,
        start,
        ...(last ? { last } : {}),
        ...(Number.isFinite(next) ? { next } : {}),
      };
    }
    const exited: Terminated = { start, end, exitCode: b.exitCode, attempt };
    if (!restartAfter(b.exitCode)) {
      return { kind: 'terminated', restartCount: attempt, attempt, start, exited, ...(last ? { last } : {}) };
    }
    const wait = backoff(attempt);
    const nextStart = end + wait;
    if (now < nextStart) {
      return {
        kind: 'backoff',
        restartCount: attempt + 1,
        attempt,
        start,
        last: exited,
        backoffMs: wait,
        next: nextStart,
      };
    }
    last = exited;
    start = nextStart;
  }
}

function terminatedState(podUID: string, name: string, t: Terminated): ContainerState {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.exitCode === 0 ? 'Completed' : 'Error',
      startedAt: rfc3339(t.start),
      finishedAt: rfc3339(t.end),
      containerID: containerID(podUID, name, t.attempt),
    },
  };
}

function waitingStatus(spec: ContainerSpec, reason: string): ContainerStatus {
  return {
    name: spec.name,
    state: { waiting: { reason } },
    lastState: {},
    ready: false,
    restartCount: 0,
    image: normalizeImage(spec.image ?? ''),
    imageID: '',
    started: false,
  };
}

function volumeMounts(spec: ContainerSpec): Pick<ContainerStatus, 'volumeMounts'> {
  if (!spec.volumeMounts?.length) return {};
  return {
    volumeMounts: spec.volumeMounts.map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
    })),
  };
}

function containerStatus(
  pod: PodLike,
  spec: ContainerSpec,
  phase: ContainerPhase,
  b: ContainerBehaviour,
  now: number,
  init: boolean,
): ContainerStatus {
  const uid = pod.metadata.uid ?? '';
  const image = normalizeImage(spec.image ?? '');
  const lastState = phase.last ? terminatedState(uid, spec.name, phase.last) : {};
  if (phase.kind === 'pulling') {
    const reason = (phase.pullFailedFor ?? 0) < ERR_IMAGE_PULL_MS ? 'ErrImagePull' : 'ImagePullBackOff';
    const message =
      reason === 'ErrImagePull'
        ? `failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`
        : `Back-off pulling image "${spec.image ?? ''}"`;
    return { ...waitingStatus(spec, reason), state: { waiting: { reason, message } } };
  }
  const common = {
    name: spec.name,
    lastState,
    restartCount: phase.restartCount,
    image,
    imageID: imageID(spec.image ?? ''),
  };
  if (phase.kind === 'running') {
    const ready = !init && !b.neverReady && now >= phase.start + b.readyAfterSeconds * 1000;
    return {
      ...common,
      state: { running: { startedAt: rfc3339(phase.start) } },
      ready,
      containerID: containerID(uid, spec.name, phase.attempt),
      started: true,
      ...volumeMounts(spec),
    };
  }
  if (phase.kind === 'terminated') {
    return {
      ...common,
      state: terminatedState(uid, spec.name, phase.exited!),
      ready: init && phase.exited!.exitCode === 0,
      containerID: containerID(uid, spec.name, phase.attempt),
      started: false,
      ...volumeMounts(spec),
    };
  }
  const message = `back-off ${(phase.backoffMs ?? 0) / 1000}s restarting failed container=${spec.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${uid})`;
  return {
    ...common,
    state: { waiting: { reason: 'CrashLoopBackOff', message } },
    ready: false,
    containerID: containerID(uid, spec.name, phase.attempt),
    started: false,
    ...volumeMounts(spec),
  };
}

export function kubeletPodStatus(pod: PodLike, runtime: PodRuntime): KubeletStatusResult {
  const { now } = runtime;
  const spec = pod.spec ?? {};
  const inits = spec.initContainers ?? [];
  const apps = spec.containers ?? [];
  const policy = spec.restartPolicy ?? 'Always';
  const problems: BehaviourProblem[] = [];
  const behaviour = readPodBehaviour(
    pod.metadata.annotations ?? {},
    inits.map((c) => c.name),
    apps.map((c) => c.name),
    problems,
  );
  const nexts: number[] = [];
  const sandboxAt = runtime.startedAt + (runtime.startDelayMs ?? 0) + behaviour.startSeconds * 1000;
  const sandboxReady = now >= sandboxAt;
  if (!sandboxReady) nexts.push(sandboxAt);

  // Init containers, one after another.
  const initStatuses: ContainerStatus[] = [];
  let t = sandboxAt;
  let initDone = sandboxReady;
  let initFailed = false;
  for (const c of inits) {
    if (!initDone) {
      initStatuses.push(waitingStatus(c, 'PodInitializing'));
      continue;
    }
    const b = behaviour.init.get(c.name)!;
    const phase = containerAt(t, b, (code) => code !== 0 && policy !== 'Never', now);
    if (phase.next !== undefined) nexts.push(phase.next);
    initStatuses.push(containerStatus(pod, c, phase, b, now, true));
    if (phase.kind === 'terminated' && phase.exited!.exitCode === 0) {
      t = phase.exited!.end;
    } else {
      initDone = false;
      initFailed = phase.kind === 'terminated';
    }
  }

  // App containers, all at once once init is done.
  const appRestart = (code: number) => policy === 'Always' || (policy === 'OnFailure' && code !== 0);
  const appPhases = apps.map((c) => {
    if (!initDone) return undefined;
    const phase = containerAt(t, behaviour.app.get(c.name)!, appRestart, now);
    if (phase.next !== undefined) nexts.push(phase.next);
    return phase;
  });
  const appStatuses = apps.map((c, i) => {
    const phase = appPhases[i];
    if (!phase)
      return waitingStatus(c, inits.length > 0 || sandboxReady ? 'PodInitializing' : 'ContainerCreating');
    return containerStatus(pod, c, phase, behaviour.app.get(c.name)!, now, false);
  });
  if (!sandboxReady && inits.length === 0) {
    for (const s of appStatuses) s.state = { waiting: { reason: 'ContainerCreating' } };
  }

  // Phase, as kubelet's getPhase decides it.
  let phase: string;
  if (initFailed) phase = 'Failed';
  else if (!initDone) phase = 'Pending';
  else {
    let running = 0;
    let waiting = 0;
    let stopped = 0;
    let succeeded = 0;
    for (const p of appPhases) {
      if (p!.kind === 'running') running++;
      else if (p!.kind === 'pulling') waiting++;
      else {
        stopped++;
        if (p!.kind === 'terminated' && p!.exited!.exitCode === 0) succeeded++;
      }
    }
    if (waiting > 0) phase = 'Pending';
    else if (running > 0) phase = 'Running';
    else if (stopped > 0 && policy === 'Always') phase = 'Running';
    else if (stopped > 0 && stopped === succeeded) phase = 'Succeeded';
    else if (stopped > 0 && policy === 'Never') phase = 'Failed';
    else phase = apps.length === 0 ? 'Pending' : 'Running';
  }
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const previous = new Map((pod.status?.conditions ?? []).map((c) => [c.type, c]));
  const condition = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = previous.get(type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : rfc3339(now),
      ...(!ok && reason ? { reason } : {}),
      ...(!ok && message ? { message } : {}),
    };
  };
  const incomplete = inits.filter((_, i) => {
    const state = initStatuses[i]!.state;
    return !('terminated' in state && state.terminated.exitCode === 0);
  });
  const unready = appStatuses.filter((s) => !s.ready).map((s) => s.name);
  const readiness = (type: string) =>
    terminal
      ? condition(type, false, phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed')
      : condition(
          type,
          unready.length === 0,
          'ContainersNotReady',
          `containers with unready status: [${unready.join(' ')}]`,
        );
  const scheduled = previous.get('PodScheduled') ?? condition('PodScheduled', true);
  const conditions = [
    condition('PodReadyToStartContainers', sandboxReady),
    condition(
      'Initialized',
      incomplete.length === 0,
      'ContainersNotInitialized',
      `containers with incomplete status: [${incomplete.map((c) => c.name).join(' ')}]`,
    ),
    readiness('Ready'),
    readiness('ContainersReady'),
    scheduled,
  ];

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: runtime.hostIP,
    hostIPs: [{ ip: runtime.hostIP }],
    ...(sandboxReady ? { podIP: runtime.podIP, podIPs: [{ ip: runtime.podIP }] } : {}),
    startTime: rfc3339(runtime.startedAt),
    ...(inits.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    qosClass: podQOSClass(spec),
  };
  const future = nexts.filter((n) => n > now);
  return {
    status,
    nextChangeAt: terminal || future.length === 0 ? undefined : Math.min(...future),
    problems,
  };
}
