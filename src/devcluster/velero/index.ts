export { FixtureError, loadBackupFixture, parseManifests } from './fixtures.ts';
export { globMatches, includedBy } from './glob.ts';
export { BACKUP_NAME_LABEL, RESTORE_NAME_LABEL, veleroLabelValue } from './labels.ts';
export { planRestore } from './plan.ts';
export type { PlannedObject, RestorePlan, RestoreSpecLike, SkippedObject } from './plan.ts';
export { resourceTypeOf, restoreRank } from './resources.ts';
export type { ResourceType } from './resources.ts';
