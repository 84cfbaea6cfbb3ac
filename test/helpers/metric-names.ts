/** The controller-runtime compatible names the controller machinery exports (issue #8; client-node reference). */
export const MACHINERY_METRICS = [
  'controller_runtime_reconcile_total',
  'controller_runtime_reconcile_errors_total',
  'controller_runtime_reconcile_time_seconds',
  'controller_runtime_max_concurrent_reconciles',
  'controller_runtime_active_workers',
  'workqueue_depth',
  'workqueue_adds_total',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
  'workqueue_retries_total',
  'workqueue_unfinished_work_seconds',
  'workqueue_longest_running_processor_seconds',
  'leader_election_master_status',
  'rest_client_requests_total',
  'rest_client_request_duration_seconds',
  'rest_client_rate_limiter_duration_seconds',
  'controller_runtime_webhook_requests_total',
  'controller_runtime_webhook_latency_seconds',
  'controller_runtime_webhook_requests_in_flight',
] as const;

/** Metric names selected in a PromQL expression: identifiers followed by `{` (our queries always select a job). */
export function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!);
}

/** The metric family a sample name belongs to: a histogram's `x_bucket`, `x_count` and `x_sum` are `x`. */
export function metricFamily(sampleName: string): string {
  return sampleName.replace(/_(bucket|count|sum)$/, '');
}
