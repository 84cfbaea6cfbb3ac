export { FAULTS_ADMIN_PATH, handleFaultAdmin } from './admin.ts';
export { FaultInjector } from './injector.ts';
export type { FaultCounters, FaultState, WatchStreamLike } from './injector.ts';
export { faultFilter } from './filter.ts';
export { seededRandom } from './random.ts';
export { FaultRuleError, parseFaultRule, resourceName, ruleMatches } from './rules.ts';
export type { FaultErrorCode, FaultRequest, FaultRule } from './rules.ts';
