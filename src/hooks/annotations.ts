/**
 * Velero's restore hook annotations, read from a pod (or a workload's pod template) exactly as Velero reads them.
 * Reading never fails: values Velero would ignore are reported by the planner as warnings.
 */

export const INIT_CONTAINER_IMAGE = 'init.hook.restore.velero.io/container-image';
export const INIT_CONTAINER_NAME = 'init.hook.restore.velero.io/container-name';
export const INIT_COMMAND = 'init.hook.restore.velero.io/command';
export const EXEC_COMMAND = 'post.hook.restore.velero.io/command';
export const EXEC_CONTAINER = 'post.hook.restore.velero.io/container';
export const EXEC_ON_ERROR = 'post.hook.restore.velero.io/on-error';
export const EXEC_TIMEOUT = 'post.hook.restore.velero.io/exec-timeout';
export const EXEC_WAIT_TIMEOUT = 'post.hook.restore.velero.io/wait-timeout';
export const EXEC_WAIT_FOR_READY = 'post.hook.restore.velero.io/wait-for-ready';

export const HOOK_ANNOTATIONS = [
  INIT_CONTAINER_IMAGE,
  INIT_CONTAINER_NAME,
  INIT_COMMAND,
  EXEC_COMMAND,
  EXEC_CONTAINER,
  EXEC_ON_ERROR,
  EXEC_TIMEOUT,
  EXEC_WAIT_TIMEOUT,
  EXEC_WAIT_FOR_READY,
] as const;

/**
 * Velero's command syntax: a value starting with `[` is a JSON array of strings; when that does not parse, or
 * for any other value, the whole value is one argument (never split on spaces). The empty string is no command.
 */
export function parseCommand(value: string): string[] {
  if (value === '') return [];
  if (value.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return [value];
    }
    // Go's json.Unmarshal into []string: null is no command, a null element is "", anything else non-string fails.
    if (parsed === null) return [];
    if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string' || a === null))
      return parsed.map((a: string | null) => a ?? '');
    return [value];
  }
  return [value];
}

export interface AnnotationInitHook {
  readonly image: string;
  /** '' when the annotation is absent: the planner derives a deterministic name. */
  readonly name: string;
  /** Empty: use the image's entrypoint. */
  readonly command: string[];
  readonly rawCommand: string | undefined;
}

export interface AnnotationExecHook {
  readonly command: string[];
  readonly rawCommand: string;
  /** '' when unset: the pod's first container. */
  readonly container: string;
  readonly onError: string | undefined;
  readonly execTimeout: string | undefined;
  readonly waitTimeout: string | undefined;
  readonly waitForReady: string | undefined;
}

type Annotations = Readonly<Record<string, unknown>> | undefined;

function text(annotations: Annotations, key: string): string | undefined {
  const v = annotations?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** The annotation init hook, or undefined when there is no (non-empty) image annotation, as in Velero. */
export function readAnnotationInitHook(annotations: Annotations): AnnotationInitHook | undefined {
  const image = text(annotations, INIT_CONTAINER_IMAGE) ?? '';
  if (image === '') return undefined;
  const rawCommand = text(annotations, INIT_COMMAND);
  return {
    image,
    name: text(annotations, INIT_CONTAINER_NAME) ?? '',
    command: parseCommand(rawCommand ?? ''),
    rawCommand,
  };
}

/** The annotation exec hook, or undefined when there is no (non-empty) command annotation, as in Velero. */
export function readAnnotationExecHook(annotations: Annotations): AnnotationExecHook | undefined {
  const rawCommand = text(annotations, EXEC_COMMAND) ?? '';
  if (rawCommand === '') return undefined;
  return {
    command: parseCommand(rawCommand),
    rawCommand,
    container: text(annotations, EXEC_CONTAINER) ?? '',
    onError: text(annotations, EXEC_ON_ERROR),
    execTimeout: text(annotations, EXEC_TIMEOUT),
    waitTimeout: text(annotations, EXEC_WAIT_TIMEOUT),
    waitForReady: text(annotations, EXEC_WAIT_FOR_READY),
  };
}
