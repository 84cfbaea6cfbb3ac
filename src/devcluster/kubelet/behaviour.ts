/**
 * How a simulated container behaves, read from pod annotations. A key with a `.<container>` suffix applies to that
 * container and wins over the key without suffix, which applies to every container of its kind.
 *
 * | annotation (prefix devcluster.restore-hooks.io/) | default | meaning |
 * |---|---|---|
 * | `start-seconds` | 0 | pod-wide: sandbox and image setup before the first container starts (ContainerCreating / PodInitializing) |
 * | `init-seconds[.c]` | 0 | how long an init container runs before it exits |
 * | `run-seconds[.c]` | forever | how long an app container runs before it exits |
 * | `exit-code[.c]` | 0 (1 with crash-loop) | the exit code when the container exits |
 * | `crash-loop[.c]` | false | the container exits after `run-seconds` (default 0) with `exit-code` (default 1), every time |
 * | `ready-after-seconds[.c]` | 0 | time from start to Ready |
 * | `never-ready[.c]` | false | running but never Ready |
 * | `image-pull-failure[.c]` | false | ErrImagePull, then ImagePullBackOff; the container never starts |
 * | `termination-seconds` | 0 | pod-wide: how long containers take to stop after a graceful delete (capped by the grace period) |
 */

export const BEHAVIOUR_PREFIX = 'devcluster.restore-hooks.io/';

export interface ContainerBehaviour {
  /** Seconds the container runs before it exits; Infinity: never exits. */
  readonly runSeconds: number;
  readonly exitCode: number;
  readonly readyAfterSeconds: number;
  readonly neverReady: boolean;
  readonly imagePullFailure: boolean;
}

export interface PodBehaviour {
  readonly startSeconds: number;
  readonly terminationSeconds: number;
  readonly init: ReadonlyMap<string, ContainerBehaviour>;
  readonly app: ReadonlyMap<string, ContainerBehaviour>;
}

/** Problems are reported with the annotation key; a bad value falls back to the default. */
export interface BehaviourProblem {
  readonly annotation: string;
  readonly message: string;
}

type Annotations = Readonly<Record<string, string>>;

function lookup(annotations: Annotations, key: string, container?: string): [string, string] | undefined {
  const specific = container === undefined ? undefined : `${BEHAVIOUR_PREFIX}${key}.${container}`;
  if (specific !== undefined && annotations[specific] !== undefined) return [specific, annotations[specific]];
  const general = `${BEHAVIOUR_PREFIX}${key}`;
  return annotations[general] === undefined ? undefined : [general, annotations[general]];
}

export function readPodBehaviour(
  annotations: Annotations,
  initContainers: readonly string[],
  containers: readonly string[],
  problems: BehaviourProblem[] = [],
): PodBehaviour {
  const seconds = (key: string, fallback: number, container?: string): number => {
    const found = lookup(annotations, key, container);
    if (!found) return fallback;
    const n = Number(found[1]);
    if (found[1].trim() === '' || !Number.isFinite(n) || n < 0) {
      problems.push({
        annotation: found[0],
        message: `must be a non-negative number of seconds, got "${found[1]}"`,
      });
      return fallback;
    }
    return n;
  };
  const bool = (key: string, container: string): boolean => {
    const found = lookup(annotations, key, container);
    if (!found) return false;
    if (found[1] !== 'true' && found[1] !== 'false') {
      problems.push({ annotation: found[0], message: `must be "true" or "false", got "${found[1]}"` });
      return false;
    }
    return found[1] === 'true';
  };
  const exitCode = (container: string, fallback: number): number => {
    const found = lookup(annotations, 'exit-code', container);
    if (!found) return fallback;
    const n = Number(found[1]);
    if (!Number.isInteger(n) || n < 0 || n > 255) {
      problems.push({ annotation: found[0], message: `must be an integer in [0, 255], got "${found[1]}"` });
      return fallback;
    }
    return n;
  };
  const container = (name: string, init: boolean): ContainerBehaviour => {
    const crashLoop = bool('crash-loop', name);
    const runSeconds = init
      ? seconds('init-seconds', 0, name)
      : seconds('run-seconds', crashLoop ? 0 : Infinity, name);
    return {
      runSeconds,
      exitCode: exitCode(name, crashLoop ? 1 : 0),
      readyAfterSeconds: seconds('ready-after-seconds', 0, name),
      neverReady: bool('never-ready', name),
      imagePullFailure: bool('image-pull-failure', name),
    };
  };
  return {
    startSeconds: seconds('start-seconds', 0),
    terminationSeconds: seconds('termination-seconds', 0),
    init: new Map(initContainers.map((c) => [c, container(c, true)])),
    app: new Map(containers.map((c) => [c, container(c, false)])),
  };
}

/**
 * How long the containers of a pod being deleted take to stop: the termination-seconds behaviour, capped by the
 * pod's grace period (deletionGracePeriodSeconds, 30 when absent), as a kubelet kills what outlives it.
 */
export function terminationDelaySeconds(
  annotations: Annotations,
  deletionGracePeriodSeconds: number | undefined,
): number {
  const behaviour = readPodBehaviour(annotations, [], []);
  return Math.min(behaviour.terminationSeconds, deletionGracePeriodSeconds ?? 30);
}
