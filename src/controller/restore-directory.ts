import type { HookPolicy } from '../hooks/policy.ts';
import type { RestoreHooks } from '../hooks/validate.ts';
import { parseRestoreHooks } from '../hooks/validate.ts';
import { RESTORE_NAME_LABEL, veleroLabelValue } from '../kube/velero-labels.ts';
import type { ObjectMeta } from '../kube/types.ts';
import { RESTORE_LABEL } from './marks.ts';
import { restoreActivity } from './restore-activity.ts';
import type { RestoreTiming } from './restore-activity.ts';

export interface RestoreObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: RestoreTiming & Record<string, unknown>;
}

export type RestoreLookup =
  | { readonly found: true; readonly restore: RestoreObject; readonly hooks: RestoreHooks }
  | { readonly found: false; readonly reason: 'NotFound' | 'Ambiguous' };

/**
 * Finds the Restore behind a `velero.io/restore-name` label value among the Restores of the configured Velero
 * namespaces, and parses its hooks once per object version. Velero's label does not carry the namespace, so two
 * Restores of the same name in two Velero namespaces are ambiguous and get no hooks.
 */
export class RestoreDirectory {
  readonly #listRestores: () => readonly RestoreObject[];
  readonly #policy: HookPolicy;
  readonly #parsed = new WeakMap<RestoreObject, RestoreHooks>();

  constructor(listRestores: () => readonly RestoreObject[], policy: HookPolicy) {
    this.#listRestores = listRestores;
    this.#policy = policy;
  }

  byLabelValue(labelValue: string): RestoreLookup {
    const matches = this.#listRestores().filter(
      (r) => veleroLabelValue(r.metadata.name ?? '') === labelValue,
    );
    if (matches.length === 0) return { found: false, reason: 'NotFound' };
    if (matches.length > 1) return { found: false, reason: 'Ambiguous' };
    const restore = matches[0]!;
    return { found: true, restore, hooks: this.hooksOf(restore) };
  }

  /**
   * The Restore an object's labels name: restore-hooks' mark (`restore-hooks.dev/restore`), else Velero's
   * `velero.io/restore-name`; undefined when it carries neither.
   */
  byObjectLabels(labels: Readonly<Record<string, string>> | undefined): RestoreLookup | undefined {
    const value = labels?.[RESTORE_LABEL] ?? labels?.[RESTORE_NAME_LABEL];
    return value === undefined ? undefined : this.byLabelValue(value);
  }

  /** The Restores whose hooks apply now (restoreActivity). */
  active(now: number, hookWindowMs: number): RestoreObject[] {
    return this.#listRestores().filter((r) => restoreActivity(r.status, now, hookWindowMs).active);
  }

  hooksOf(restore: RestoreObject): RestoreHooks {
    let hooks = this.#parsed.get(restore);
    if (!hooks) {
      hooks = parseRestoreHooks(restore, this.#policy);
      this.#parsed.set(restore, hooks);
    }
    return hooks;
  }
}
