import { expect } from 'chai';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../../src/hooks/validate.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import { RESTORE_LABEL } from '../../../src/controller/marks.ts';
import type { RestoreLookup } from '../../../src/controller/restore-directory.ts';
import {
  ADOPTION_RECHECK_MS,
  planBarePod,
  planHooksNotInTemplate,
  planJobPod,
} from '../../../src/controller/init-hooks/pod-plan.ts';
import type { PodObservation, PodPlan } from '../../../src/controller/init-hooks/pod-plan.ts';

import { HOOK, NOW, START, flatEffects, hooks, restorePod } from './plan-fixtures.ts';
const noSpecHooks = parseRestoreHooks({ spec: {} }, DEFAULT_HOOK_POLICY);
const lookup = (h = hooks): RestoreLookup => ({
  found: true,
  restore: {
    metadata: { name: 'r1', namespace: 'velero', uid: 'restore-uid' },
    status: { phase: 'InProgress', startTimestamp: START },
  },
  hooks: h,
});
const ANNOTATION_HOOK = {
  'init.hook.restore.velero.io/container-name': 'own-hook',
  'init.hook.restore.velero.io/container-image': 'alpine:3',
  'init.hook.restore.velero.io/command': '["true"]',
};

function pod(
  overrides: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    initContainers?: unknown[];
    started?: boolean;
  } = {},
): Pod {
  return restorePod('p', { ...overrides, labels: overrides.labels ?? { 'velero.io/restore-name': 'r1' } });
}

function observation(p: Pod, l: RestoreLookup | undefined = lookup()): PodObservation {
  return { pod: p, lookup: l, nowMs: NOW, settings: { hookWindowMs: 600_000, policy: DEFAULT_HOOK_POLICY } };
}

const events = (plan: PodPlan) => flatEffects(plan.effects).flatMap((e) => ('event' in e ? [e.event] : []));
const metrics = (plan: PodPlan) =>
  flatEffects(plan.effects).flatMap((e) => ('metric' in e ? [e.labels] : []));

describe('pod plan', () => {
  describe('a bare restored pod', () => {
    const cases: {
      name: string;
      obs: PodObservation;
      replace: boolean;
      event?: string;
      skipMetric?: string;
      skippedPod?: boolean;
      requeue?: number;
    }[] = [
      { name: 'no restore label', obs: observation(pod({ labels: {} })), replace: false },
      {
        name: 'awaiting adoption by its owner',
        obs: observation(pod({ labels: { 'velero.io/restore-name': 'r1', 'pod-template-hash': 'abc' } })),
        replace: false,
        requeue: ADOPTION_RECHECK_MS,
      },
      {
        name: 'its Restore is gone',
        obs: observation(pod(), { found: false, reason: 'NotFound' }),
        replace: false,
      },
      { name: 'pending, hooks missing', obs: observation(pod()), replace: true },
      { name: 'no hook applies', obs: observation(pod(), lookup(noSpecHooks)), replace: false },
      {
        name: 'its application containers started',
        obs: observation(pod({ started: true })),
        replace: false,
        event: 'HookSkipped',
        skipMetric: 'already-running',
        skippedPod: true,
      },
      {
        name: "Velero's file-system restore runs in it",
        obs: observation(
          pod({ initContainers: [{ name: 'restore-wait', image: 'velero/velero-restore-helper' }] }),
        ),
        replace: false,
        event: 'HookSkipped',
        skipMetric: 'file-system-restore',
        skippedPod: true,
      },
      {
        name: 'an init container of a hook name with other content',
        obs: observation(pod({ initContainers: [{ ...HOOK, command: ['false'] }] })),
        replace: false,
        event: 'HookConflict',
        skipMetric: 'hook-conflict',
      },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.replace ? 'replaced' : (c.event ?? 'nothing')}`, () => {
        const plan = planBarePod(c.obs);
        expect(plan.replace !== undefined).to.equal(c.replace);
        expect(events(plan).map((e) => e.reason)).to.deep.equal(c.event ? [c.event] : []);
        expect(metrics(plan).map((m) => (m as { reason?: string }).reason)).to.deep.equal(
          c.skipMetric ? [c.skipMetric] : [],
        );
        expect(plan.skippedPod).to.deep.equal(
          c.skippedPod ? { restore: 'velero/r1', pod: 'app/p' } : undefined,
        );
        expect(plan.requeueAfterMs).to.equal(c.requeue);
      });

    it('the replacement runs the hooks, carries our mark and records what it added', () => {
      const replace = planBarePod(observation(pod())).replace!;
      expect(replace.hooks).to.deep.equal(['restore-hook']);
      expect(replace.replacement.spec.initContainers?.map((c) => c.name)).to.deep.equal(['restore-hook']);
      expect(replace.replacement.metadata.labels?.[RESTORE_LABEL]).to.equal('r1');
      expect(replace.replacement.metadata.annotations?.['restore-hooks.dev/applied-init-hooks']).to.contain(
        'velero/r1',
      );
    });
  });

  it("a Job's pod whose hooks apply is reported once, naming its Restore", () => {
    const job = {
      metadata: {
        name: 'j',
        namespace: 'app',
        uid: 'j-uid',
        creationTimestamp: '2026-01-01T00:01:00Z',
        labels: { 'velero.io/restore-name': 'r1' },
      },
      spec: { template: { spec: { containers: [] } } },
    } as unknown as Workload;
    const plan = planJobPod({ ...observation(pod({ labels: {} })), job });
    expect(events(plan).map((e) => e.note)).to.deep.equal([
      "Pod p of Job j will not run the init hooks of Restore velero/r1: a Job's pod template is immutable. Add the init containers to the Job in the backup, or run the setup another way.",
    ]);
    expect(metrics(plan)).to.deep.equal([
      { restore: 'r1', namespace: 'app', kind: 'Job', reason: 'job-owned' },
    ]);
    expect(plan.skippedPod).to.deep.equal({ restore: 'velero/r1', pod: 'app/p' });
    // Once the hooks are there, nothing to say.
    expect(
      planJobPod({ ...observation(pod({ labels: {}, initContainers: [HOOK] })), job }).effects,
    ).to.deep.equal([]);
  });

  describe("a pod's own hook annotations that its workload's template lacks", () => {
    const workload = (annotations: Record<string, string>) =>
      ({
        metadata: { name: 'web', namespace: 'app', uid: 'web-uid' },
        spec: { template: { metadata: { annotations }, spec: { containers: [] } } },
      }) as unknown as Workload;
    const cases = [
      { name: 'the template lacks them', template: {}, reported: true },
      { name: 'the template has the same ones', template: ANNOTATION_HOOK, reported: false },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.reported ? 'reported' : 'nothing'}`, () => {
        const plan = planHooksNotInTemplate({
          ...observation(pod({ annotations: ANNOTATION_HOOK }), lookup(noSpecHooks)),
          kind: 'StatefulSet',
          workload: workload(c.template),
        });
        expect(events(plan).length).to.equal(c.reported ? 1 : 0);
        if (c.reported) {
          expect(events(plan)[0]!.note).to.contain('own-hook of Restore velero/r1');
          expect(events(plan)[0]!.note).to.contain('not on the pod template of StatefulSet web');
        }
      });
  });
});
