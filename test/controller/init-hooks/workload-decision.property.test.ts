import { expect } from 'chai';
import fc from 'fast-check';
import {
  MAX_ESCAPE_ROUNDS,
  decideWorkload,
  podsAffectDecision,
} from '../../../src/controller/init-hooks/workload-decision.ts';
import type { WorkloadFacts } from '../../../src/controller/init-hooks/workload-decision.ts';
import { podFactsArbitrary } from '../../helpers/pod-facts-arbitrary.ts';

/** Any pod, including those Velero restored itself (they came from the backup, not through admission). */
const podFacts = fc
  .tuple(podFactsArbitrary, fc.boolean())
  .map(([p, restoredByVelero]) => (restoredByVelero ? { ...p, restoredByVelero } : p));

const workloadFacts: fc.Arbitrary<WorkloadFacts> = fc
  .record({
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
    admitted: fc.boolean(),
    escapeRounds: fc.nat(MAX_ESCAPE_ROUNDS + 2),
    /** Which of the pods the last recorded round deletes (the cache may still show them). */
    lastRound: fc.array(fc.boolean(), { maxLength: 6 }),
  })
  .map(({ lastRound, ...w }) => ({
    ...w,
    escapeRoundPods: w.pods.filter((_, i) => lastRound[i]).map((p) => p.uid),
  }));

/** The pods that will still exist: those being deleted before they ever started are going away. */
const staying = (w: WorkloadFacts) => w.pods.filter((p) => !p.deletedBeforeStart);
const rollsEveryPod = (w: WorkloadFacts) =>
  w.kind === 'Deployment' || (w.kind !== 'ReplicaSet' && w.updateStrategy === 'RollingUpdate');
/** Pods a rollout of this owner replaces (a StatefulSet keeps those below its partition). */
const rolledPods = (w: WorkloadFacts) =>
  staying(w).filter((p) => !(w.kind === 'StatefulSet' && (p.ordinal ?? 0) < (w.partition ?? 0)));

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

  it('never deletes a pod that started, waits for a file-system restore, has its hooks, or (unless admission recreates it) is at the current revision', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        const d = decideWorkload(w);
        for (const victim of d.deletePods) {
          const p = w.pods.find((x) => x.uid === victim.uid);
          expect(p).to.not.equal(undefined);
          expect(p!.stillPending && !p!.restoreWait && !p!.hasHooks).to.equal(true);
          // Recreated from an unchanged template, the pod comes back through admission, with its hooks.
          if (d.reason !== 'HandledAtAdmission') expect(p!.atCurrentRevision).to.not.equal(true);
        }
      }),
    );
  });

  it('a workload marked at admission is never patched (so never rolled) while escaped pods may still be recreated through admission', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (!w.admitted || decideWorkload(w).template !== 'inject') return;
        expect(w.escapeRounds).to.be.at.least(MAX_ESCAPE_ROUNDS);
        const escapedPending = staying(w).filter(
          (p) => !p.hasHooks && p.stillPending && p.createdDuringRestore && !p.restoredByVelero,
        );
        expect(escapedPending).to.not.deep.equal([]);
      }),
    );
  });

  it('flags escaped pods that started exactly when admission was bypassed for a started pod of the restore', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        const d = decideWorkload(w);
        if (d.reason !== 'HandledAtAdmission') {
          expect(d.escapedPodsStarted).to.equal(undefined);
          return;
        }
        const started = staying(w).filter(
          (p) => !p.hasHooks && !p.stillPending && p.createdDuringRestore && !p.restoredByVelero,
        );
        expect(d.escapedPodsStarted === true).to.equal(started.length > 0);
      }),
    );
  });

  it('counts an escape round exactly when it deletes a pod that escaped admission, and bounds the rounds', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        const d = decideWorkload(w);
        const escaped = d.deletePods.filter((p) => p.escaped);
        for (const victim of d.deletePods)
          expect(victim.escaped === true, victim.name).to.equal(
            d.reason === 'HandledAtAdmission' && !w.pods.find((x) => x.uid === victim.uid)!.restoredByVelero,
          );
        // Every escaped pod deleted is covered by a recorded round: the one this reconcile records first, or (the
        // last round's pods seen again) the last one, which names them; a round is counted only for a pod it does not.
        const lastRound = w.escapeRoundPods ?? [];
        if (d.escapeRound === undefined)
          for (const victim of escaped) {
            expect(w.escapeRounds ?? 0, victim.name).to.be.at.least(1);
            expect(lastRound, victim.name).to.include(victim.uid);
          }
        else {
          expect(d.escapeRound).to.equal((w.escapeRounds ?? 0) + 1);
          expect(
            escaped.some((victim) => !lastRound.includes(victim.uid) || (w.escapeRounds ?? 0) === 0),
          ).to.equal(true);
          expect(d.escapeRound).to.be.at.most(MAX_ESCAPE_ROUNDS);
        }
        if (escaped.length === 0) expect(d.escapeRound).to.equal(undefined);
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
        if (decideWorkload(w).template !== 'inject' || !rollsEveryPod(w) || staying(w).length === 0) return;
        expect(staying(w).some((p) => !p.hasHooks && p.stillPending && p.createdDuringRestore)).to.equal(
          true,
        );
      }),
    );
  });

  it('never rolls out pods that all have their hooks', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (staying(w).length > 0 && staying(w).every((p) => p.hasHooks))
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
        // Left to admission, a workload's pods older than the restore (adopted) are not the restore's to report.
        const ofRestore = (p: (typeof w.pods)[number]) =>
          d.reason !== 'HandledAtAdmission' || p.createdDuringRestore;
        const missed = staying(w).filter(
          (p) => !p.hasHooks && !p.stillPending && !rolled.has(p) && ofRestore(p),
        );
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

  it('never reports a pod that is deleted before it ever started as skipped', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        const names = new Set(staying(w).map((p) => p.name));
        for (const s of decideWorkload(w).skippedPods) expect(names.has(s.name)).to.equal(true);
      }),
    );
  });

  it('reads pods only where they can change the decision: otherwise deciding without them gives the same', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        if (podsAffectDecision(w)) return;
        expect(decideWorkload(w)).to.deep.equal(decideWorkload({ ...w, pods: [] }));
      }),
      { numRuns: 2000 },
    );
  });

  it('skips the pod reads of a Deployment whose template has the hooks, during the restore', () => {
    fc.assert(
      fc.property(workloadFacts, (w) => {
        const deployment = { ...w, kind: 'Deployment' as const, templateHooks: 'present' as const };
        const cleanupWaits =
          deployment.injectedByUs && deployment.cleanupPolicy === 'RemoveAfterRestore' && w.restore.finished;
        expect(podsAffectDecision(deployment)).to.equal(cleanupWaits && w.restore.active);
      }),
    );
  });
});
