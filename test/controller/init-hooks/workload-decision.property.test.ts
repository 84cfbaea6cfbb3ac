import { expect } from 'chai';
import fc from 'fast-check';
import { decideWorkload } from '../../../src/controller/init-hooks/workload-decision.ts';
import type { PodFacts, WorkloadFacts } from '../../../src/controller/init-hooks/workload-decision.ts';

const podFacts: fc.Arbitrary<PodFacts> = fc.record({
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
/** Pods a rollout of this owner replaces (a StatefulSet keeps those below its partition). */
const rolledPods = (w: WorkloadFacts) =>
  w.pods.filter((p) => !(w.kind === 'StatefulSet' && (p.ordinal ?? 0) < (w.partition ?? 0)));

describe('decideWorkload safety properties', () => {
  it('never patches a rolling owner whose rollout would replace a pod holding file-system-restored emptyDir data', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        const d = decideWorkload(w);
        if (d.template === 'inject' && rollsEveryPod(w))
          expect(rolledPods(w).some((p) => p.holdsRestoredData)).to.equal(false);
      }),
    );
  });

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

  it('triggers a rollout of existing pods only when a pending pod of the restore still lacks the hooks', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (decideWorkload(w).template !== 'inject' || !rollsEveryPod(w) || w.pods.length === 0) return;
        expect(w.pods.some((p) => !p.hasHooks && p.stillPending && p.createdDuringRestore)).to.equal(true);
      }),
    );
  });

  it('never rolls out pods that all have their hooks', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (w.pods.length > 0 && w.pods.every((p) => p.hasHooks))
          expect(decideWorkload(w).template).to.not.equal('inject');
      }),
    );
  });

  it('never triggers a rollout that would delete a pod whose file-system restore is in progress', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (decideWorkload(w).template !== 'inject' || !rollsEveryPod(w)) return;
        expect(rolledPods(w).some((p) => p.stillPending && p.restoreWait)).to.equal(false);
      }),
    );
  });

  it('reports every started pod without hooks that no rollout will replace', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        const d = decideWorkload(w);
        if (w.templateHooks !== 'missing' || !w.restore.active || w.cleanedUp || d.template === 'remove')
          return;
        if (d.reason === 'WaitingForFileSystemRestore') return;
        const rolled = new Set(d.template === 'inject' && rollsEveryPod(w) ? rolledPods(w) : []);
        const missed = w.pods.filter((p) => !p.hasHooks && !p.stillPending && !rolled.has(p));
        const reported = d.skippedPods.filter((s) => s.reason === 'AppContainersStarted').map((s) => s.name);
        expect(reported).to.deep.equal(missed.map((p) => p.name));
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
