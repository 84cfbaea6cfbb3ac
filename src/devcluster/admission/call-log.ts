/**
 * The admission webhook calls the devcluster made, each with its duration as the API server sees it: from building
 * the AdmissionReview to the verified answer (kube-apiserver's apiserver_admission_webhook_admission_duration_seconds
 * times the same span). Kept for benchmarks and tests, newest `capacity` records; served to admins at
 *
 *   GET /devcluster/admission/webhook-calls[?webhook=NAME&since=SEQ]   {dropped, items: WebhookCallRecord[]}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.ts';
import { sendError, sendJson } from '../http/responses.ts';

export const WEBHOOK_CALLS_ADMIN_PATH = '/devcluster/admission/webhook-calls';

/** How a call ended: answered (allowed, with or without a patch), denied, or failed (and whether that was ignored). */
export type WebhookCallOutcome = 'allowed' | 'patched' | 'denied' | 'failed-ignored' | 'failed';

export interface WebhookCallRecord {
  /** 1, 2, 3, ... in the order the calls started. */
  readonly seq: number;
  /** The webhook's name in its configuration, e.g. pods.restore-hooks.dev. */
  readonly webhook: string;
  readonly operation: string;
  /** `pods`, `deployments.apps`, ... */
  readonly resource: string;
  readonly namespace: string;
  /** The object's name, or its generateName followed by `*` when the API server has not named it yet. */
  readonly name: string;
  /** Milliseconds, to the microsecond. */
  readonly durationMs: number;
  readonly outcome: WebhookCallOutcome;
}

export class WebhookCallLog {
  readonly #records: WebhookCallRecord[] = [];
  readonly #capacity: number;
  #nextSeq = 1;
  #dropped = 0;

  constructor(capacity = 200_000) {
    this.#capacity = capacity;
  }

  add(record: Omit<WebhookCallRecord, 'seq'>): void {
    this.#records.push({ seq: this.#nextSeq++, ...record });
    if (this.#records.length > this.#capacity) {
      this.#records.shift();
      this.#dropped++;
    }
  }

  entries(query: { webhook?: string; since?: number } = {}): WebhookCallRecord[] {
    return this.#records.filter(
      (r) => (query.webhook === undefined || r.webhook === query.webhook) && r.seq > (query.since ?? 0),
    );
  }

  /** Records dropped because the log was full. */
  get dropped(): number {
    return this.#dropped;
  }
}

export function webhookCallsAdminHandler(log: WebhookCallLog) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET')
      return sendError(
        res,
        new ApiError(
          405,
          'MethodNotAllowed',
          `${req.method ?? ''} ${WEBHOOK_CALLS_ADMIN_PATH} is not supported`,
        ),
      );
    const params = new URL(req.url ?? '/', 'http://devcluster').searchParams;
    const rawSince = params.get('since') ?? '0';
    const since = Number(rawSince);
    if (!Number.isInteger(since) || since < 0)
      return sendError(
        res,
        new ApiError(400, 'BadRequest', `since: must be a non-negative integer, got "${rawSince}"`),
      );
    const webhook = params.get('webhook');
    sendJson(res, 200, {
      dropped: log.dropped,
      items: log.entries({ since, ...(webhook !== null ? { webhook } : {}) }),
    });
  };
}
