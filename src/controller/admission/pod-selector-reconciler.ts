/**
 * Keeps the pod webhook's objectSelector at what webhook.podSelector asks (pod-selector.ts), on the leader, through a
 * work queue with one key: Restore events that may change the set enqueue it (a burst of Restores starting at once
 * is one write, or two when it spans a write in flight: the queue de-duplicates the key), a reconcile computes the
 * selector from the Restore cache and writes it only when the stored one differs, through the configuration's one
 * write path (webhook-configuration-store.ts); errors back off per key. Level-triggered: each reconcile runs again
 * when the next Restore leaves its hook window, and at least every RESYNC_MS, so a `kubectl apply` or `helm upgrade`
 * that puts the manifests' selector (every marked pod: wider, never unsafe) back is narrowed again.
 */
import type { Registry } from 'prom-client';
import type { KubeJsonClient } from '../kube-json-client.ts';
import type { InformerEventHandler } from '../machinery/informer.ts';
import type { ObjectWithMeta } from '../machinery/kube-object.ts';
import { Controller } from '../machinery/controller.ts';
import type { ReconcileContext, ReconcileResult } from '../machinery/controller.ts';
import type { Logger } from '../machinery/logger.ts';
import type { LabelSelector, PodSelectorMode, SelectorRestore } from './pod-selector.ts';
import { desiredPodSelector, sameSelector, selectorMayChange, selectorValues } from './pod-selector.ts';
import { PODS_WEBHOOK } from './webhook-configuration.ts';
import { WebhookConfigurationStore, webhookNamed } from './webhook-configuration-store.ts';

/** The queue's one key: the pod webhook of the configuration. */
export const POD_SELECTOR_KEY = PODS_WEBHOOK.name;
/** How often the selector is checked without any Restore event (after an apply, say). */
export const RESYNC_MS = 30_000;

export interface PodSelectorReconcilerOptions {
  readonly settings: {
    readonly hookWindow: number;
    readonly webhook: { readonly podSelector: PodSelectorMode; readonly configurationName: string };
  };
  readonly client: KubeJsonClient;
  readonly listRestores: () => readonly SelectorRestore[];
  readonly now: () => number;
  readonly registry?: Registry;
  readonly logger: Logger;
}

export class PodSelectorReconciler {
  readonly controller: Controller;
  readonly #o: PodSelectorReconcilerOptions;
  readonly #store: WebhookConfigurationStore;
  readonly #mode: PodSelectorMode;

  constructor(options: PodSelectorReconcilerOptions) {
    this.#o = options;
    this.#mode = options.settings.webhook.podSelector;
    this.#store = new WebhookConfigurationStore(options.client, options.settings.webhook.configurationName);
    this.controller = new Controller({
      name: 'pod-selector',
      reconcile: (key, ctx) => this.reconcile(key, ctx),
      ...(options.registry ? { registry: options.registry } : {}),
      logger: options.logger,
    });
    // Once at start, Restores or not: an empty set has its selector too.
    this.controller.enqueue(POD_SELECTOR_KEY);
  }

  /** The selector the pod webhook should have now, from the Restore cache. */
  desired(): { selector: LabelSelector; restores: readonly string[]; nextChangeMs: number | undefined } {
    const { values, nextChangeMs } = selectorValues(
      this.#o.listRestores(),
      this.#o.now(),
      this.#o.settings.hookWindow,
    );
    return { selector: desiredPodSelector(this.#mode, values), restores: values, nextChangeMs };
  }

  /** What a Restore informer calls: enqueue the key when the event may change the selector. */
  readonly restoreEvents: InformerEventHandler<SelectorRestore & ObjectWithMeta> = {
    onAdd: () => this.controller.enqueue(POD_SELECTOR_KEY),
    onUpdate: (before, after) => {
      if (selectorMayChange(before, after)) this.controller.enqueue(POD_SELECTOR_KEY);
    },
    onDelete: () => this.controller.enqueue(POD_SELECTOR_KEY),
  };

  async reconcile(_key: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { selector, restores, nextChangeMs } = this.desired();
    let missing = false;
    let previous: unknown;
    const result = await this.#store.update((stored) => {
      const hook = webhookNamed(stored, PODS_WEBHOOK.name);
      missing = hook === undefined;
      if (!hook || sameSelector(hook.objectSelector, selector)) return undefined;
      previous = hook.objectSelector;
      return {
        ...stored,
        webhooks: (stored.webhooks ?? []).map((w) =>
          w.name === PODS_WEBHOOK.name ? { ...w, objectSelector: selector } : w,
        ),
      };
    });
    if (!result || missing)
      ctx.logger.debug('pod selector: no pod webhook to keep', {
        configuration: this.#store.name,
        webhook: PODS_WEBHOOK.name,
      });
    else if (result.written)
      ctx.logger.info('pod selector: updated the pod webhook objectSelector', {
        configuration: this.#store.name,
        mode: this.#mode,
        restores,
        previous,
      });
    // msUntilWindowCloses is 0 at the instant the window closes, when the Restore is already out of it.
    const untilChange = nextChangeMs === undefined ? RESYNC_MS : Math.min(RESYNC_MS, nextChangeMs + 1);
    return { requeueAfterMs: untilChange };
  }
}
