import { expect } from 'chai';
import {
  EXEC_HOOKS_ANNOTATION,
  RESTORE_LABEL,
  UNTRUSTED_CREATOR_ANNOTATION,
} from '../../../src/controller/marks.ts';
import { RestoreDirectory } from '../../../src/controller/restore-directory.ts';
import type { RestoreObject } from '../../../src/controller/restore-directory.ts';
import {
  initHooksMembers,
  memberPods,
  memberWorkloadKeys,
} from '../../../src/controller/restores/restore-members.ts';
import type { WorkloadKind } from '../../../src/controller/workload-kinds.ts';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../../src/hooks/validate.ts';
import type { ObjectMeta, Pod, Workload } from '../../../src/kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../../src/kube/velero-labels.ts';

const START = '2026-01-01T10:00:00Z';
const DURING = '2026-01-01T10:00:05Z';
const BEFORE = '2026-01-01T09:00:00Z';
const restore: RestoreObject = {
  metadata: { namespace: 'velero', name: 'r1' },
  spec: { includedNamespaces: ['app'] },
  status: { startTimestamp: START, phase: 'InProgress' },
};
const hooks = parseRestoreHooks(restore, DEFAULT_HOOK_POLICY);

const meta = (name: string, extra: Partial<ObjectMeta> = {}): ObjectMeta => ({
  namespace: 'app',
  name,
  uid: `uid-${name}`,
  creationTimestamp: DURING,
  ...extra,
});
const workload = (name: string, extra: Partial<ObjectMeta> = {}): Workload => ({
  metadata: meta(name, { labels: { [RESTORE_NAME_LABEL]: 'r1' }, ...extra }),
  spec: { template: { spec: { containers: [] } } },
});
const pod = (name: string, extra: Partial<ObjectMeta> = {}): Pod => ({
  metadata: meta(name, extra),
  spec: { containers: [{ name: 'app' }] },
});

