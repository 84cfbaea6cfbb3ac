import { expect } from 'chai';
import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import {
  decidePodAdmission,
  decideWorkloadAdmission,
} from '../../../src/controller/admission/admission-decision.ts';
import type { AdmissionSettings } from '../../../src/controller/admission/admission-decision.ts';
import type { AdmissionRequest } from '../../../src/controller/admission/admission-review.ts';
import { RESTORE_LABEL } from '../../../src/controller/marks.ts';
import { RestoreDirectory } from '../../../src/controller/restore-directory.ts';
import type { RestoreObject } from '../../../src/controller/restore-directory.ts';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.ts';
import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../../src/hooks/applied-record.ts';
import {
  ANNOTATION_HOOK,
  R2_HOOK_NAMES,
  deployment,
  isoSecondsAgo,
  podSpec,
  r2HookContainers,
  restoreR2,
} from '../../helpers/restore-fixtures.ts';

const VELERO = 'system:serviceaccount:velero:velero';
const RS_CONTROLLER = 'system:serviceaccount:kube-system:replicaset-controller';
const settings: AdmissionSettings = {
  veleroIdentities: DEFAULT_SETTINGS.webhook.veleroIdentities,
  workloadControllerIdentities: DEFAULT_SETTINGS.webhook.workloadControllerIdentities,
  policy: DEFAULT_SETTINGS.policy,
  hookWindowMs: 3_600_000,
};

function directory(...restores: ReturnType<typeof restoreR2>[]) {
  const dir = new RestoreDirectory(() => restores as unknown as RestoreObject[], settings.policy);
  return (labelValue: string) => dir.byLabelValue(labelValue);
}

function request(
  kind: string,
  object: Record<string, unknown>,
  overrides: Partial<AdmissionRequest> = {},
): AdmissionRequest {
  return {
    uid: 'u1',
    kind: { group: kind === 'Pod' ? '' : 'apps', version: 'v1', kind },
    operation: 'CREATE',
    namespace: 'app',
    name: '',
    userInfo: { username: kind === 'Pod' ? RS_CONTROLLER : VELERO },
    object,
    dryRun: false,
    ...overrides,
  };
}

function markedPod(extra: { annotations?: Record<string, string>; initContainers?: unknown[] } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'web-7d4b9-',
      namespace: 'app',
      labels: { app: 'web', 'pod-template-hash': '7d4b9', [RESTORE_LABEL]: 'r2' },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: podSpec(extra.initContainers ? { initContainers: extra.initContainers } : {}),
  };
}

const apply = <T>(object: T, patch: readonly unknown[]): T =>
  fastJsonPatch.applyPatch(structuredClone(object), patch as Operation[], true, false).newDocument;

const initNames = (pod: { spec: object }): string[] =>
  ((pod.spec as { initContainers?: { name: string }[] }).initContainers ?? []).map((c) => c.name);

const now = Date.now();
const active = directory(restoreR2());

describe('admission decisions: workloads (mark the pod template of what Velero restores)', () => {
  const cases: Array<[string, AdmissionRequest, ReturnType<typeof directory>, string, string]> = [
    [
      'Velero creates a restored Deployment',
      request('Deployment', deployment('web')),
      active,
      'patched',
      'Marked',
    ],
    [
      'a ReplicaSet restored with its Deployment',
      request('ReplicaSet', { ...deployment('web-7d4b9'), kind: 'ReplicaSet' }),
      active,
      'patched',
      'Marked',
    ],
    [
      'someone else creates it',
      request('Deployment', deployment('web'), { userInfo: { username: 'alice' } }),
      active,
      'bypass',
      'UntrustedUser',
    ],
    [
      'not restored (no velero.io/restore-name)',
      request('Deployment', deployment('web', 'app', { labels: {} })),
      active,
      'untouched',
      'NotRestored',
    ],
    [
      'an update, not a create',
      request('Deployment', deployment('web'), { operation: 'UPDATE' }),
      active,
      'untouched',
      'NotCreate',
    ],
    ['not a workload kind', request('Job', deployment('web')), active, 'untouched', 'NotAWorkload'],
    [
      'the Restore is unknown',
      request('Deployment', deployment('web')),
      directory(),
      'untouched',
      'UnknownRestore',
    ],
    [
      'the Restore is New',
      request('Deployment', deployment('web')),
      directory(restoreR2({ phase: 'New' })),
      'untouched',
      'RestoreInactive',
    ],
    [
      'the Restore finished beyond the window',
      request('Deployment', deployment('web')),
      directory(restoreR2({ phase: 'Completed', completionTimestamp: isoSecondsAgo(7200) })),
      'untouched',
      'RestoreInactive',
    ],
    [
      'no hook applies (other namespace)',
      request('Deployment', deployment('web', 'other'), { namespace: 'other' }),
      active,
      'untouched',
      'NoHooks',
    ],
    [
      'the hooks are invalid (image not allowed): left to the reconciler, which reports it',
      request('Deployment', deployment('web')),
      directory(
        restoreR2({
          hooks: {
            resources: [{ name: 'h', postHooks: [{ init: { initContainers: [{ name: 'x', image: '' }] } }] }],
          },
        }),
      ),
      'error',
      'InvalidHooks',
    ],
    [
      'annotation hooks in another namespace are marked too',
      request('Deployment', deployment('web', 'other', { annotations: ANNOTATION_HOOK }), {
        namespace: 'other',
      }),
      active,
      'patched',
      'Marked',
    ],
  ];
  for (const [name, req, restores, result, reason] of cases)
    it(name, () => {
      const d = decideWorkloadAdmission(req, restores, settings, now);
      expect([d.result, d.reason]).to.deep.equal([result, reason]);
      if (result !== 'patched') expect(d.patch).to.deep.equal([]);
    });

  it('adds only the mark to the template, creating labels when absent, and a second call changes nothing', () => {
    for (const object of [
      deployment('web'),
      { ...deployment('web'), spec: { ...deployment('web').spec, template: { spec: podSpec() } } },
    ]) {
      const first = decideWorkloadAdmission(request('Deployment', object), active, settings, now);
      const marked = apply(object, first.patch);
      const { template } = marked.spec as { template: { metadata: { labels: Record<string, string> } } };
      expect(template.metadata.labels[RESTORE_LABEL]).to.equal('r2');
      const second = decideWorkloadAdmission(request('Deployment', marked), active, settings, now);
      expect([second.result, second.reason]).to.deep.equal(['untouched', 'AlreadyMarked']);
    }
  });
});

