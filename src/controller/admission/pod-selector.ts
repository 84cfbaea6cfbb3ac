/**
 * The pod webhook's objectSelector (webhook.podSelector). AllMarked: every pod carrying the admission mark calls the
 * webhook, as the manifests install it. ActiveRestores: only pods whose mark names a Restore that may still create
 * pods: one the controller has seen but Velero has not started (New, so the selector is in place before Velero
 * creates anything) or one that is active (restore-activity.ts: running, or finished within the hook window). Pods
 * of workloads restored long ago then never call the webhook. Pure: the caller supplies the cached Restores.
 */
import type { WebhookPodSelector } from '../../config/settings.ts';
import { veleroLabelValue } from '../../kube/velero-labels.ts';
import { RESTORE_LABEL } from '../marks.ts';
import type { RestoreTiming } from '../restore-activity.ts';
import { msUntilWindowCloses, restoreActivity } from '../restore-activity.ts';

export type PodSelectorMode = WebhookPodSelector;

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface SelectorRestore {
  readonly metadata: { readonly name?: string };
  readonly status?: RestoreTiming;
}

/** Every marked pod: the manifests' selector, and what an empty `webhook.podSelector` history means. */
export const ALL_MARKED: LabelSelector = { matchExpressions: [{ key: RESTORE_LABEL, operator: 'Exists' }] };

/**
 * A selector no object matches. apimachinery refuses `In` with no values, and any value could one day be a
 * Restore's name; the mark required both present and absent is valid and matches nothing, whatever the labels.
 */
export const NOTHING: LabelSelector = {
  matchExpressions: [
    { key: RESTORE_LABEL, operator: 'Exists' },
    { key: RESTORE_LABEL, operator: 'DoesNotExist' },
  ],
};

/** Whether a Restore may still create pods that need their hooks at admission. */
export function mayCreatePods(status: RestoreTiming | undefined, nowMs: number, windowMs: number): boolean {
  const phase = status?.phase ?? '';
  return phase === '' || phase === 'New' || restoreActivity(status, nowMs, windowMs).active;
}

export interface SelectorValues {
  /** The marks (Velero label values) of the Restores that may still create pods, sorted, without duplicates. */
  readonly values: readonly string[];
  /** Milliseconds until the first of them leaves its hook window (the set changes then without any event). */
  readonly nextChangeMs: number | undefined;
}

export function selectorValues(
  restores: readonly SelectorRestore[],
  nowMs: number,
  windowMs: number,
): SelectorValues {
  const values = new Set<string>();
  let nextChangeMs: number | undefined;
  for (const r of restores) {
    if (!mayCreatePods(r.status, nowMs, windowMs)) continue;
    values.add(veleroLabelValue(r.metadata.name ?? ''));
    const closes = msUntilWindowCloses(r.status, nowMs, windowMs);
    if (closes !== undefined) nextChangeMs = Math.min(nextChangeMs ?? Infinity, closes);
  }
  return { values: [...values].sort(), nextChangeMs };
}

/** The selector the pod webhook should have. */
export function desiredPodSelector(mode: PodSelectorMode, values: readonly string[]): LabelSelector {
  if (mode === 'AllMarked') return ALL_MARKED;
  if (values.length === 0) return NOTHING;
  return { matchExpressions: [{ key: RESTORE_LABEL, operator: 'In', values: [...values].sort() }] };
}

/**
 * Whether two selectors select the same objects as written: equal requirements in any order, `In`/`NotIn` values as
 * sets, absent and empty `matchLabels` alike (the API server may drop an empty one).
 */
export function sameSelector(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(selector: unknown): string {
  const s = (typeof selector === 'object' && selector !== null ? selector : {}) as {
    matchLabels?: Record<string, string>;
    matchExpressions?: LabelSelectorRequirement[];
  };
  const labels = Object.entries(s.matchLabels ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const expressions = (s.matchExpressions ?? [])
    .map((e) => JSON.stringify([e.key, e.operator, [...new Set(e.values ?? [])].sort()]))
    .sort();
  return JSON.stringify([labels, expressions]);
}

/**
 * Whether a Restore event may change the selector or when it next changes: the Restore appears or goes, or its
 * phase or completion time moves. Velero's progress updates do not.
 */
export function selectorMayChange(
  before: SelectorRestore | undefined,
  after: SelectorRestore | undefined,
): boolean {
  if (before === undefined || after === undefined) return before !== after;
  return (
    (before.status?.phase ?? '') !== (after.status?.phase ?? '') ||
    before.status?.completionTimestamp !== after.status?.completionTimestamp
  );
}