describe('restore members', () => {
  describe('memberWorkloadKeys: the workloads a Restore hooks', () => {
    const cached: Partial<Record<WorkloadKind, Workload[]>> = {
      Deployment: [
        workload('web'),
        workload('old', { creationTimestamp: BEFORE }),
        workload('elsewhere', { namespace: 'team' }),
        workload('forged', { annotations: { [UNTRUSTED_CREATOR_ANNOTATION]: 'someone' } }),
      ],
      StatefulSet: [workload('db')],
      ReplicaSet: [
        workload('own-rs'),
        workload('web-5d4f', { labels: { [RESTORE_NAME_LABEL]: 'r1', 'pod-template-hash': '5d4f' } }),
        workload('adopted-rs', {
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true },
          ],
        }),
      ],
    };
    const asked: [WorkloadKind, string][] = [];
    const keys = memberWorkloadKeys(
      (kind, labelValue) => {
        asked.push([kind, labelValue]);
        return cached[kind] ?? [];
      },
      'r1',
      restore,
      hooks,
    );

    it('keeps the members: created during the restore, in a namespace it restores into, created by Velero', () => {
      expect(keys).to.include.members(['Deployment/app/web', 'StatefulSet/app/db', 'ReplicaSet/app/own-rs']);
    });
    it('leaves out a workload older than the restore, outside its namespaces, or created by someone else', () => {
      expect(keys).to.not.include.members(['Deployment/app/old']);
      expect(keys.filter((k) => /elsewhere|forged/.test(k))).to.deep.equal([]);
    });
    it('leaves out a Deployment’s ReplicaSets (adopted, or with a pod-template-hash): changed through it', () => {
      expect(keys.filter((k) => /web-5d4f|adopted-rs/.test(k))).to.deep.equal([]);
    });
    it('asks every workload kind, by the label value', () => {
      expect(asked.map(([kind]) => kind)).to.have.members([
        'Deployment',
        'StatefulSet',
        'DaemonSet',
        'ReplicaSet',
      ]);
      expect(new Set(asked.map(([, value]) => value))).to.deep.equal(new Set(['r1']));
    });
  });

  describe('memberPods: the pods whose hooks count for a Restore', () => {
    const sts = workload('db');
    const workloadOf = (kind: WorkloadKind, namespace: string, name: string) =>
      kind === 'StatefulSet' && namespace === 'app' && name === 'db' ? sts : undefined;
    const ownedBy = (name: string, uid: string) => ({
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name, uid, controller: true }],
    });
    const cases: [string, { hooked?: Pod[]; velero?: Pod[] }, string[]][] = [
      [
        'a pod with Velero’s label and our mark',
        { hooked: [pod('a', { labels: { [RESTORE_NAME_LABEL]: 'r1', [RESTORE_LABEL]: 'r1' } })] },
        ['a'],
      ],
      [
        'a pod with only our mark, controlled by a restored member workload',
        { hooked: [pod('db-0', { labels: { [RESTORE_LABEL]: 'r1' }, ...ownedBy('db', 'uid-db') })] },
        ['db-0'],
      ],
      [
        'a pod with only our mark and no restored controller: not counted',
        { hooked: [pod('x', { labels: { [RESTORE_LABEL]: 'r1' } })] },
        [],
      ],
      [
        'a pod with only our mark, its controller’s uid not the cached one: not counted',
        { hooked: [pod('db-1', { labels: { [RESTORE_LABEL]: 'r1' }, ...ownedBy('db', 'other') })] },
        [],
      ],
      [
        'a labelled pod older than the restore: not counted',
        { hooked: [pod('b', { labels: { [RESTORE_NAME_LABEL]: 'r1' }, creationTimestamp: BEFORE })] },
        [],
      ],
      [
        'a labelled pod outside the restore’s namespaces: not counted',
        { hooked: [pod('c', { labels: { [RESTORE_NAME_LABEL]: 'r1' }, namespace: 'team' })] },
        [],
      ],
      [
        'Velero’s pod with an exec record of ours',
        {
          velero: [
            pod('v', {
              labels: { [RESTORE_NAME_LABEL]: 'r1' },
              annotations: { [EXEC_HOOKS_ANNOTATION]: '{}' },
            }),
          ],
        },
        ['v'],
      ],
      [
        'Velero’s pod without an exec record of ours: not counted',
        { velero: [pod('w', { labels: { [RESTORE_NAME_LABEL]: 'r1' } })] },
        [],
      ],
      [
        'a pod in both caches, once',
        {
          hooked: [pod('d', { labels: { [RESTORE_NAME_LABEL]: 'r1', [RESTORE_LABEL]: 'r1' } })],
          velero: [
            pod('d', {
              labels: { [RESTORE_NAME_LABEL]: 'r1', [RESTORE_LABEL]: 'r1' },
              annotations: { [EXEC_HOOKS_ANNOTATION]: '{}' },
            }),
          ],
        },
        ['d'],
      ],
    ];
    for (const [title, pods, want] of cases)
      it(title, () => {
        const got = memberPods(
          { hooked: pods.hooked ?? [], velero: pods.velero ?? [] },
          workloadOf,
          'r1',
          restore,
          hooks,
        );
        expect(got.map((p) => p.metadata.name)).to.deep.equal(want);
      });
  });

  describe('RestoreDirectory.byObjectLabels: the Restore an object’s labels name', () => {
    const r2: RestoreObject = {
      metadata: { namespace: 'velero', name: 'r2' },
      status: { startTimestamp: START },
    };
    const directory = new RestoreDirectory(() => [restore, r2], DEFAULT_HOOK_POLICY);
    const cases: [string, Record<string, string> | undefined, string | undefined][] = [
      ['our mark', { [RESTORE_LABEL]: 'r1' }, 'r1'],
      ['Velero’s label', { [RESTORE_NAME_LABEL]: 'r2' }, 'r2'],
      ['both: our mark first', { [RESTORE_LABEL]: 'r1', [RESTORE_NAME_LABEL]: 'r2' }, 'r1'],
      ['neither', { app: 'web' }, undefined],
      ['no labels', undefined, undefined],
    ];
    for (const [title, labels, want] of cases)
      it(`${title}: ${want ?? 'no lookup'}`, () => {
        const lookup = directory.byObjectLabels(labels);
        expect(lookup?.found ? lookup.restore.metadata.name : undefined).to.equal(want);
        if (want === undefined) expect(lookup).to.equal(undefined);
      });
    it('a label naming no cached Restore: NotFound', () => {
      expect(directory.byObjectLabels({ [RESTORE_LABEL]: 'r9' })).to.deep.equal({
        found: false,
        reason: 'NotFound',
      });
    });
  });

  describe('RestoreDirectory.active: the Restores whose hooks apply now', () => {
    it('keeps an in-progress Restore and leaves out one that has not started', () => {
      const notStarted: RestoreObject = { metadata: { namespace: 'velero', name: 'r3' }, status: {} };
      const directory = new RestoreDirectory(() => [restore, notStarted], DEFAULT_HOOK_POLICY);
      const now = Date.parse(DURING);
      expect(directory.active(now, 60_000).map((r) => r.metadata.name)).to.deep.equal(['r1']);
    });
  });

  describe('initHooksMembers: what InitHooksApplied is counted from, out of the caches', () => {
    const ctrl = (kind: string, name: string) => ({
      ownerReferences: [
        {
          apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
          kind,
          name,
          uid: `uid-${name}`,
          controller: true,
        },
      ],
    });
    const selecting = (w: Workload, app: string): Workload => ({
      ...w,
      spec: { ...w.spec, selector: { matchLabels: { app } } },
    });
    const web = selecting(workload('web'), 'web');
    const db = selecting(workload('db'), 'db');
    const adoptedRs = workload('cache-rs', ctrl('Deployment', 'web'));
    const job = workload('migrate');
    const otherRestore = selecting(workload('other', { labels: { [RESTORE_NAME_LABEL]: 'r9' } }), 'other');
    const cached: Partial<Record<WorkloadKind, Workload[]>> = {
      Deployment: [web, otherRestore],
      StatefulSet: [db],
      ReplicaSet: [adoptedRs],
    };
    const velero = { [RESTORE_NAME_LABEL]: 'r1' };
    const pods: Pod[] = [
      // A Deployment's pod through its (uncached) ReplicaSet, named after it.
      pod('web-5d4f-a', {
        labels: { app: 'web', 'pod-template-hash': '5d4f' },
        ...ctrl('ReplicaSet', 'web-5d4f'),
      }),
      // Through a restored ReplicaSet the Deployment adopted.
      pod('cache-rs-b', { ...ctrl('ReplicaSet', 'cache-rs') }),
      pod('db-0', { labels: { app: 'db' }, ...ctrl('StatefulSet', 'db') }),
      // Restored by Velero, awaiting adoption: the StatefulSet's (its selector), and a pod of the restore.
      pod('db-1', { labels: { app: 'db', ...velero } }),
      pod('solo', { labels: velero }),
      pod('migrate-x', { ...ctrl('Job', 'migrate') }),
      // Another restore's.
      pod('other-1', { labels: { app: 'other', [RESTORE_NAME_LABEL]: 'r9' } }),
      pod('other-5d4f-a', {
        labels: { app: 'other', 'pod-template-hash': '5d4f' },
        ...ctrl('ReplicaSet', 'other-5d4f'),
      }),
    ];
    const caches = {
      workloadsLabelled: (kind: WorkloadKind, value: string) =>
        (cached[kind] ?? []).filter((w) => w.metadata.labels?.[RESTORE_NAME_LABEL] === value),
      getWorkload: (kind: WorkloadKind, namespace: string, name: string) =>
        (cached[kind] ?? []).find((w) => w.metadata.namespace === namespace && w.metadata.name === name),
      pendingPods: () => pods.slice(0, 4),
      podsLabelled: () => pods.slice(3),
      replicaSetsAwaitingAdoption: () => [],
      jobsLabelled: (value: string) => (value === 'r1' ? [job] : []),
    };

    it('gives each member the pods the caches hold of it, and the other pods of the restore apart', () => {
      const { members, otherPods } = initHooksMembers(caches, 'r1', restore, hooks);
      expect(
        members.map((m) => [m.kind, m.workload.metadata.name, m.pods.map((p) => p.metadata.name).sort()]),
      ).to.deep.equal([
        ['Deployment', 'web', ['cache-rs-b', 'web-5d4f-a']],
        ['StatefulSet', 'db', ['db-0', 'db-1']],
      ]);
      expect(
        otherPods.map((o) => [o.pod.metadata.name, o.job?.metadata.name ?? o.owner?.workload.metadata.name]),
      ).to.deep.equal([
        ['db-1', undefined],
        ['solo', undefined],
        ['migrate-x', 'migrate'],
      ]);
    });
  });
});