describe('admission decisions: ControllerRevisions restored with a StatefulSet or DaemonSet', () => {
  const statefulSet = { ...deployment('db'), kind: 'StatefulSet', apiVersion: 'apps/v1' };
  // As the StatefulSet and DaemonSet controllers store a revision: the template as a strategic-merge replace.
  const revision = (
    template: unknown,
    labels: Record<string, string> = { 'velero.io/restore-name': 'r2' },
  ) => ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: 'db-6c9d8f7b5', namespace: 'app', labels },
    data: { spec: { template: { ...(template as object), $patch: 'replace' } } },
    revision: 1,
  });

  it("marks the revision's template exactly as its workload's, so the workload still recognises it as current", () => {
    const set = decideWorkloadAdmission(request('StatefulSet', statefulSet), active, settings, now);
    const rev = revision(statefulSet.spec.template);
    const marked = decideWorkloadAdmission(request('ControllerRevision', rev), active, settings, now);
    expect([marked.result, marked.reason]).to.deep.equal(['patched', 'Marked']);
    const markedSet = apply(statefulSet, set.patch);
    const markedRevision = apply(rev, marked.patch);
    const { $patch, ...revisionTemplate } = markedRevision.data.spec.template;
    expect($patch).to.equal('replace');
    expect(revisionTemplate).to.deep.equal(markedSet.spec.template);
    const again = decideWorkloadAdmission(
      request('ControllerRevision', markedRevision),
      active,
      settings,
      now,
    );
    expect([again.result, again.reason]).to.deep.equal(['untouched', 'AlreadyMarked']);
  });

  const cases: Array<[string, AdmissionRequest, string, string]> = [
    [
      'a revision without a pod template',
      request('ControllerRevision', { ...revision({}), data: { spec: {} } }),
      'untouched',
      'NotAWorkload',
    ],
    [
      'a revision no hook applies to (other namespace)',
      request('ControllerRevision', revision(deployment('db', 'other').spec.template), {
        namespace: 'other',
      }),
      'untouched',
      'NoHooks',
    ],
    [
      'a revision someone other than Velero creates',
      request('ControllerRevision', revision(statefulSet.spec.template), { userInfo: { username: 'alice' } }),
      'bypass',
      'UntrustedUser',
    ],
    [
      'a revision the workload controller creates (not restored)',
      request('ControllerRevision', revision(statefulSet.spec.template, {}), {
        userInfo: { username: 'system:serviceaccount:kube-system:statefulset-controller' },
      }),
      'untouched',
      'NotRestored',
    ],
  ];
  for (const [name, req, result, reason] of cases)
    it(name, () => {
      const d = decideWorkloadAdmission(req, active, settings, now);
      expect([d.result, d.reason]).to.deep.equal([result, reason]);
      expect(d.patch).to.deep.equal([]);
    });
});

