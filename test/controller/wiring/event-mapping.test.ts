import { expect } from 'chai';
import type { ObjectEvent } from '../../../src/controller/machinery/event-handlers.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import { RESTORE_LABEL } from '../../../src/controller/marks.ts';
import type { RestoreLookup, RestoreObject } from '../../../src/controller/restore-directory.ts';
import { LEDGER_RESTORE_ANNOTATION } from '../../../src/controller/restores/ledger-store.ts';
import {
  concernedWorkloadKeys,
  orphanLedgerKeys,
  pendingPodKeys,
  podRestoreStatusKeys,
  restoreEventKeys,
  restoreExecSweepKeys,
  restoreMemberWorkloadKeys,
  watchedPodExecKeys,
  workloadEventKeys,
  workloadExecSweepKeys,
} from '../../../src/controller/wiring/event-mapping.ts';
import type { WorkloadKind } from '../../../src/controller/workload-kinds.ts';
import type { ExecSweepWanted } from '../../../src/controller/wiring/event-mapping.ts';
import { parseRestoreHooks } from '../../../src/hooks/validate.ts';
import { DEFAULT_HOOK_POLICY } from '../../../src/hooks/policy.ts';
import type { OwnerReference, Pod, Workload } from '../../../src/kube/types.ts';
import { RESTORE_NAME_LABEL } from '../../../src/kube/velero-labels.ts';

type EventType = ObjectEvent<unknown>['type'];

/** The event of each type for an object (an update from the same object: the mappings read the new state). */
function event<T>(type: EventType, object: T, oldObject: T = object): ObjectEvent<T> {
  return type === 'update' ? { type, oldObject, object } : { type, object };
}

const ALL: EventType[] = ['add', 'update', 'delete'];

const pod = (
  name: string,
  extra: { labels?: Record<string, string>; owner?: Partial<OwnerReference> } = {},
): Pod => ({
  metadata: {
    namespace: 'app',
    name,
    uid: `uid-${name}`,
    ...(extra.labels ? { labels: extra.labels } : {}),
    ...(extra.owner
      ? {
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              uid: 'rs-uid',
              name: 'x',
              kind: 'ReplicaSet',
              controller: true,
              ...extra.owner,
            },
          ],
        }
      : {}),
  },
  spec: { containers: [{ name: 'app' }] },
});

const workload = (name: string): Workload => ({
  metadata: { namespace: 'app', name },
  spec: { template: { spec: { containers: [] } } },
});

const restore = (namespace: string, name: string): RestoreObject => ({ metadata: { namespace, name } });

