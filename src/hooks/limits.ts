/**
 * Documented limits on hook input (docs/hooks.md, Limits), enforced before anything is planned or written: what
 * a Restore or an annotation may declare. Without them one Restore could make every template patch too large for
 * the API server (422 annotations: Too long) and hold hundreds of megabytes in the controller.
 */
export const LIMITS = {
  /** spec.hooks.resources of one Restore. */
  hookResources: 200,
  /** postHooks of one hook resource. */
  postHooksPerResource: 50,
  /** init.initContainers of one post hook. */
  initContainersPerHook: 20,
  /** Init hooks that apply to one pod or template, all hook resources together. */
  initHooksPerPod: 50,
  /** Exec hooks that apply to one pod, all hook resources together. */
  execHooksPerPod: 50,
  /** UTF-8 bytes of one command (command and args together, as JSON). */
  commandBytes: 16 * 1024,
  /** UTF-8 bytes of one hook annotation value. */
  annotationBytes: 16 * 1024,
} as const;

const encoder = new TextEncoder();

/** UTF-8 bytes of a string, or of any other value as JSON. */
export const utf8Bytes = (value: unknown): number =>
  encoder.encode(typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).length;

/** The message for a list longer than its limit, in the API server's words. */
export const tooMany = (count: number, limit: number, what: string): string =>
  `Too many: ${count}: must have at most ${limit} ${what} (a documented limit of restore-hooks)`;

/** The message for a value longer than its limit. */
export const tooLong = (bytes: number, limit: number): string =>
  `Too long: ${bytes} bytes: may not be more than ${limit} bytes (a documented limit of restore-hooks)`;
