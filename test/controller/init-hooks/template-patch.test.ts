import { expect } from 'chai';
import { applyMergePatch } from '../../../src/devcluster/patch/merge-patch.ts';
import { APPLIED_INIT_HOOKS_ANNOTATION, parseAppliedInitHooks } from '../../../src/hooks/applied-record.ts';
import { templatePlan } from '../../../src/controller/init-hooks/workload-facts.ts';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../../src/hooks/validate.ts';
import { initHooksState } from '../../../src/controller/init-hooks/template-hooks.ts';
import {
  cleanupPatch,
  escapeRoundPatch,
  injectionPatch,
  resumePatch,
  withoutInjectedHooks,
} from '../../../src/controller/init-hooks/template-patch.ts';
import { equalIgnoringHash } from '../../../src/controller/init-hooks/replicaset-template.ts';
import {
  CLEANED_UP_ANNOTATION,
  PAUSED_FOR_HOOKS_ANNOTATION,
  RESTORE_LABEL,
  ADMISSION_BYPASSED_ANNOTATION,
  ESCAPED_PODS_DELETED_ANNOTATION,
} from '../../../src/controller/marks.ts';
import type { Workload } from '../../../src/kube/types.ts';
import { restoreR2 } from '../../helpers/restore-fixtures.ts';

const r2 = { ...restoreR2(), metadata: { name: 'r2', namespace: 'velero', uid: 'r2-uid' } };
const restore = { key: 'velero/r2', uid: 'r2-uid', labelValue: 'r2' };
const hooks = parseRestoreHooks(r2, DEFAULT_HOOK_POLICY);

function deployment(namespace = 'app'): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace, resourceVersion: '17', labels: { 'velero.io/restore-name': 'r2' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          initContainers: [{ name: 'own-init', image: 'busybox', command: ['true'] }],
          containers: [{ name: 'app', image: 'nginx' }],
          volumes: [{ name: 'pvc1-vm' }, { name: 'pvc2-vm' }],
        },
      },
    },
  };
}

function plan(w: Workload) {
  return templatePlan(w, hooks, DEFAULT_HOOK_POLICY);
}

