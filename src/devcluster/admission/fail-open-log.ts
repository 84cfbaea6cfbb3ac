/**
 * The webhook calls that failed and were forgiven by failurePolicy Ignore: the object was admitted without that
 * webhook. kube-apiserver logs each one ("Failed calling webhook, failing open") and, since 1.23, counts them in
 * apiserver_admission_webhook_fail_open_count{name,type}; the devcluster keeps the record, with the object it was
 * for, so that a test in another process (the chaos suite, GET /devcluster/admission/fail-open) can tell which
 * objects bypassed a webhook.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { sendError, sendJson } from '../http/responses.ts';

export const FAIL_OPEN_ADMIN_PATH = '/devcluster/admission/fail-open';

export interface FailOpenRecord {
  readonly seq: number;
  /** ISO 8601, milliseconds. */
  readonly time: string;
  /** The webhook's name (e.g. pods.restore-hooks.dev). */
  readonly webhook: string;
  readonly operation: string;
  /** `pods`, `deployments.apps`, ... */
  readonly resource: string;
  readonly namespace: string;
  /** The object's name, or '' when the API server had not assigned it yet (generateName). */
  readonly name: string;
  readonly generateName?: string;
  /** The object's controller, as `Kind/name` (a ReplicaSet's pod: `ReplicaSet/web-5d8f`). */
  readonly owner?: string;
  readonly user: string;
  /** Why the call failed (kube's wording: "failed to call webhook: ..."). */
  readonly reason: string;
}

export class FailOpenLog {
  private readonly records: FailOpenRecord[] = [];
  private nextSeq = 1;
  private readonly capacity: number;

  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  record(entry: {
    webhook: string;
    operation: string;
    resource: string;
    namespace: string;
    name: string;
    object: KubeObject | undefined;
    user: string;
    reason: string;
  }): void {
    const meta = entry.object?.metadata;
    const controller = meta?.ownerReferences?.find((o) => o.controller === true);
    this.records.push({
      seq: this.nextSeq++,
      time: new Date().toISOString(),
      webhook: entry.webhook,
      operation: entry.operation,
      resource: entry.resource,
      namespace: entry.namespace,
      name: entry.name || (meta?.name ?? ''),
      ...(meta?.generateName ? { generateName: meta.generateName } : {}),
      ...(controller ? { owner: `${controller.kind}/${controller.name}` } : {}),
      user: entry.user,
      reason: entry.reason,
    });
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
  }

  /** Every record kept, oldest first; `total` counts the dropped ones too. */
  entries(): { total: number; items: FailOpenRecord[] } {
    return { total: this.nextSeq - 1, items: [...this.records] };
  }
}

export function failOpenAdminHandler(log: FailOpenLog) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET')
      return sendError(
        res,
        new ApiError(405, 'MethodNotAllowed', `${req.method} ${FAIL_OPEN_ADMIN_PATH} is not supported`),
      );
    sendJson(res, 200, JSON.stringify(log.entries()), { 'Content-Type': 'application/json' });
  };
}
