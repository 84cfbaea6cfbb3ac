import { getHeapStatistics } from 'node:v8';
import type { HookMetrics } from '../../telemetry/metrics.ts';
import type { Controller } from '../machinery/controller.ts';
import { IdleHeapRelease } from '../machinery/idle-heap-release.ts';
import type { Logger } from '../machinery/logger.ts';

/**
 * Returns the memory of a burst once every work queue is idle again (IdleHeapRelease), when Node runs with
 * `--expose-gc` as the image does; without it (e.g. `node src/cli.ts` in development) V8 alone decides. A
 * replica that received admission requests since the previous check is not idle either: its full collection (a
 * pause of 100-250 ms) would hold every webhook call in flight, at 200 pod creations per second.
 */
export function idleHeapRelease(
  controllers: readonly Controller[],
  admissionRequests: () => number,
  metrics: HookMetrics,
  logger: Logger,
): IdleHeapRelease | undefined {
  const gc = globalThis.gc;
  if (gc === undefined) {
    logger.debug('idle heap release off: node runs without --expose-gc');
    return undefined;
  }
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  return new IdleHeapRelease({
    isIdle: () => controllers.every((c) => c.queue.isIdle()),
    activity: admissionRequests,
    heapUsed: () => {
      // External memory too: the buffers of dead responses are only freed when the heap is collected.
      const heap = getHeapStatistics();
      return heap.used_heap_size + heap.external_memory;
    },
    // A last-resort collection also compacts the old generation and gives its free pages back to the OS.
    collect: () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }),
    onRelease: ({ usedBeforeBytes, usedAfterBytes, durationMs }) => {
      metrics.heapReleased(usedBeforeBytes, usedAfterBytes);
      logger.info('work queues idle: released the heap of the burst', {
        heapUsedBeforeMiB: mib(usedBeforeBytes),
        heapUsedAfterMiB: mib(usedAfterBytes),
        durationMs: Math.round(durationMs),
      });
    },
  });
}