describe('event mapping: which work an informer event causes', () => {
  describe('restoreEventKeys: a Restore, to the restore controller', () => {
    for (const type of ALL)
      it(`${type}: its own key`, () => {
        expect(restoreEventKeys(event(type, restore('velero', 'r1')))).to.deep.equal(['velero/r1']);
      });
  });

  describe('orphanLedgerKeys: a ledger shard, to the restore controller', () => {
    const ledger = (of?: string): KubeObject => ({
      metadata: {
        namespace: 'restore-hooks',
        name: 'l',
        ...(of ? { annotations: { [LEDGER_RESTORE_ANNOTATION]: of } } : {}),
      },
    });
    const mapping = orphanLedgerKeys((key) => key === 'velero/cached');
    const cases: [string, ObjectEvent<KubeObject>, string[]][] = [
      [
        'added for a Restore not cached: that Restore, whose reconcile deletes it',
        event('add', ledger('velero/gone')),
        ['velero/gone'],
      ],
      ['added for a cached Restore: nothing', event('add', ledger('velero/cached')), []],
      ['added without the annotation: nothing', event('add', ledger()), []],
      ['updated, for a Restore not cached: nothing', event('update', ledger('velero/gone')), []],
      ['deleted: nothing', event('delete', ledger('velero/gone')), []],
    ];
    for (const [title, e, want] of cases)
      it(title, () => {
        expect(mapping(e)).to.deep.equal(want);
      });
  });

  describe('restoreMemberWorkloadKeys: a Restore, to the workload controller', () => {
    const valid = parseRestoreHooks({ spec: {} }, DEFAULT_HOOK_POLICY);
    const invalid = parseRestoreHooks(
      { spec: { hooks: { resources: [{ name: 'x', includedNamespaces: 'app' }] } } },
      DEFAULT_HOOK_POLICY,
    );
    const members: Record<string, string[]> = {
      r1: ['Deployment/app/web', 'StatefulSet/app/db'],
      bad: ['Deployment/app/web'],
      empty: [],
    };
    const asked: string[] = [];
    const mapping = restoreMemberWorkloadKeys(
      (r) => (r.metadata.name === 'bad' ? invalid : valid),
      (r) => {
        asked.push(r.metadata.name ?? '');
        return members[r.metadata.name ?? ''] ?? [];
      },
    );
    const cases: [string, ObjectEvent<RestoreObject>, string[]][] = [
      [
        'added: the keys of its member workloads',
        event('add', restore('velero', 'r1')),
        ['Deployment/app/web', 'StatefulSet/app/db'],
      ],
      [
        'updated (a phase, its hooks): the same',
        event('update', restore('velero', 'r1')),
        ['Deployment/app/web', 'StatefulSet/app/db'],
      ],
      ['a Restore without member workloads: nothing', event('add', restore('velero', 'empty')), []],
      [
        'invalid hooks: nothing (no workload is written until they are fixed)',
        event('update', restore('velero', 'bad')),
        [],
      ],
      ['deleted: nothing', event('delete', restore('velero', 'r1')), []],
    ];
    for (const [title, e, want] of cases)
      it(title, () => {
        expect(mapping(e)).to.deep.equal(want);
      });

    it('looks the members up only for a valid Restore that is not deleted', () => {
      asked.length = 0;
      mapping(event('delete', restore('velero', 'r1')));
      mapping(event('add', restore('velero', 'bad')));
      expect(asked).to.deep.equal([]);
    });
  });

  describe('workloadEventKeys: a restored workload, to the workload controller', () => {
    const cases: [WorkloadKind, EventType, string[]][] = [
      ['Deployment', 'add', ['Deployment/app/web']],
      ['StatefulSet', 'update', ['StatefulSet/app/web']],
      ['ReplicaSet', 'add', ['ReplicaSet/app/web']],
      ['DaemonSet', 'delete', []],
    ];
    for (const [kind, type, want] of cases)
      it(`${kind} ${type}: ${want.length ? 'its kind-qualified key' : 'nothing'}`, () => {
        expect(workloadEventKeys(kind)(event(type, workload('web')))).to.deep.equal(want);
      });
  });

  describe('pendingPodKeys: a pending pod, to the pod controller', () => {
    for (const type of ALL)
      it(`${type}: its own key (a deletion lets a replacement go on)`, () => {
        expect(pendingPodKeys(event(type, pod('web-1')))).to.deep.equal(['app/web-1']);
      });
  });

  describe('concernedWorkloadKeys: a pending pod, to the workload controller', () => {
    const deployment = workload('web');
    const asked: Pod[] = [];
    const mapping = concernedWorkloadKeys({
      restoredWorkloadsConcerned: (p: Pod) => {
        asked.push(p);
        return p.metadata.name === 'unrelated' ? [] : [{ kind: 'Deployment' as const, workload: deployment }];
      },
    });
    const cases: [string, ObjectEvent<Pod>, string[]][] = [
      [
        'added, owned by a ReplicaSet: the restored workloads the caches say it concerns',
        event('add', pod('web-1', { owner: {} })),
        ['Deployment/app/web'],
      ],
      ['updated, owned: the same', event('update', pod('web-1', { owner: {} })), ['Deployment/app/web']],
      ['owned, concerning no restored workload: nothing', event('add', pod('unrelated', { owner: {} })), []],
      ['deleted: nothing', event('delete', pod('web-1', { owner: {} })), []],
      ['a bare pod: nothing (the pod controller replaces it)', event('add', pod('bare')), []],
      [
        'a Job’s pod: nothing (the pod controller reports it)',
        event('add', pod('job-1', { owner: { kind: 'Job', apiVersion: 'batch/v1' } })),
        [],
      ],
      [
        'an owner reference that is not the controller: nothing',
        event('add', pod('adopt', { owner: { controller: false } })),
        [],
      ],
    ];
    for (const [title, e, want] of cases)
      it(title, () => {
        expect(mapping(e)).to.deep.equal(want);
      });

    it('asks the owner chain only about pods with a workload controller', () => {
      asked.length = 0;
      mapping(event('add', pod('bare')));
      mapping(event('add', pod('job-1', { owner: { kind: 'Job' } })));
      mapping(event('delete', pod('web-1', { owner: {} })));
      expect(asked).to.deep.equal([]);
    });
  });

  describe('watchedPodExecKeys: a hooked or Velero-restored pod, to the exec controller', () => {
    const cases: [EventType, string[]][] = [
      ['add', ['app/web-1']],
      ['update', ['app/web-1']],
      ['delete', []],
    ];
    for (const [type, want] of cases)
      it(`${type}: ${want.length ? 'its own key' : 'nothing (podDeleted keeps its last state and enqueues it)'}`, () => {
        expect(watchedPodExecKeys(event(type, pod('web-1')))).to.deep.equal(want);
      });
  });

  describe('workloadExecSweepKeys: a restored workload, to the exec controller (its pods no cache may hold)', () => {
    const hooks = parseRestoreHooks({ spec: {} }, DEFAULT_HOOK_POLICY);
    const labelled = (name: string, value?: string): Workload => ({
      ...workload(name),
      metadata: { namespace: 'app', name, ...(value ? { labels: { [RESTORE_NAME_LABEL]: value } } : {}) },
    });
    const lookups: Record<string, RestoreLookup> = {
      r1: { found: true, restore: restore('velero', 'r1'), hooks },
      done: { found: true, restore: restore('velero', 'done'), hooks },
    };
    // The Restore `done` wants no sweep (past its window, no exec hooks, invalid: execSweepWanted says).
    const wanted: ExecSweepWanted = (_kind, _w, lookup) =>
      lookup?.found === true && lookup.restore.metadata.name === 'r1';
    const mapping = workloadExecSweepKeys(
      'Deployment',
      (value) => lookups[value] ?? { found: false, reason: 'NotFound' },
      wanted,
    );
    const cases: [string, ObjectEvent<Workload>, string[]][] = [
      [
        'added, its Restore wants a sweep: its workload key',
        event('add', labelled('web', 'r1')),
        ['Deployment/app/web'],
      ],
      ['updated, the same', event('update', labelled('web', 'r1')), ['Deployment/app/web']],
      ['its Restore wants none: nothing', event('add', labelled('web', 'done')), []],
      [
        'its Restore not cached yet (listed after the workload at start): its key, the reconcile decides',
        event('add', labelled('web', 'r9')),
        ['Deployment/app/web'],
      ],
      ['without a restore label: nothing', event('add', labelled('web')), []],
      ['deleted: nothing', event('delete', labelled('web', 'r1')), []],
    ];
    for (const [title, e, want] of cases)
      it(title, () => {
        expect(mapping(e)).to.deep.equal(want);
      });
  });

  describe('restoreExecSweepKeys: a Restore, to the exec controller (its workloads’ pods no cache may hold)', () => {
    const hooks = parseRestoreHooks({ spec: {} }, DEFAULT_HOOK_POLICY);
    const workloads: Record<string, { kind: WorkloadKind; workload: Workload }[]> = {
      r1: [
        { kind: 'Deployment', workload: workload('web') },
        { kind: 'StatefulSet', workload: workload('db') },
        { kind: 'ReplicaSet', workload: workload('web-abc') },
      ],
    };
    // A Deployment's ReplicaSet is swept through its Deployment (execSweepWanted says).
    const wanted: ExecSweepWanted = (kind, _w, lookup) => lookup?.found === true && kind !== 'ReplicaSet';
    // A Restore wants sweeps once it runs (the Restore's part of execSweepWanted).
    const running = (r: RestoreObject) => r.status?.phase === 'InProgress';
    const mapping = restoreExecSweepKeys(
      (r) => workloads[r.metadata.name ?? ''] ?? [],
      () => hooks,
      wanted,
      running,
    );
    const phase = (name: string, p: string): RestoreObject => ({
      ...restore('velero', name),
      status: { phase: p },
    });
    const cases: [string, ObjectEvent<RestoreObject>, string[]][] = [
      [
        'added: the keys of its restored workloads that want a sweep',
        event('add', phase('r1', 'InProgress')),
        ['Deployment/app/web', 'StatefulSet/app/db'],
      ],
      [
        'updated so that it wants sweeps (it became valid, or active): the same',
        event('update', phase('r1', 'InProgress'), phase('r1', 'New')),
        ['Deployment/app/web', 'StatefulSet/app/db'],
      ],
      [
        'updated while it wanted sweeps already (its status): nothing, they were asked for',
        event('update', phase('r1', 'InProgress'), phase('r1', 'InProgress')),
        [],
      ],
      ['without restored workloads: nothing', event('add', phase('r2', 'InProgress')), []],
      ['deleted: nothing', event('delete', phase('r1', 'InProgress')), []],
    ];
    for (const [title, e, want] of cases)
      it(title, () => {
        expect(mapping(e)).to.deep.equal(want);
      });
  });

  describe('podRestoreStatusKeys: a hooked or Velero-restored pod, to the restore controller', () => {
    const r1 = restore('velero', 'r1');
    const hooks = parseRestoreHooks({ spec: {} }, DEFAULT_HOOK_POLICY);
    const lookups: Record<string, RestoreLookup> = {
      r1: { found: true, restore: r1, hooks },
      twice: { found: false, reason: 'Ambiguous' },
    };
    const mapping = podRestoreStatusKeys((labels) => {
      const value = labels?.[RESTORE_LABEL] ?? labels?.[RESTORE_NAME_LABEL];
      return value === undefined ? undefined : (lookups[value] ?? { found: false, reason: 'NotFound' });
    });
    const cases: [string, ObjectEvent<Pod>, string[]][] = [
      [
        'updated, with our mark: the Restore it names',
        event('update', pod('a', { labels: { [RESTORE_LABEL]: 'r1' } })),
        ['velero/r1'],
      ],
      [
        'updated, with Velero’s label: the Restore it names',
        event('update', pod('a', { labels: { [RESTORE_NAME_LABEL]: 'r1' } })),
        ['velero/r1'],
      ],
      [
        'updated, naming an ambiguous Restore: nothing',
        event('update', pod('a', { labels: { [RESTORE_LABEL]: 'twice' } })),
        [],
      ],
      [
        'updated, naming no cached Restore: nothing',
        event('update', pod('a', { labels: { [RESTORE_LABEL]: 'r9' } })),
        [],
      ],
      ['updated, without a restore label: nothing', event('update', pod('a')), []],
      ['added: nothing', event('add', pod('a', { labels: { [RESTORE_LABEL]: 'r1' } })), []],
      [
        'deleted, with our mark: the Restore it names (its open exec hooks no longer count)',
        event('delete', pod('a', { labels: { [RESTORE_LABEL]: 'r1' } })),
        ['velero/r1'],
      ],
    ];
    for (const [title, e, want] of cases)
      it(title, () => {
        expect(mapping(e)).to.deep.equal(want);
      });
  });
});
