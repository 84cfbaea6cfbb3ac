import { expect } from 'chai';
import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import {
  decidePodAdmission,
  decideWorkloadAdmission,
} from '../../../src/controller/admission/admission-decision.ts';
import type {
  AdmissionCaches,
  AdmissionSettings,
} from '../../../src/controller/admission/admission-decision.ts';
import type { AdmissionRequest } from '../../../src/controller/admission/admission-review.ts';
import { RESTORE_LABEL, UNTRUSTED_CREATOR_ANNOTATION } from '../../../src/controller/marks.ts';
import type { Workload } from '../../../src/kube/types.ts';
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
  restoredLabels,
} from '../../helpers/restore-fixtures.ts';

const VELERO = 'system:serviceaccount:velero:velero';
const RS_CONTROLLER = 'system:serviceaccount:kube-system:replicaset-controller';
const settings: AdmissionSettings = {
  veleroIdentities: DEFAULT_SETTINGS.webhook.veleroIdentities,
  workloadControllerIdentities: DEFAULT_SETTINGS.webhook.workloadControllerIdentities,
  policy: DEFAULT_SETTINGS.policy,
  hookWindowMs: 3_600_000,
};

/**
 * A restored workload as its informer caches it: labelled by Restore r2, its template marked at admission, created
 * 30 s ago (r2 started 60 s ago).
 */
function restoredWorkload(
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet',
  name: string,
  options: {
    uid?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    templateLabels?: Record<string, string>;
    created?: string;
  } = {},
): Workload {
  const d = deployment(name, options.namespace ?? 'app', { labels: options.labels ?? restoredLabels() });
  return {
    ...d,
    kind,
    metadata: {
      ...d.metadata,
      uid: options.uid ?? `uid-${name}`,
      creationTimestamp: options.created ?? isoSecondsAgo(30),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      ...d.spec,
      template: {
        ...d.spec.template,
        metadata: { labels: options.templateLabels ?? { app: 'web', [RESTORE_LABEL]: 'r2' } },
      },
    },
  } as unknown as Workload;
}

/**
 * Restore r2, started a minute before this module loaded: the cached workloads below are stamped at load time too,
 * and must stay created during the restore however long the suite runs before a case does.
 */
const STARTED = isoSecondsAgo(60);
const restoreAt = (overrides: Parameters<typeof restoreR2>[0] = {}) =>
  restoreR2({ startTimestamp: STARTED, ...overrides });
const WEB = restoredWorkload('Deployment', 'web');

function directory(...restores: ReturnType<typeof restoreR2>[]): AdmissionCaches {
  return withWorkloads([WEB], ...restores);
}

/** The caches: these Restores, and these restored workloads. */
function withWorkloads(
  workloads: readonly Workload[],
  ...restores: ReturnType<typeof restoreR2>[]
): AdmissionCaches {
  const dir = new RestoreDirectory(() => restores as unknown as RestoreObject[], settings.policy);
  return {
    restoreOf: (labelValue) => dir.byLabelValue(labelValue),
    workloadOf: (kind, namespace, name) =>
      workloads.find(
        (w) => w.kind === kind && w.metadata.namespace === namespace && w.metadata.name === name,
      ),
  };
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

/** A marked pod as a workload controller creates it; by default one of Deployment web's ReplicaSet web-7d4b9. */
function markedPod(
  extra: {
    annotations?: Record<string, string>;
    initContainers?: unknown[];
    owner?: { kind: string; name: string; uid?: string } | null;
    hash?: string;
  } = {},
) {
  const owner = extra.owner === undefined ? { kind: 'ReplicaSet', name: 'web-7d4b9' } : extra.owner;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'web-7d4b9-',
      namespace: 'app',
      labels: { app: 'web', 'pod-template-hash': extra.hash ?? '7d4b9', [RESTORE_LABEL]: 'r2' },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                ...owner,
                uid: owner.uid ?? 'uid-rs',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: podSpec(extra.initContainers ? { initContainers: extra.initContainers } : {}),
  };
}

