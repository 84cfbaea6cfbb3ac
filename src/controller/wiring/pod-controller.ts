import { PodReconciler } from '../init-hooks/pod-reconciler.ts';
import { ReplacementJournalStore } from '../init-hooks/replacement-journal-store.ts';
import type { Controller } from '../machinery/controller.ts';
import { mappedHandler } from '../machinery/event-handlers.ts';
import type { WiringContext } from './context.ts';
import { initHookReconcilerDeps, rankedController } from './context.ts';
import { pendingPodKeys } from './event-mapping.ts';

/**
 * The `pod` controller (keys `namespace/name`): replaces bare restored pods that lack their hooks, through the
 * replacement journal, and reports pods that will not run them (Events, metrics); from the pending-pod informer. Its queue hands out
 * replacements under way first, then pending pods oldest first (PodReconciler.rank).
 */
export function buildPodController(ctx: WiringContext): {
  controller: Controller;
  loadJournal: () => Promise<void>;
} {
  const { caches } = ctx;
  const reconciler = new PodReconciler({
    ...initHookReconcilerDeps(ctx),
    getPendingPod: caches.getPendingPod,
    journal: new ReplacementJournalStore(ctx.client, ctx.namespace),
  });
  const controller = rankedController(ctx, 'pod', reconciler);
  caches.pendingPods.addEventHandler(mappedHandler(controller, pendingPodKeys));
  return {
    controller,
    // Replacements a previous leader left unfinished are driven to their end first.
    loadJournal: async () => {
      for (const key of await reconciler.loadJournal()) controller.enqueue(key);
    },
  };
}
