/**
 * The labels and annotations restore-hooks writes, and how they are read back. Everything the controller needs
 * to stay idempotent across restarts lives on the objects themselves, under these keys.
 */

const PREFIX = 'restore-hooks.io';

/** Label on hooked pod templates and on replaced pods: the restore's `velero.io/restore-name` label value. */
export const RESTORE_LABEL = `${PREFIX}/restore`;
/** Annotation on hooked pod templates and replaced pods: which restore injected which hooks (InjectionRecord). */
export const INJECTED_ANNOTATION = `${PREFIX}/injected-hooks`;
/** Annotation on a workload whose injected hooks were removed after the restore: the restore's namespace/name. */
export const CLEANED_UP_ANNOTATION = `${PREFIX}/cleaned-up`;

export interface InjectionRecord {
  /** `namespace/name` of the Restore. */
  readonly restore: string;
  readonly restoreUID: string;
  /** Names of the injected init containers, in order, with the content hash of each. */
  readonly hooks: readonly { readonly name: string; readonly hash: string }[];
}

export function formatInjectionRecord(record: InjectionRecord): string {
  return JSON.stringify({ restore: record.restore, restoreUID: record.restoreUID, hooks: record.hooks });
}

/** Parses the annotation; undefined for anything that is not a well-formed record (e.g. edited by hand). */
export function parseInjectionRecord(value: string | undefined): InjectionRecord | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { restore, restoreUID, hooks } = parsed as Record<string, unknown>;
  if (typeof restore !== 'string' || typeof restoreUID !== 'string' || !Array.isArray(hooks))
    return undefined;
  const valid = hooks.every(
    (h: unknown) =>
      typeof h === 'object' &&
      h !== null &&
      typeof (h as Record<string, unknown>).name === 'string' &&
      typeof (h as Record<string, unknown>).hash === 'string',
  );
  if (!valid) return undefined;
  return { restore, restoreUID, hooks: hooks as InjectionRecord['hooks'] };
}