describe('template patches', () => {
  it('the r2 scenario is valid and targets namespace app only', () => {
    expect(hooks.problems.filter((p) => p.severity === 'error')).to.deep.equal([]);
    expect(initHooksState(plan(deployment('app')), false)).to.equal('missing');
    expect(initHooksState(plan(deployment('other')), false)).to.equal('none');
  });

  it('injects both hook containers ahead of the pod’s own, with the resourceVersion precondition', () => {
    const w = deployment();
    const patch = injectionPatch(w, plan(w), restore);
    expect(patch.metadata).to.deep.equal({ resourceVersion: '17' });
    const patched = applyMergePatch(w, patch) as Workload;
    expect(patched.spec.template.spec.initContainers?.map((c) => c.name)).to.deep.equal([
      'restore-hook-init1',
      'restore-hook-init2',
      'own-init',
    ]);
    expect(patched.spec.template.metadata?.labels?.[RESTORE_LABEL]).to.equal('r2');
    const record = parseAppliedInitHooks(
      patched.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
    );
    expect(record?.restore).to.equal('velero/r2');
    expect(record?.containers.map((c) => c.name)).to.deep.equal(['restore-hook-init1', 'restore-hook-init2']);
  });

  it('is idempotent: the patched template plans as present, and a second patch would change nothing', () => {
    const w = deployment();
    const once = applyMergePatch(w, injectionPatch(w, plan(w), restore)) as Workload;
    const second = plan(once);
    expect(initHooksState(second, false)).to.equal('present');
    expect(second.initContainersChanged).to.equal(false);
    const twice = applyMergePatch(once, injectionPatch(once, second, restore)) as Workload;
    expect(twice.spec.template.spec.initContainers).to.deep.equal(once.spec.template.spec.initContainers);
  });

  it('cleanup removes exactly what was added, our marks, and marks the workload cleaned up', () => {
    const w = deployment();
    const hooked = applyMergePatch(w, injectionPatch(w, plan(w), restore)) as Workload;
    const record = parseAppliedInitHooks(
      hooked.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
    );
    const cleanup = cleanupPatch(hooked, record!);
    expect(cleanup.removed).to.deep.equal(['restore-hook-init1', 'restore-hook-init2']);
    const cleaned = applyMergePatch(hooked, cleanup.patch) as Workload;
    expect(cleaned.spec.template.spec).to.deep.equal(w.spec.template.spec);
    expect(cleaned.spec.template.metadata?.labels).to.deep.equal(w.spec.template.metadata?.labels);
    // The API server drops maps left empty (omitempty); merge patch alone leaves {}.
    expect(cleaned.spec.template.metadata?.annotations ?? {}).to.deep.equal({});
    expect(cleaned.metadata.annotations?.[CLEANED_UP_ANNOTATION]).to.equal('velero/r2');
  });

  it('records a bypass on the workload in the same write as the hooks, and cleanup drops the record', () => {
    const w = deployment();
    const patch = injectionPatch(w, plan(w), restore, { bypassed: 'PodsEscaped' });
    expect(patch.metadata).to.deep.equal({
      resourceVersion: '17',
      annotations: { [ADMISSION_BYPASSED_ANNOTATION]: 'PodsEscaped/velero/r2' },
    });
    const hooked = applyMergePatch(w, patch) as Workload;
    const record = parseAppliedInitHooks(
      hooked.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
    );
    const cleaned = applyMergePatch(hooked, cleanupPatch(hooked, record!).patch) as Workload;
    expect(cleaned.metadata.annotations).to.deep.equal({ [CLEANED_UP_ANNOTATION]: 'velero/r2' });
  });

  it('records an escape round and the pods it deletes on the workload alone (guarded), and cleanup after a later template path drops it', () => {
    const w = deployment();
    const patch = escapeRoundPatch(w, { rounds: 2, pods: ['uid-b', 'uid-a'] }, 'velero/r2');
    expect(patch).to.deep.equal({
      metadata: {
        resourceVersion: '17',
        annotations: { [ESCAPED_PODS_DELETED_ANNOTATION]: '2/velero/r2;uid-a,uid-b' },
      },
    });
    const escaped = applyMergePatch(w, patch) as Workload;
    expect(escaped.spec).to.deep.equal(w.spec);
    const hooked = applyMergePatch(
      escaped,
      injectionPatch(escaped, plan(escaped), restore, { bypassed: 'PodsEscaped' }),
    ) as Workload;
    const record = parseAppliedInitHooks(
      hooked.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
    );
    const cleaned = applyMergePatch(hooked, cleanupPatch(hooked, record!).patch) as Workload;
    expect(cleaned.metadata.annotations).to.deep.equal({ [CLEANED_UP_ANNOTATION]: 'velero/r2' });
  });

  it('cleanup keeps a hook container someone changed since it was added', () => {
    const w = deployment();
    const hooked = applyMergePatch(w, injectionPatch(w, plan(w), restore)) as Workload;
    const record = parseAppliedInitHooks(
      hooked.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
    );
    hooked.spec.template.spec.initContainers![0]!.command = ['changed'];
    const cleanup = cleanupPatch(hooked, record!);
    expect(cleanup.removed).to.deep.equal(['restore-hook-init2']);
    expect(cleanup.kept.map((k) => k.name)).to.deep.equal(['restore-hook-init1']);
  });

  it('treats restore-wide errors as invalid for every target', () => {
    expect(initHooksState(plan(deployment()), true)).to.equal('invalid');
  });
});

describe('pausing a Deployment for its ReplicaSets, and the template before the hooks', () => {
  it('the injection can pause the Deployment and mark it in the same write; the resume undoes both', () => {
    const w = deployment();
    const paused = applyMergePatch(w, injectionPatch(w, plan(w), restore, { pause: true })) as Workload;
    expect(paused.spec.paused).to.equal(true);
    expect(paused.metadata.annotations).to.deep.equal({ [PAUSED_FOR_HOOKS_ANNOTATION]: 'velero/r2' });
    const resumed = applyMergePatch(paused, resumePatch(paused)) as Workload;
    expect(resumed.spec).to.not.have.property('paused');
    expect(resumed.metadata.annotations ?? {}).to.deep.equal({});
    expect(resumePatch(paused).metadata).to.include({ resourceVersion: '17' });
    expect(injectionPatch(w, plan(w), restore).spec).to.not.have.property('paused');
  });

  it('the hooked template without what the injection added equals the template before it, ignoring pod-template-hash', () => {
    const w = deployment();
    const hooked = applyMergePatch(w, injectionPatch(w, plan(w), restore)) as Workload;
    const record = parseAppliedInitHooks(
      hooked.spec.template.metadata?.annotations?.[APPLIED_INIT_HOOKS_ANNOTATION],
    );
    const before = withoutInjectedHooks(hooked.spec.template, record);
    expect(equalIgnoringHash(before, w.spec.template)).to.equal(true);
    expect(before.spec.initContainers?.map((c) => c.name)).to.deep.equal(['own-init']);
    const replicaSetTemplate = {
      ...w.spec.template,
      metadata: { labels: { app: 'web', 'pod-template-hash': '5d4f8b7c9' } },
    };
    expect(equalIgnoringHash(withoutInjectedHooks(replicaSetTemplate, record), before)).to.equal(true);
    expect(equalIgnoringHash(hooked.spec.template, w.spec.template)).to.equal(false);
  });
});
