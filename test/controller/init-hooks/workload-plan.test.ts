import { expect } from 'chai';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import type { Pod, Workload } from '../../../src/kube/types.ts';
import {
  ADMISSION_BYPASSED_ANNOTATION,
  ESCAPED_PODS_DELETED_ANNOTATION,
  PAUSED_FOR_HOOKS_ANNOTATION,
  RESTORE_LABEL,
  TEMPLATE_PATCH_REFUSED_ANNOTATION,
} from '../../../src/controller/marks.ts';
import type { RestoreLookup, RestoreObject } from '../../../src/controller/restore-directory.ts';
import {
  DELETED_PODS_RECHECK_MS,
  FILE_SYSTEM_RESTORE_RECHECK_MS,
  OTHER_CONTROLLER_RECHECK_MS,
  OWN_WRITE_RECHECK_MS,
  REPLACEMENTS_RECHECK_MS,
  liveReadsNeeded,
  onTemplatePath,
  planWorkload,
} from '../../../src/controller/init-hooks/workload-plan.ts';
import type {
  Effect,
  PatchStep,
  WorkloadObservation,
  WorkloadPlan,
} from '../../../src/controller/init-hooks/workload-plan.ts';
import type { WorkloadKind } from '../../../src/controller/workload-kinds.ts';

import { HOOK, NOW, START, hooks, restorePod } from './plan-fixtures.ts';

function restoreObject(
  status: RestoreObject['status'] = { phase: 'InProgress', startTimestamp: START },
): RestoreObject {
  return { metadata: { name: 'r1', namespace: 'velero', uid: 'restore-uid' }, status };
}
const found = (restore = restoreObject()): RestoreLookup => ({ found: true, restore, hooks });

function workload(
  kind: WorkloadKind,
  overrides: {
    annotations?: Record<string, string>;
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
  } = {},
): Workload {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: {
      name: 'web',
      namespace: 'app',
      uid: 'web-uid',
      generation: 1,
      resourceVersion: '10',
      creationTimestamp: '2026-01-01T00:01:00Z',
      labels: { 'velero.io/restore-name': 'r1' },
      ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
    },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
      ...overrides.spec,
    },
    status: { observedGeneration: 1, ...overrides.status },
  } as Workload;
}

function pendingPod(name: string, extra: { initContainers?: unknown[]; owner?: string } = {}): Pod {
  const pod = restorePod(name, {
    labels: { app: 'web' },
    ...(extra.initContainers ? { initContainers: extra.initContainers } : {}),
    ...(extra.owner ? { owner: { kind: 'ReplicaSet', name: extra.owner, uid: `${extra.owner}-uid` } } : {}),
  });
  return { ...pod, metadata: { ...pod.metadata, resourceVersion: '5' } };
}

function observation(w: Workload, overrides: Partial<WorkloadObservation> = {}): WorkloadObservation {
  return {
    kind: w.kind as WorkloadKind,
    workload: w,
    lookup: found(),
    ownWriteLags: false,
    replicaSetsAwaitingAdoption: [],
    admissionServed: false,
    nowMs: NOW,
    settings: {
      hookWindowMs: 600_000,
      cleanupPolicy: 'RemoveAfterRestore',
      policy: DEFAULT_HOOK_POLICY,
      cleanupPollMs: 30_000,
    },
    ...overrides,
  };
}

/** The observation as `observe` completes it: the live lists the plan asks for. */
function observed(
  w: Workload,
  pods: Pod[],
  replicaSets: Workload[] = [],
  overrides: Partial<WorkloadObservation> = {},
) {
  const base = observation(w, overrides);
  const needed = liveReadsNeeded(base);
  if (!needed.pods) return base;
  return { ...base, pods, ...(needed.replicaSets(pods) ? { replicaSets } : {}) };
}

/** The steps as a readable list: `patch:<what>`, `delete:<pod>`, `effects`. */
function shape(plan: WorkloadPlan): string[] {
  return plan.steps.map((s) =>
    s.do === 'patch' ? `patch:${s.what}` : s.do === 'deletePod' ? `delete:${s.name}` : 'effects',
  );
}

