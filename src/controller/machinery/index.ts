// The controller machinery's public surface, for the reconcilers and the `run` command.
export { createApiClients } from './api-clients.ts';
export type { ApiClientOptions, ApiClients } from './api-clients.ts';
export { instrumentedHttpLibrary } from './transport.ts';
export type { TransportOptions } from './transport.ts';
export {
  apiErrorCode,
  apiErrorStatus,
  describeApiError,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  isTooManyRequests,
  retryAfterMs,
} from './api-errors.ts';
export type { ApiStatus } from './api-errors.ts';
export { sleep, systemClock } from './clock.ts';
export type { Clock, Timer } from './clock.ts';
export { Controller } from './controller.ts';
export type { ControllerOptions, ReconcileContext, ReconcileFunc, ReconcileResult } from './controller.ts';
export { enqueueHandler, mappedHandler } from './event-handlers.ts';
export type { EventMapping, KeySink, ObjectEvent } from './event-handlers.ts';
export { Indexer, NAMESPACE_INDEX, labelIndex, ownerUidIndex } from './indexer.ts';
export type { IndexFunc } from './indexer.ts';
export { Informer } from './informer.ts';
export type { InformerEventHandler, InformerOptions, ReadonlyIndexer, RecoveryEvent } from './informer.ts';
export { objectKey, splitObjectKey } from './kube-object.ts';
export type { KubeObject, ObjectWithMeta } from './kube-object.ts';
export {
  DEFAULT_LEADER_ELECTION_TIMINGS,
  LeaderElector,
  validateLeaderElectionTimings,
} from './leader-election.ts';
export type { LeaderElectionOptions, LeaderElectionTimings, LeaseClient } from './leader-election.ts';
export { KubeListWatch } from './list-watch.ts';
export type { ListWatch, Selectors } from './list-watch.ts';
export { silentLogger } from './logger.ts';
export type { LogMeta, Logger } from './logger.ts';
export { ClientRateLimiter } from './rate-limit.ts';
export type { ClientRateLimitOptions } from './rate-limit.ts';
export {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.ts';
export type { RateLimiter } from './rate-limiter.ts';
export { DEFAULT_BACKOFF, DEFAULT_RETRY, retryOnConflict, retryOnError } from './retry.ts';
export type { Backoff } from './retry.ts';
export { TokenBucket } from './token-bucket.ts';
export { WorkQueue } from './workqueue.ts';
export type { WorkQueueOptions } from './workqueue.ts';
