import type { EventRecorder, EventSpec } from '../events.ts';
import type { ReconcileContext } from '../machinery/controller.ts';
import type { SeenOnce } from '../seen-once.ts';
import type {
  HookLabels,
  HookMetrics,
  HookType,
  SkipReason,
  WorkloadLabels,
} from '../../telemetry/metrics.ts';

/** What a plan reports besides its writes: an Event, a metric, a log line, or any of those once per process. */
export type Effect =
  | { readonly event: EventSpec }
  | { readonly metric: 'hookSkipped'; readonly labels: WorkloadLabels & { readonly reason: SkipReason } }
  | {
      readonly metric: 'templatePatched' | 'templateCleaned' | 'podReplaced';
      readonly labels: WorkloadLabels;
    }
  | { readonly metric: 'hookInjected' | 'hookExecuted'; readonly labels: HookLabels }
  | { readonly metric: 'hookFailed'; readonly labels: HookLabels & { readonly type: HookType } }
  | {
      readonly log: 'debug' | 'info' | 'warn';
      readonly message: string;
      readonly fields?: Readonly<Record<string, unknown>>;
    }
  /** Applied the first time this process sees `once` (a skip counted once, a warning logged once). */
  | { readonly once: string; readonly effects: readonly Effect[] };

export interface EffectSinks {
  readonly events: EventRecorder;
  readonly metrics?: HookMetrics;
  readonly seen: SeenOnce;
  readonly logger: ReconcileContext['logger'];
}

/** Records the effects in order (Events are sent without waiting; the recorder dedupes and retries them). */
export function emitEffects(effects: readonly Effect[], to: EffectSinks): void {
  for (const effect of effects) {
    if ('once' in effect) {
      if (to.seen.first(effect.once)) emitEffects(effect.effects, to);
    } else if ('event' in effect) void to.events.record(effect.event);
    else if ('log' in effect) to.logger[effect.log](effect.message, effect.fields);
    else if (effect.metric === 'hookSkipped') to.metrics?.hookSkipped(effect.labels);
    else if (effect.metric === 'hookInjected' || effect.metric === 'hookExecuted')
      to.metrics?.[effect.metric](effect.labels);
    else if (effect.metric === 'hookFailed') to.metrics?.hookFailed(effect.labels);
    else to.metrics?.[effect.metric](effect.labels);
  }
}
