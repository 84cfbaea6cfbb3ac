export { serviceAccountUser } from './attributes.ts';
export type { NonResourceAttributes, RequestAttributes, ResourceAttributes } from './attributes.ts';
export { RbacAuthorizer, clusterPolicy, forbidden } from './authorizer.ts';
export type { Binding, Decision, PolicySource } from './authorizer.ts';
export { ruleAllows, subjectMatches } from './rules.ts';
export type { PolicyRule, RoleRef, Subject } from './rules.ts';
