/**
 * The devcluster's event-loop delay, at /devcluster/event-loop (admins): GET its distribution since the last reset
 * (p50, p99, max, in ms, from `perf_hooks.monitorEventLoopDelay`), DELETE to reset it. Every request, webhook answer
 * and simulated controller of the devcluster shares this one loop, so its delay is what any of them may wait before
 * it runs: the bench reads it over a measured window.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serveReadReset } from '../http/responses.ts';

export const EVENT_LOOP_ADMIN_PATH = '/devcluster/event-loop';

export interface EventLoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Delay samples since the last reset (one per `resolutionMs` of loop time, at most). */
  readonly samples: number;
  readonly resolutionMs: number;
}

const RESOLUTION_MS = 10;

export class EventLoopDelayMonitor {
  readonly #histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor() {
    this.#histogram.enable();
  }

  read(): EventLoopDelay {
    const h = this.#histogram;
    const ms = (ns: number) => (h.count > 0 ? ns / 1e6 : 0);
    return {
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      samples: h.count,
      resolutionMs: RESOLUTION_MS,
    };
  }

  reset(): void {
    this.#histogram.reset();
  }

  stop(): void {
    this.#histogram.disable();
  }

  handleAdmin(req: IncomingMessage, res: ServerResponse): void {
    serveReadReset(req.method, res, EVENT_LOOP_ADMIN_PATH, this);
  }
}