function allEffects(plan: WorkloadPlan): Effect[] {
  const flat = (list: readonly Effect[]): Effect[] =>
    list.flatMap((e) => ('once' in e ? flat(e.effects) : [e]));
  return plan.steps.flatMap((s) =>
    flat(s.do === 'effects' ? s.effects : s.do === 'patch' ? s.ifWritten : s.ifDeleted),
  );
}
const eventReasons = (plan: WorkloadPlan) =>
  allEffects(plan).flatMap((e) => ('event' in e ? [e.event.reason] : []));

/** The Deployment's ReplicaSet of the restore, from its template without the hooks. */
function replicaSet(): Workload {
  const rs = workload('ReplicaSet');
  return {
    ...rs,
    metadata: {
      ...rs.metadata,
      name: 'web-abc',
      uid: 'web-abc-uid',
      labels: { 'pod-template-hash': 'abc' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'web-uid', controller: true },
      ],
    },
  };
}

/** The pod template as our injection patch leaves it. */
function hookedSpec() {
  const patch = (
    planWorkload(observed(workload('ReplicaSet'), [pendingPod('web-1')])).steps[1] as PatchStep
  ).build(workload('ReplicaSet')) as {
    spec: {
      template: { metadata: { annotations: Record<string, string> }; spec: { initContainers: unknown[] } };
    };
  };
  return {
    template: {
      metadata: { labels: { app: 'web' }, annotations: patch.spec.template.metadata.annotations },
      spec: {
        initContainers: patch.spec.template.spec.initContainers,
        containers: [{ name: 'app', image: 'nginx' }],
      },
    },
  };
}

