import { expect } from 'chai';
import fc from 'fast-check';
import { decideWorkload } from '../../../src/controller/init-hooks/workload-decision.ts';
import type { PodFacts, WorkloadFacts } from '../../../src/controller/init-hooks/workload-decision.ts';

const podFacts: fc.Arbitrary<PodFacts> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 5 }),
  uid: fc.uuid(),
  hasHooks: fc.boolean(),
  stillPending: fc.boolean(),
  restoreWait: fc.boolean(),
  initialized: fc.boolean(),
  ordinal: fc.nat(5),
  atCurrentRevision: fc.boolean(),
});

const workloadFacts: fc.Arbitrary<WorkloadFacts> = fc.record({
  kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'),
  updateStrategy: fc.constantFrom('RollingUpdate', 'OnDelete', 'Recreate'),
  podManagementPolicy: fc.constantFrom('OrderedReady', 'Parallel'),
  partition: fc.nat(3),
  templateHooks: fc.constantFrom('none', 'missing', 'present', 'conflict', 'invalid'),
  injectedByUs: fc.boolean(),
  cleanedUp: fc.boolean(),
  restore: fc.record({ active: fc.boolean(), finished: fc.boolean() }),
  cleanupPolicy: fc.constantFrom('RemoveAfterRestore', 'Retain'),
  pods: fc.array(podFacts, { maxLength: 6 }),
});

const rollsEveryPod = (w: WorkloadFacts) =>
  w.kind === 'Deployment' || (w.kind !== 'ReplicaSet' && w.updateStrategy === 'RollingUpdate');

describe('decideWorkload safety properties', () => {
  it('never deletes a pod that started, waits for a file-system restore, has its hooks, or is at the current revision', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        for (const victim of decideWorkload(w).deletePods) {
          const p = w.pods.find((x) => x.uid === victim.uid);
          expect(p).to.not.equal(undefined);
          expect(p!.stillPending && !p!.restoreWait && !p!.hasHooks && !p!.atCurrentRevision).to.equal(true);
        }
      }),
    );
  });

  it('injects only valid, conflict-free hooks that are missing, for an active restore', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (decideWorkload(w).template !== 'inject') return;
        expect(w.templateHooks).to.equal('missing');
        expect(w.restore.active).to.equal(true);
        expect(w.cleanedUp).to.equal(false);
      }),
    );
  });

  it('never triggers a rollout that would replace a pod whose application containers started', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (decideWorkload(w).template === 'inject' && rollsEveryPod(w)) {
          expect(w.pods.every((p) => p.stillPending)).to.equal(true);
        }
      }),
    );
  });

  it('removes only hooks it injected, and only after Velero finished', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (decideWorkload(w).template !== 'remove') return;
        expect(w.injectedByUs && w.restore.finished && w.cleanupPolicy === 'RemoveAfterRestore').to.equal(
          true,
        );
      }),
    );
  });

  it('writes nothing when the hooks are invalid or conflict', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (w.templateHooks !== 'invalid' && w.templateHooks !== 'conflict') return;
        const d = decideWorkload(w);
        expect(d.template).to.equal('keep');
        expect(d.deletePods).to.deep.equal([]);
      }),
    );
  });
});
