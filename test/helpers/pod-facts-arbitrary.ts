import fc from 'fast-check';
import type { PodFacts } from '../../src/controller/init-hooks/workload-decision.ts';

/** Any facts of one pod of a workload, as the decisions see them; a pod being deleted is never still pending. */
export const podFactsArbitrary: fc.Arbitrary<PodFacts> = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 5 }),
    uid: fc.uuid(),
    hasHooks: fc.boolean(),
    stillPending: fc.boolean(),
    createdDuringRestore: fc.boolean(),
    restoreWait: fc.boolean(),
    holdsRestoredData: fc.boolean(),
    initialized: fc.boolean(),
    ordinal: fc.nat(5),
    atCurrentRevision: fc.boolean(),
    deletedBeforeStart: fc.boolean(),
  })
  .map((p) => (p.deletedBeforeStart ? { ...p, stillPending: false } : p));
