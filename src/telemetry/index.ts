// Telemetry's public surface for the controller and the `run` command: metrics, /metrics, probes, logs.
export { HookMetrics, METRIC_NAMES, createMetricsRegistry } from './metrics.ts';
export type {
  ExecResult,
  HookLabels,
  HookSource,
  HookType,
  OwnerKindLabel,
  RelistReason,
  SkipReason,
  WorkloadLabels,
} from './metrics.ts';
export { negotiateFormat, renderMetrics, startMetricsServer } from './metrics-server.ts';
export { HealthChecks, startHealthServer } from './health.ts';
export type { CheckResult, CheckSet, HealthCheck, ReadinessGate } from './health.ts';
export { parseBindAddress } from './http-listener.ts';
export type { BindAddress, RunningServer } from './http-listener.ts';
export { createLogger } from './logger.ts';
export type { LogContext, LogFields, Logger, LoggerOptions } from './logger.ts';
export { LOG_LEVELS } from './log-levels.ts';
export { startTelemetry } from './telemetry.ts';
export type { Telemetry } from './telemetry.ts';
export type { LogLevel } from './log-levels.ts';
