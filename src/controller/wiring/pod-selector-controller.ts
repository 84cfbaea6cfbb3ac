import { PodSelectorReconciler } from '../admission/pod-selector-reconciler.ts';
import type { WiringContext } from './context.ts';

/**
 * The `pod-selector` controller: on the leader, keeps the pod webhook's objectSelector at what
 * `webhook.podSelector` asks, from the Restore informers' events (admission/pod-selector-reconciler.ts).
 */
export function buildPodSelectorController(ctx: WiringContext): PodSelectorReconciler {
  const { settings, client, caches, now, registry, logger } = ctx;
  const reconciler = new PodSelectorReconciler({
    settings,
    client,
    listRestores: caches.listRestores,
    now,
    registry,
    logger,
  });
  for (const informer of caches.restores) informer.addEventHandler(reconciler.restoreEvents);
  return reconciler;
}
