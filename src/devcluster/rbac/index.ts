export { RbacAuthorizer, clusterPolicy, rbacAuthorizer } from './authorizer.ts';
export type { Binding, PolicySource } from './authorizer.ts';
export { ruleAllows, subjectMatches } from './rules.ts';
export type { PolicyRule, RoleRef, Subject } from './rules.ts';
export { installBootstrapPolicy } from './bootstrap.ts';
