import { expect } from 'chai';
import fc from 'fast-check';
import { decideReplicaSets } from '../../../src/controller/init-hooks/replicaset-decision.ts';
import { podFactsArbitrary } from '../../helpers/pod-facts-arbitrary.ts';
import type {
  DeploymentFacts,
  DeploymentPodFacts,
  ReplicaSetFacts,
} from '../../../src/controller/init-hooks/replicaset-decision.ts';

const NAMES = ['rs-a', 'rs-b', 'rs-c'];
const templateHooks = fc.constantFrom('none', 'missing', 'present', 'conflict', 'invalid');

const replicaSet = (name: string): fc.Arbitrary<ReplicaSetFacts> =>
  fc.record({
    name: fc.constant(name),
    uid: fc.constant(`uid-${name}`),
    ofRestore: fc.boolean(),
    templateHooks,
    replicas: fc.nat(3),
    joinsDeployment: fc.boolean(),
    observed: fc.boolean(),
  });

const podFacts: fc.Arbitrary<DeploymentPodFacts> = fc
  .tuple(podFactsArbitrary, fc.option(fc.constantFrom(...NAMES, 'elsewhere'), { nil: undefined }))
  .map(([p, replicaSet]) => (replicaSet === undefined ? p : { ...p, replicaSet }));

const deploymentFacts: fc.Arbitrary<DeploymentFacts> = fc.record({
  templateHooks,
  rollsOutAllAtOnce: fc.boolean(),
  restoreActive: fc.boolean(),
  cleanedUp: fc.boolean(),
  rollout: fc.record({ paused: fc.boolean(), pausedByUs: fc.boolean(), observed: fc.boolean() }),
  replicaSets: fc.subarray(NAMES).chain((names) => fc.tuple(...names.map(replicaSet))),
  pods: fc.array(podFacts, { maxLength: 6 }),
});

const hooksInPlace = (d: DeploymentFacts) =>
  d.templateHooks === 'present' && d.restoreActive && !d.cleanedUp && !d.rollsOutAllAtOnce;

describe('decideReplicaSets safety properties', () => {
  it('deletes only pending pods of the restore without hooks and without restore-wait, once their ReplicaSet of the restore has the hooks and its controller has seen them', () => {
    fc.assert(
      fc.property(deploymentFacts, (d) => {
        for (const victim of decideReplicaSets(d).deletePods) {
          const p = d.pods.find((x) => x.uid === victim.uid)!;
          const owner = d.replicaSets.find((r) => r.name === p.replicaSet);
          expect(p.stillPending && p.createdDuringRestore && !p.hasHooks && !p.restoreWait).to.equal(true);
          expect(owner?.ofRestore && owner.templateHooks === 'present' && owner.observed).to.equal(true);
        }
      }),
    );
  });

  it('writes a ReplicaSet only when it belongs to the restore and lacks hooks the Deployment has, so a hook is never added twice', () => {
    fc.assert(
      fc.property(deploymentFacts, (d) => {
        for (const name of decideReplicaSets(d).patchReplicaSets) {
          const r = d.replicaSets.find((x) => x.name === name)!;
          expect(hooksInPlace(d) && r.ofRestore && r.templateHooks === 'missing').to.equal(true);
        }
      }),
    );
  });

  it('writes nothing, and deletes nothing, while the Deployment controller may not have seen our pause', () => {
    fc.assert(
      fc.property(deploymentFacts, (d) => {
        if (!d.rollout.pausedByUs || d.rollout.observed || !hooksInPlace(d)) return;
        const decision = decideReplicaSets(d);
        expect(decision.patchReplicaSets).to.deep.equal([]);
        expect(decision.deletePods).to.deep.equal([]);
        expect(decision.resume).to.equal(false);
      }),
    );
  });

  it('resumes a Deployment it paused in the same step that gives every joining ReplicaSet of the restore the hooks', () => {
    fc.assert(
      fc.property(deploymentFacts, (d) => {
        const decision = decideReplicaSets(d);
        if (!decision.resume) return;
        expect(d.rollout.pausedByUs).to.equal(true);
        if (!hooksInPlace(d)) return;
        const joining = d.replicaSets.filter(
          (r) => r.ofRestore && r.joinsDeployment && r.templateHooks === 'missing',
        );
        expect(decision.patchReplicaSets).to.include.members(joining.map((r) => r.name));
      }),
    );
  });

  it('never leaves a Deployment paused by us: it resumes, or waits for the Deployment controller', () => {
    fc.assert(
      fc.property(deploymentFacts, (d) => {
        if (!d.rollout.pausedByUs) return;
        const decision = decideReplicaSets(d);
        expect(decision.resume || decision.waitingFor === 'DeploymentController').to.equal(true);
      }),
    );
  });

  it('leaves no pending pod of the restore without hooks unattended: deleted, waited for, or reported', () => {
    fc.assert(
      fc.property(deploymentFacts, (d) => {
        if (!hooksInPlace(d)) return;
        const decision = decideReplicaSets(d);
        if (decision.waitingFor === 'DeploymentController') return;
        for (const p of d.pods) {
          const owner = d.replicaSets.find((r) => r.name === p.replicaSet);
          const patched = owner && decision.patchReplicaSets.includes(owner.name);
          const hookable = owner?.ofRestore && (owner.templateHooks === 'present' || patched);
          if (!p.stillPending || p.hasHooks || !p.createdDuringRestore || !hookable) continue;
          const handled =
            decision.deletePods.some((v) => v.uid === p.uid) ||
            decision.skippedPods.some((s) => s.name === p.name && s.reason === 'RestoreWait') ||
            decision.waitingFor === 'ReplicaSetController';
          expect(handled, `pod ${p.name}`).to.equal(true);
        }
      }),
    );
  });

  it('reports every started pod without hooks in a ReplicaSet of the restore that stays current, and no other', () => {
    fc.assert(
      fc.property(deploymentFacts, (d) => {
        if (!hooksInPlace(d) || (d.rollout.pausedByUs && !d.rollout.observed)) return;
        const started = d.pods.filter((p) => {
          const owner = d.replicaSets.find((r) => r.name === p.replicaSet);
          return (
            !p.stillPending &&
            !p.deletedBeforeStart &&
            !p.hasHooks &&
            p.createdDuringRestore &&
            owner?.ofRestore &&
            owner.joinsDeployment
          );
        });
        const reported = decideReplicaSets(d)
          .skippedPods.filter((s) => s.reason === 'AppContainersStarted')
          .map((s) => s.name);
        expect(reported).to.deep.equal(started.map((p) => p.name));
      }),
    );
  });
});