describe('admission decisions: pods (inject the hooks into marked pods of active restores)', () => {
  it('injects the hooks in Velero order after restore-wait, with the applied-hooks record', () => {
    const pod = markedPod({
      initContainers: [
        { name: 'restore-wait', image: 'velero/velero-restore-helper' },
        { name: 'setup', image: 'busybox' },
      ],
    });
    const d = decidePodAdmission(request('Pod', pod), active, settings, now);
    expect([d.result, d.reason]).to.deep.equal(['patched', 'HooksInjected']);
    const patched = apply(pod, d.patch);
    expect(initNames(patched)).to.deep.equal(['restore-wait', ...R2_HOOK_NAMES, 'setup']);
    const record = parseAppliedInitHooks(
      (patched.metadata as { annotations: Record<string, string> }).annotations[
        APPLIED_INIT_HOOKS_ANNOTATION
      ],
    );
    expect(record?.restore).to.equal('velero/r2');
    expect(record?.containers.map((c) => c.name)).to.deep.equal(R2_HOOK_NAMES);
  });

  const cases: Array<[string, AdmissionRequest, ReturnType<typeof directory>, string, string]> = [
    [
      'a pod the ReplicaSet controller creates',
      request('Pod', markedPod()),
      active,
      'patched',
      'HooksInjected',
    ],
    [
      'kube-controller-manager without service-account credentials',
      request('Pod', markedPod(), { userInfo: { username: 'system:kube-controller-manager' } }),
      active,
      'patched',
      'HooksInjected',
    ],
    [
      'a marked pod created by a user: bypass',
      request('Pod', markedPod(), { userInfo: { username: 'alice' } }),
      active,
      'bypass',
      'UntrustedUser',
    ],
    [
      'a marked pod created by Velero itself (not a workload controller): bypass',
      request('Pod', markedPod(), { userInfo: { username: VELERO } }),
      active,
      'bypass',
      'UntrustedUser',
    ],
    [
      'an unmarked pod',
      request('Pod', { ...markedPod(), metadata: { labels: { app: 'web' } } }),
      active,
      'untouched',
      'NotMarked',
    ],
    ['the Restore is unknown', request('Pod', markedPod()), directory(), 'untouched', 'UnknownRestore'],
    [
      'two Restores of that name in two Velero namespaces',
      request('Pod', markedPod()),
      directory(restoreR2(), { ...restoreR2(), metadata: { name: 'r2', namespace: 'velero2' } }),
      'untouched',
      'AmbiguousRestore',
    ],
    [
      'the Restore finished within the window: still hooked',
      request('Pod', markedPod()),
      directory(restoreR2({ phase: 'Completed', completionTimestamp: isoSecondsAgo(60) })),
      'patched',
      'HooksInjected',
    ],
    [
      'the Restore finished beyond the window (a later scale-up): untouched',
      request('Pod', markedPod()),
      directory(restoreR2({ phase: 'Completed', completionTimestamp: isoSecondsAgo(7200) })),
      'untouched',
      'RestoreInactive',
    ],
    [
      'hooks already in place (a template the reconciler patched)',
      request('Pod', markedPod({ initContainers: r2HookContainers() })),
      active,
      'untouched',
      'HooksInPlace',
    ],
    [
      'no hook applies in this namespace',
      request(
        'Pod',
        { ...markedPod(), metadata: { ...markedPod().metadata, namespace: 'other' } },
        { namespace: 'other' },
      ),
      active,
      'untouched',
      'NoHooks',
    ],
    [
      "a container of the hook's name with other content: error, admitted unchanged",
      request('Pod', markedPod({ initContainers: [{ name: 'restore-hook-init1', image: 'busybox' }] })),
      active,
      'error',
      'HookConflict',
    ],
  ];
  for (const [name, req, restores, result, reason] of cases)
    it(name, () => {
      const d = decidePodAdmission(req, restores, settings, now);
      expect([d.result, d.reason]).to.deep.equal([result, reason]);
      if (result !== 'patched') expect(d.patch).to.deep.equal([]);
    });

  it('an image the policy does not allow: error, admitted unchanged', () => {
    const strict = {
      ...settings,
      policy: { ...DEFAULT_SETTINGS.policy, allowedImages: ['registry.example.com/*'] },
    };
    const pod = markedPod({ annotations: ANNOTATION_HOOK });
    const d = decidePodAdmission(request('Pod', pod), directory(restoreR2({ hooks: {} })), strict, now);
    expect([d.result, d.reason]).to.deep.equal(['error', 'InvalidHooks']);
    expect(d.patch).to.deep.equal([]);
    expect(d.problems?.map((p) => p.message).join()).to.contain('registry.example.com');
  });

  it('applying the answer and asking again (reinvocation) changes nothing: the patch is idempotent (property)', () => {
    const container = fc.record({
      name: fc.constantFrom(
        'restore-wait',
        'setup',
        'restore-hook-init1',
        'restore-hook-init2',
        'restore-hook',
        'other',
      ),
      image: fc.constantFrom('alpine:latest', 'busybox', 'velero/velero-restore-helper'),
    });
    const withHookContent = fc.constantFrom(...r2HookContainers());
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(container, withHookContent), { selector: (c) => c.name, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (initContainers, annotationHook, otherAnnotations) => {
          const annotations = {
            ...(annotationHook ? ANNOTATION_HOOK : {}),
            ...(otherAnnotations ? { team: 'a' } : {}),
          };
          const pod = markedPod({
            ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
            ...(initContainers.length > 0 ? { initContainers } : {}),
          });
          const first = decidePodAdmission(request('Pod', pod), active, settings, now);
          const once = apply(pod, first.patch);
          const second = decidePodAdmission(request('Pod', once), active, settings, now);
          const twice = apply(once, second.patch);
          expect(twice).to.deep.equal(once);
          expect(second.result).to.not.equal('patched');
          if (first.result === 'patched') {
            const names = initNames(once);
            expect(new Set(names).size).to.equal(names.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