describe('workload plan', () => {
  describe('the gate: when the workload is left alone', () => {
    const cases: { name: string; obs: WorkloadObservation; steps: string[]; requeue?: number }[] = [
      {
        name: 'no restore label',
        obs: observation(workload('StatefulSet'), { lookup: undefined }),
        steps: [],
      },
      {
        name: 'a ReplicaSet of a Deployment (changed through the Deployment)',
        obs: observation({
          ...workload('ReplicaSet'),
          metadata: {
            ...workload('ReplicaSet').metadata,
            labels: { 'velero.io/restore-name': 'r1', 'pod-template-hash': 'abc' },
          },
        }),
        steps: [],
      },
      {
        name: 'the Restore is gone, a Deployment we paused: resumed',
        obs: observation(
          workload('Deployment', { annotations: { [PAUSED_FOR_HOOKS_ANNOTATION]: 'velero/r1' } }),
          {
            lookup: { found: false, reason: 'NotFound' },
          },
        ),
        steps: ['patch:resume'],
      },
      {
        name: 'the label matches Restores in several namespaces: a warning only',
        obs: observation(workload('StatefulSet'), { lookup: { found: false, reason: 'Ambiguous' } }),
        steps: ['effects'],
      },
      {
        name: 'created before the restore started: not a member',
        obs: observation(workload('StatefulSet'), {
          lookup: found(restoreObject({ phase: 'InProgress', startTimestamp: '2026-01-01T00:03:00Z' })),
        }),
        steps: ['effects'],
      },
      {
        name: 'the cache does not show our last write yet',
        obs: observation(workload('StatefulSet'), { ownWriteLags: true }),
        steps: ['effects'],
        requeue: OWN_WRITE_RECHECK_MS,
      },
      {
        name: 'a Deployment whose restored ReplicaSets await adoption',
        obs: observation(workload('Deployment'), { replicaSetsAwaitingAdoption: ['web-abc'] }),
        steps: ['effects'],
        requeue: OTHER_CONTROLLER_RECHECK_MS,
      },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.steps.join(', ') || 'nothing'}, requeue ${c.requeue ?? 'none'}`, () => {
        const plan = planWorkload(c.obs);
        expect(shape(plan)).to.deep.equal(c.steps);
        expect(plan.requeueAfterMs, JSON.stringify(plan.outcome)).to.equal(c.requeue);
        expect(plan.outcome).to.equal(undefined);
        expect(liveReadsNeeded(c.obs).pods).to.equal(false);
      });
  });

  it('a ReplicaSet of its own with a pending pod: hooks the template, and only then deletes the pod', () => {
    const obs = observed(workload('ReplicaSet'), [pendingPod('web-1')]);
    const plan = planWorkload(obs);
    expect(shape(plan)).to.deep.equal(['effects', 'patch:injectTemplate']);
    const patch = plan.steps[1] as PatchStep;
    expect(patch.stopUnlessWritten).to.equal(true);
    expect(patch.endIfWritten).to.equal(undefined);
    expect(eventReasons(plan)).to.deep.equal(['HookInjected']);
    expect(plan.outcome).to.include({
      restore: 'velero/r1',
      workload: 'ReplicaSet/app/web',
      decision: 'InjectHooks',
    });
    // The template's update event brings the next step.
    expect(plan.requeueAfterMs).to.equal(undefined);
    // The patch is rebuilt from the fresh object; one that already has the hooks needs none.
    expect(patch.build(obs.workload)).to.be.an('object');
    expect(patch.build(workload('ReplicaSet', { spec: hookedSpec() }))).to.equal(undefined);

    const next = planWorkload(
      observed(workload('ReplicaSet', { spec: hookedSpec() }), [pendingPod('web-1')]),
    );
    expect(shape(next)).to.deep.equal(['effects', 'delete:web-1']);
    expect(eventReasons(next)).to.deep.equal(['PodReplaced']);
    expect(next.requeueAfterMs).to.equal(DELETED_PODS_RECHECK_MS);
  });

  it('a Deployment whose roll-out races its pending pods: pauses with the patch and ends there', () => {
    const plan = planWorkload(
      observed(workload('Deployment'), [pendingPod('web-1', { owner: 'web-abc' })], [replicaSet()]),
    );
    expect(shape(plan)).to.deep.equal(['effects', 'patch:injectTemplate']);
    const patch = plan.steps[1] as PatchStep;
    // The next step (hook the ReplicaSets) waits for the Deployment controller to see the pause: no loop here.
    expect(patch.endIfWritten).to.deep.include({ requeueAfterMs: OTHER_CONTROLLER_RECHECK_MS });
    expect(patch.endIfWritten?.outcome?.decision).to.equal('InjectHooks');
    const body = patch.build(workload('Deployment')) as { spec: { paused?: boolean } };
    expect(body.spec.paused).to.equal(true);
  });

  it('a Deployment we paused: hooks its ReplicaSet and resumes it, then waits for the next event', () => {
    const paused = workload('Deployment', {
      annotations: { [PAUSED_FOR_HOOKS_ANNOTATION]: 'velero/r1' },
      spec: {
        paused: true,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { initContainers: [HOOK], containers: [{ name: 'app', image: 'nginx' }] },
        },
      },
    });
    const rs: Workload = {
      ...workload('ReplicaSet'),
      metadata: {
        ...workload('ReplicaSet').metadata,
        name: 'web-abc',
        uid: 'web-abc-uid',
        labels: { 'pod-template-hash': 'abc' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'web-uid', controller: true },
        ],
      },
    };
    const plan = planWorkload(observed(paused, [pendingPod('web-abc-1', { owner: 'web-abc' })], [rs]));
    expect(shape(plan).filter((s) => s.startsWith('patch'))).to.deep.equal([
      'patch:hookReplicaSet',
      'patch:resume',
    ]);
    expect(plan.outcome?.decision).to.equal('InjectHooks');
    expect(plan.requeueAfterMs).to.equal(OTHER_CONTROLLER_RECHECK_MS);
  });

  it('a patch the API server refused is not tried again while the template and the hooks stay; the outcome says why', () => {
    const plan = planWorkload(observed(workload('ReplicaSet'), [pendingPod('web-1')]));
    expect(shape(plan)).to.include('patch:injectTemplate');
    const rejected = (plan.steps[1] as PatchStep).ifRejected?.('annotation too long');
    expect(rejected?.summary).to.equal('ReplicaSet app/web (rejected-by-api-server): annotation too long');
    // The record of the refusal, written on the workload, is what the next plan (on any replica) reads.
    const annotations = (rejected?.record as { metadata: { annotations: Record<string, string> } }).metadata
      .annotations;
    const refused = planWorkload(observed(workload('ReplicaSet', { annotations }), [pendingPod('web-1')]));
    expect(shape(refused)).to.not.include('patch:injectTemplate');
    expect(refused.outcome?.invalidHooks).to.equal(rejected?.summary);
    // Another template, or a record of another restore, tries again.
    const changed = workload('ReplicaSet', { annotations, spec: { minReadySeconds: 5 } });
    changed.spec.template = { ...changed.spec.template, metadata: { labels: { app: 'web', tier: 'x' } } };
    const [record] = Object.values(annotations);
    const otherRestore = workload('ReplicaSet', {
      annotations: {
        [TEMPLATE_PATCH_REFUSED_ANNOTATION]: record!.replace('"velero/r1"', '"velero/other"'),
      },
    });
    for (const w of [changed, otherRestore]) {
      const next = planWorkload(observed(w, [pendingPod('web-1')]));
      expect(shape(next)).to.include('patch:injectTemplate');
      expect(next.outcome?.invalidHooks).to.equal(undefined);
    }
  });

  describe('pods that keep escaping admission: a round recorded before each deletion, then the template path', () => {
    /** A StatefulSet marked at admission (its template carries the mark), with an escape record for r1. */
    const marked = (record?: string) => {
      const w = workload('StatefulSet', {
        ...(record ? { annotations: { [ESCAPED_PODS_DELETED_ANNOTATION]: record } } : {}),
      });
      return {
        ...w,
        spec: {
          ...w.spec,
          template: { ...w.spec.template, metadata: { labels: { app: 'web', [RESTORE_LABEL]: 'r1' } } },
        },
      } as Workload;
    };
    /** Created by its owner during the restore, with the mark and without the hooks: the pod webhook did not answer. */
    const escaped = () => {
      const p = pendingPod('web-1');
      return { ...p, metadata: { ...p.metadata, labels: { app: 'web', [RESTORE_LABEL]: 'r1' } } } as Pod;
    };
    const cases: {
      name: string;
      recorded?: string;
      steps: string[];
      /** What the escape record says once the plan's patch is written (none: no patch of it). */
      annotation?: string;
      bypassed?: string;
    }[] = [
      {
        name: 'none recorded',
        steps: ['effects', 'patch:recordEscapeRound', 'delete:web-1'],
        annotation: '1/velero/r1;web-1-uid',
      },
      {
        name: '1 recorded, for an earlier pod',
        recorded: '1/velero/r1;web-0-uid',
        steps: ['effects', 'effects', 'patch:recordEscapeRound', 'delete:web-1'],
        annotation: '2/velero/r1;web-1-uid',
      },
      {
        name: '2 recorded, for an earlier pod',
        recorded: '2/velero/r1;web-0-uid',
        steps: ['effects', 'effects', 'patch:recordEscapeRound', 'delete:web-1'],
        annotation: '3/velero/r1;web-1-uid',
      },
      {
        name: '1 recorded, for this pod (its deletion was refused, or the cache still shows it): deleted again, no new round',
        recorded: '1/velero/r1;web-1-uid',
        steps: ['effects', 'effects', 'delete:web-1'],
      },
      {
        // The bound (MAX_ESCAPE_ROUNDS) as the docs and the Events state it, spelled out.
        name: '3 recorded, for this pod: still that round, deleted again',
        recorded: '3/velero/r1;web-1-uid',
        steps: ['effects', 'effects', 'delete:web-1'],
      },
      {
        name: '3 recorded, for an earlier pod: the template path',
        recorded: '3/velero/r1;web-0-uid',
        steps: ['effects', 'patch:injectTemplate'],
        bypassed: 'PodsEscaped/velero/r1',
      },
      {
        name: '3 recorded before the pods were (an older record): the template path',
        recorded: '3/velero/r1',
        steps: ['effects', 'patch:injectTemplate'],
        bypassed: 'PodsEscaped/velero/r1',
      },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.steps.filter((s) => s !== 'effects').join(', ')}`, () => {
        const w = marked(c.recorded);
        const plan = planWorkload(observed(w, [escaped()], [], { admissionServed: true }));
        expect(shape(plan)).to.deep.equal(c.steps);
        const patch = plan.steps.find((s): s is PatchStep => s.do === 'patch');
        const body = patch?.build(w) as
          | {
              metadata?: { annotations?: Record<string, string> };
              spec?: { template?: { spec?: { initContainers?: { name: string }[] } } };
            }
          | undefined;
        if (c.annotation !== undefined) {
          // The round is written first, guarded: a workload that already records it (a lagging cache) stops the
          // reconcile before any pod is deleted.
          expect(patch?.stopUnlessWritten).to.equal(true);
          expect(body?.metadata?.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION]).to.equal(c.annotation);
          expect(body?.spec, 'the template is not written').to.equal(undefined);
          expect(patch?.build(marked(c.annotation)), 'already recorded: nothing written').to.equal(undefined);
        }
        if (c.bypassed !== undefined) {
          // Past the bound: the hooks go into the template, which records why; the count stays as it was.
          expect(body?.spec?.template?.spec?.initContainers?.map((c) => c.name)).to.deep.equal([HOOK.name]);
          expect(body?.metadata?.annotations?.[ADMISSION_BYPASSED_ANNOTATION]).to.equal(c.bypassed);
          expect(body?.metadata?.annotations?.[ESCAPED_PODS_DELETED_ANNOTATION]).to.equal(undefined);
          expect(eventReasons(plan)).to.deep.equal(['AdmissionBypassed', 'HookInjected']);
        } else {
          expect(plan.requeueAfterMs).to.equal(DELETED_PODS_RECHECK_MS);
          expect(eventReasons(plan)).to.deep.equal([
            ...(c.recorded ? ['AdmissionBypassed'] : []),
            ...(c.annotation ? ['AdmissionBypassed'] : []),
            'PodReplaced',
          ]);
        }
      });
  });

  describe('the requeue policy', () => {
    const hooked = hookedSpec();
    const hookedPod = (name: string) =>
      pendingPod(name, { initContainers: hooked.template.spec.initContainers });
    const cases: {
      name: string;
      obs: () => WorkloadObservation;
      requeue: number | undefined;
      forget?: boolean;
    }[] = [
      {
        name: 'pods deleted: soon, their deletion events come too',
        obs: () => observed(workload('ReplicaSet', { spec: hooked }), [pendingPod('web-1')]),
        requeue: DELETED_PODS_RECHECK_MS,
      },
      {
        name: 'replacements of deleted pods still missing: every few seconds',
        obs: () =>
          observed(workload('ReplicaSet', { spec: hooked }), [hookedPod('web-1')], [], {
            replacingSinceMs: NOW - 1000,
          }),
        requeue: REPLACEMENTS_RECHECK_MS,
      },
      {
        name: 'every replacement there: nothing more, and the wait is forgotten',
        obs: () =>
          observed(workload('ReplicaSet', { spec: { ...hooked, replicas: 1 } }), [hookedPod('web-1')], [], {
            replacingSinceMs: NOW - 1000,
          }),
        requeue: undefined,
        forget: true,
      },
      {
        name: "a pod under Velero's file-system restore: polled",
        obs: () =>
          observed(workload('StatefulSet', { spec: { podManagementPolicy: 'Parallel' } }), [
            pendingPod('web-0', {
              initContainers: [{ name: 'restore-wait', image: 'velero/velero-restore-helper' }],
            }),
          ]),
        requeue: FILE_SYSTEM_RESTORE_RECHECK_MS,
      },
      {
        name: 'a finished restore whose hooks we injected: at the end of the window, at most the cleanup poll',
        obs: () =>
          observed(workload('StatefulSet', { spec: hooked }), [], [], {
            lookup: found(
              restoreObject({
                phase: 'Completed',
                startTimestamp: START,
                completionTimestamp: '2026-01-01T00:04:00Z',
              }),
            ),
          }),
        requeue: 30_000,
      },
      {
        name: 'nothing to do: on the next event only',
        obs: () => observed(workload('StatefulSet', { spec: hooked }), [], []),
        requeue: undefined,
      },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.requeue ?? 'none'}`, () => {
        const plan = planWorkload(c.obs());
        expect(plan.requeueAfterMs, JSON.stringify(plan.outcome)).to.equal(c.requeue);
        expect(plan.forgetReplacing ?? false).to.equal(c.forget ?? false);
      });
  });

  describe('which workloads the queue hands out first (on the template path)', () => {
    const cases: { name: string; workload: () => Workload; first: boolean }[] = [
      { name: 'a workload without our marks', workload: () => workload('Deployment'), first: false },
      {
        name: 'a Deployment we paused',
        workload: () =>
          workload('Deployment', { annotations: { [PAUSED_FOR_HOOKS_ANNOTATION]: 'velero/r1' } }),
        first: true,
      },
      {
        name: 'a template with hooks of ours',
        workload: () => workload('Deployment', { spec: hookedSpec() }),
        first: true,
      },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.first ? 'first' : 'in order'}`, () =>
        expect(onTemplatePath(c.workload())).to.equal(c.first));
  });
});