const apply = <T>(object: T, patch: readonly unknown[]): T =>
  fastJsonPatch.applyPatch(structuredClone(object), patch as Operation[], true, false).newDocument;

const initNames = (pod: { spec: object }): string[] =>
  ((pod.spec as { initContainers?: { name: string }[] }).initContainers ?? []).map((c) => c.name);

const now = Date.now();
const active = directory(restoreAt());

describe('admission decisions: workloads (mark the pod template of what Velero restores)', () => {
  const cases: Array<[string, AdmissionRequest, AdmissionCaches, string, string]> = [
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
      'someone else creates it: annotated as not a member',
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
      'an update that leaves the label as it was',
      request('Deployment', deployment('web'), { operation: 'UPDATE', oldObject: deployment('web') }),
      active,
      'untouched',
      'LabelUnchanged',
    ],
    [
      'a delete',
      request('Deployment', deployment('web'), { operation: 'DELETE' }),
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
      directory(restoreAt({ phase: 'New' })),
      'untouched',
      'RestoreInactive',
    ],
    [
      'the Restore finished beyond the window',
      request('Deployment', deployment('web')),
      directory(restoreAt({ phase: 'Completed', completionTimestamp: isoSecondsAgo(7200) })),
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
        restoreAt({
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
      if (result !== 'patched' && result !== 'bypass') expect(d.patch).to.deep.equal([]);
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

  it('a revision someone other than Velero creates with a mark in its template: the mark is removed from data, the creator annotated', () => {
    const forged = revision({
      ...statefulSet.spec.template,
      metadata: { labels: { app: 'web', [RESTORE_LABEL]: 'r2' } },
    });
    const d = decideWorkloadAdmission(
      request('ControllerRevision', forged, { userInfo: { username: 'alice' } }),
      active,
      settings,
      now,
    );
    expect([d.result, d.reason]).to.deep.equal(['bypass', 'UntrustedUser']);
    const after = apply(forged, d.patch);
    const template = after.data.spec.template as { metadata?: { labels?: Record<string, string> } };
    expect(template.metadata?.labels).to.deep.equal({ app: 'web' });
    expect((after.metadata as { annotations?: Record<string, string> }).annotations).to.deep.equal({
      'restore-hooks.dev/untrusted-creator': 'alice',
    });
  });

  it("a revision's UPDATE (a controller renumbering it) is left alone: its data is immutable", () => {
    const rev = revision(statefulSet.spec.template);
    const d = decideWorkloadAdmission(
      request('ControllerRevision', rev, {
        operation: 'UPDATE',
        oldObject: rev,
        userInfo: { username: 'system:serviceaccount:kube-system:statefulset-controller' },
      }),
      active,
      settings,
      now,
    );
    expect([d.result, d.reason, d.patch]).to.deep.equal(['untouched', 'NotCreate', []]);
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

  const cases: Array<[string, AdmissionRequest, AdmissionCaches, string, string]> = [
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
      directory(restoreAt(), { ...restoreAt(), metadata: { name: 'r2', namespace: 'velero2' } }),
      'untouched',
      'AmbiguousRestore',
    ],
    [
      'the Restore finished within the window: still hooked',
      request('Pod', markedPod()),
      directory(restoreAt({ phase: 'Completed', completionTimestamp: isoSecondsAgo(60) })),
      'patched',
      'HooksInjected',
    ],
    [
      'the Restore finished beyond the window (a later scale-up): untouched',
      request('Pod', markedPod()),
      directory(restoreAt({ phase: 'Completed', completionTimestamp: isoSecondsAgo(7200) })),
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
      withWorkloads([restoredWorkload('Deployment', 'web', { namespace: 'other' })], restoreAt()),
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
      if (result === 'bypass') {
        // A refused mark is removed: no reconciler takes the pod for the Restore's.
        const after = apply(req.object, d.patch) as { metadata: { labels: Record<string, string> } };
        expect(after.metadata.labels[RESTORE_LABEL]).to.equal(undefined);
      } else if (result !== 'patched') expect(d.patch).to.deep.equal([]);
    });

  it("the controller's replacement of a bare pod Velero restored (Velero's label too): no hooks here, the mark kept", () => {
    const base = markedPod({ owner: null });
    const replacement = {
      ...base,
      metadata: { ...base.metadata, labels: { ...base.metadata.labels, ...restoredLabels() } },
    };
    const d = decidePodAdmission(
      request('Pod', replacement, {
        userInfo: { username: 'system:serviceaccount:restore-hooks:restore-hooks' },
      }),
      active,
      settings,
      now,
    );
    expect([d.result, d.reason, d.patch]).to.deep.equal(['bypass', 'UntrustedUser', []]);
  });

  it('an image the policy does not allow: error, admitted unchanged', () => {
    const strict = {
      ...settings,
      policy: { ...DEFAULT_SETTINGS.policy, allowedImages: ['registry.example.com/*'] },
    };
    const pod = markedPod({ annotations: ANNOTATION_HOOK });
    const d = decidePodAdmission(request('Pod', pod), directory(restoreAt({ hooks: {} })), strict, now);
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

describe('admission decisions: membership a tenant cannot forge', () => {
  const TENANT = 'system:serviceaccount:app:tenant';
  const markedTemplate = (name: string) => {
    const d = deployment(name);
    return {
      ...d,
      spec: {
        ...d.spec,
        template: { ...d.spec.template, metadata: { labels: { app: name, [RESTORE_LABEL]: 'r2' } } },
      },
    };
  };
  const annotated = (object: ReturnType<typeof deployment>, creator = TENANT) => ({
    ...object,
    metadata: { ...object.metadata, annotations: { [UNTRUSTED_CREATOR_ANNOTATION]: creator } },
  });
  const unlabelled = (object: ReturnType<typeof deployment>) => ({
    ...object,
    metadata: { ...object.metadata, labels: {} },
  });
  const asTenant = { userInfo: { username: TENANT } };
  const markOf = (o: { spec: unknown }) =>
    (o.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata?.labels?.[
      RESTORE_LABEL
    ];
  const creatorOf = (o: { metadata: unknown }) =>
    (o.metadata as { annotations?: Record<string, string> }).annotations?.[UNTRUSTED_CREATOR_ANNOTATION];

  // [case, request, result, reason, the object after the patch: its template mark, its untrusted-creator annotation]
  const workloadCases: Array<
    [string, AdmissionRequest, string, string, string | undefined, string | undefined]
  > = [
    [
      'a tenant creates a labelled workload with a forged mark: the mark goes, the creator is recorded',
      request('Deployment', markedTemplate('sneaky'), asTenant),
      'bypass',
      'UntrustedUser',
      undefined,
      TENANT,
    ],
    [
      'a tenant creates a labelled workload without a mark: the creator is recorded',
      request('Deployment', deployment('sneaky'), asTenant),
      'bypass',
      'UntrustedUser',
      undefined,
      TENANT,
    ],
    [
      'a tenant removes the annotation by UPDATE: it comes back',
      request('Deployment', deployment('sneaky'), {
        ...asTenant,
        operation: 'UPDATE',
        oldObject: annotated(deployment('sneaky')),
      }),
      'bypass',
      'UntrustedCreator',
      undefined,
      TENANT,
    ],
    [
      'a tenant adds the mark by UPDATE to an annotated workload: it goes',
      request('Deployment', annotated(markedTemplate('sneaky')), {
        ...asTenant,
        operation: 'UPDATE',
        oldObject: annotated(deployment('sneaky')),
      }),
      'bypass',
      'UntrustedCreator',
      undefined,
      TENANT,
    ],
    [
      'Velero updates an annotated workload (existingResourcePolicy=update): the annotation stays',
      request('Deployment', deployment('sneaky'), {
        operation: 'UPDATE',
        oldObject: annotated(deployment('sneaky')),
      }),
      'bypass',
      'UntrustedCreator',
      undefined,
      TENANT,
    ],
    [
      'any update of an annotated workload that keeps the annotation: nothing to do',
      request('Deployment', annotated(deployment('sneaky')), {
        operation: 'UPDATE',
        oldObject: annotated(deployment('sneaky')),
      }),
      'untouched',
      'UntrustedCreator',
      undefined,
      TENANT,
    ],
    [
      'a tenant labels an older workload by UPDATE, with a mark: distrusted as at CREATE',
      request('Deployment', markedTemplate('old'), {
        ...asTenant,
        operation: 'UPDATE',
        oldObject: unlabelled(deployment('old')),
      }),
      'bypass',
      'UntrustedUser',
      undefined,
      TENANT,
    ],
    [
      "a tenant moves a workload to another Restore's label by UPDATE",
      request('Deployment', deployment('old'), {
        ...asTenant,
        operation: 'UPDATE',
        oldObject: deployment('old', 'app', { labels: restoredLabels('r1') }),
      }),
      'bypass',
      'UntrustedUser',
      undefined,
      TENANT,
    ],
    [
      'Velero labels an existing workload by UPDATE (existingResourcePolicy=update): trusted, left as it is',
      request('Deployment', deployment('old'), {
        operation: 'UPDATE',
        oldObject: unlabelled(deployment('old')),
      }),
      'untouched',
      'LabelUnchanged',
      undefined,
      undefined,
    ],
    [
      'the reconciler marks a restored workload by UPDATE (admission was bypassed): left as it is',
      request('Deployment', markedTemplate('web'), {
        userInfo: { username: 'system:serviceaccount:restore-hooks:restore-hooks' },
        operation: 'UPDATE',
        oldObject: deployment('web'),
      }),
      'untouched',
      'LabelUnchanged',
      'r2',
      undefined,
    ],
  ];
  for (const [name, req, result, reason, mark, creator] of workloadCases)
    it(`workloads: ${name}`, () => {
      const d = decideWorkloadAdmission(req, active, settings, now);
      expect([d.result, d.reason]).to.deep.equal([result, reason]);
      const after = apply(req.object as ReturnType<typeof deployment>, d.patch);
      expect([markOf(after), creatorOf(after)]).to.deep.equal([mark, creator]);
      // Reinvocation, or the next UPDATE that keeps the object as admitted: nothing more to patch.
      const again = decideWorkloadAdmission(
        { ...req, object: after, ...(req.operation === 'UPDATE' ? { oldObject: after } : {}) },
        active,
        settings,
        now,
      );
      expect(again.patch).to.deep.equal([]);
    });

  const tenantWeb = restoredWorkload('Deployment', 'web', {
    annotations: { [UNTRUSTED_CREATOR_ANNOTATION]: TENANT },
  });
  const podCases: Array<[string, AdmissionRequest, AdmissionCaches, string, string]> = [
    [
      "a marked pod of a tenant's unlabelled Deployment (its ReplicaSet's Deployment is no restored one)",
      request('Pod', markedPod({ owner: { kind: 'ReplicaSet', name: 'sneaky-5f6c7' }, hash: '5f6c7' })),
      active,
      'bypass',
      'OwnerNotRestored',
    ],
    [
      'a marked pod whose ReplicaSet name does not end in its pod-template-hash',
      request('Pod', markedPod({ hash: '11111' })),
      active,
      'bypass',
      'OwnerNotRestored',
    ],
    [
      'a marked pod of a Job',
      request('Pod', markedPod({ owner: { kind: 'Job', name: 'web' } }), {
        userInfo: { username: 'system:serviceaccount:kube-system:job-controller' },
      }),
      active,
      'bypass',
      'OwnerNotRestored',
    ],
    [
      'a marked pod with no controller',
      request('Pod', markedPod({ owner: null })),
      active,
      'bypass',
      'OwnerNotRestored',
    ],
    [
      'its Deployment was labelled by a tenant (annotated by the workload webhook)',
      request('Pod', markedPod()),
      withWorkloads([tenantWeb], restoreAt()),
      'bypass',
      'OwnerNotMember',
    ],
    [
      "its Deployment is another Restore's",
      request('Pod', markedPod()),
      withWorkloads([restoredWorkload('Deployment', 'web', { labels: restoredLabels('r1') })], restoreAt()),
      'bypass',
      'OwnerNotMember',
    ],
    [
      "its Deployment's template carries no mark (a mark only in a later ReplicaSet's template)",
      request('Pod', markedPod()),
      withWorkloads([restoredWorkload('Deployment', 'web', { templateLabels: { app: 'web' } })], restoreAt()),
      'bypass',
      'OwnerNotMember',
    ],
    [
      'its Deployment is older than the restore',
      request('Pod', markedPod()),
      withWorkloads([restoredWorkload('Deployment', 'web', { created: isoSecondsAgo(600) })], restoreAt()),
      'bypass',
      'OwnerNotMember',
    ],
    [
      'its Deployment is in a namespace the Restore does not restore',
      request('Pod', markedPod()),
      withWorkloads([WEB], {
        ...restoreAt(),
        spec: { ...restoreAt().spec, includedNamespaces: ['prod'] },
      } as ReturnType<typeof restoreR2>),
      'bypass',
      'OwnerNotMember',
    ],
    [
      'a restored ReplicaSet (same uid) controls it',
      request('Pod', markedPod({ owner: { kind: 'ReplicaSet', name: 'web-7d4b9', uid: 'uid-web-7d4b9' } })),
      withWorkloads([restoredWorkload('ReplicaSet', 'web-7d4b9')], restoreAt()),
      'patched',
      'HooksInjected',
    ],
    [
      'a cached ReplicaSet of that name but another uid',
      request('Pod', markedPod({ owner: { kind: 'ReplicaSet', name: 'web-7d4b9', uid: 'other' } })),
      withWorkloads([restoredWorkload('ReplicaSet', 'web-7d4b9'), WEB], restoreAt()),
      'bypass',
      'OwnerNotRestored',
    ],
    [
      'a restored StatefulSet controls it',
      request('Pod', markedPod({ owner: { kind: 'StatefulSet', name: 'db', uid: 'uid-db' } }), {
        userInfo: { username: 'system:serviceaccount:kube-system:statefulset-controller' },
      }),
      withWorkloads([restoredWorkload('StatefulSet', 'db')], restoreAt()),
      'patched',
      'HooksInjected',
    ],
    [
      'a restored DaemonSet controls it',
      request('Pod', markedPod({ owner: { kind: 'DaemonSet', name: 'agent', uid: 'uid-agent' } }), {
        userInfo: { username: 'system:serviceaccount:kube-system:daemon-set-controller' },
      }),
      withWorkloads([restoredWorkload('DaemonSet', 'agent')], restoreAt()),
      'patched',
      'HooksInjected',
    ],
  ];
  for (const [name, req, caches, result, reason] of podCases)
    it(`pods: ${name}`, () => {
      const d = decidePodAdmission(req, caches, settings, now);
      expect([d.result, d.reason]).to.deep.equal([result, reason]);
      if (result === 'bypass') {
        // A refused mark is removed: no reconciler takes the pod for the Restore's.
        const after = apply(req.object, d.patch) as { metadata: { labels: Record<string, string> } };
        expect(after.metadata.labels[RESTORE_LABEL]).to.equal(undefined);
      } else if (result !== 'patched') expect(d.patch).to.deep.equal([]);
    });

  it('pods: only a controller no cache holds may be waited for (ownerUncached)', () => {
    const uncached = (pod: ReturnType<typeof markedPod>, caches = active) =>
      decidePodAdmission(request('Pod', pod), caches, settings, now).ownerUncached === true;
    expect(
      uncached(markedPod({ owner: { kind: 'ReplicaSet', name: 'sneaky-5f6c7' }, hash: '5f6c7' })),
    ).to.equal(true);
    expect(uncached(markedPod({ owner: { kind: 'StatefulSet', name: 'db' } }))).to.equal(true);
    expect(uncached(markedPod({ owner: { kind: 'Job', name: 'web' } }))).to.equal(false);
    expect(uncached(markedPod({ owner: null }))).to.equal(false);
    expect(uncached(markedPod(), withWorkloads([tenantWeb], restoreAt()))).to.equal(false);
  });
});
