import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../src/devcluster/api/errors.ts';
import type { KubeObject } from '../../src/devcluster/api/types.ts';
import {
  applyServerSideApply,
  fieldSetOf,
  fromFieldsV1,
  pathString,
  recordUpdate,
  toFieldsV1,
} from '../../src/devcluster/patch/server-side-apply.ts';
import { patchSchemaFor } from '../../src/devcluster/patch/strategic-merge.ts';

const now = new Date('2026-01-02T03:04:05.678Z');
const deployment = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'ns', ...meta },
  spec,
});
const apply = (existing: KubeObject | undefined, applied: KubeObject, manager = 'kubectl', force = false) =>
  applyServerSideApply(existing, applied, { manager, force, now });
const conflictOf = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a conflict');
};
const template = (containers: unknown[]) => ({ metadata: { labels: { app: 'a' } }, spec: { containers } });

describe('devcluster server-side apply', () => {
  it('creates the object with an Apply entry in FieldsV1', () => {
    const out = apply(
      undefined,
      deployment(
        { replicas: 2, template: template([{ name: 'c', image: 'i' }]) },
        { labels: { team: 't' }, finalizers: ['x/y'] },
      ),
    );
    expect(out.metadata.managedFields).to.deep.equal([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:finalizers': { 'v:"x/y"': {} }, 'f:labels': { 'f:team': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
    expect(out.spec).to.deep.equal({ replicas: 2, template: template([{ name: 'c', image: 'i' }]) });
  });

  it('re-applying by the same manager changes values without conflict', () => {
    const first = apply(undefined, deployment({ replicas: 2 }));
    expect(apply(first, deployment({ replicas: 3 })).spec).to.deep.equal({ replicas: 3 });
  });

  it('a field owned by an Update manager with a different value conflicts (409 FieldManagerConflict)', () => {
    const created = recordUpdate(undefined, deployment({ replicas: 1 }), 'kubectl-client-side-apply', {
      now,
    });
    const err = conflictOf(() => apply(created, deployment({ replicas: 5 })));
    expect(err.toStatus()).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1 at 2026-01-02T03:04:05Z: .spec.replicas',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-client-side-apply" using apps/v1 at 2026-01-02T03:04:05Z',
            field: '.spec.replicas',
          },
        ],
      },
      code: 409,
    });
  });

  it('several conflicts are grouped by manager', () => {
    const a = apply(undefined, deployment({ replicas: 1, paused: false }), 'alpha');
    const err = conflictOf(() => apply(a, deployment({ replicas: 2, paused: true }), 'beta'));
    expect(err.message).to.equal(
      'Apply failed with 2 conflicts: conflicts with "alpha":\n- .spec.paused\n- .spec.replicas',
    );
    expect(err.details?.causes?.map((c) => c.field)).to.deep.equal(['.spec.paused', '.spec.replicas']);
  });

  it('the same value is shared, not a conflict', () => {
    const a = apply(undefined, deployment({ replicas: 1 }), 'alpha');
    const b = apply(a, deployment({ replicas: 1 }), 'beta');
    expect(b.metadata.managedFields?.map((e) => (e as { manager: string }).manager)).to.deep.equal([
      'alpha',
      'beta',
    ]);
  });

  it('force takes ownership from the other manager', () => {
    const a = apply(undefined, deployment({ replicas: 1, paused: false }), 'alpha');
    const b = apply(a, deployment({ replicas: 2 }), 'beta', true);
    expect(b.spec).to.deep.equal({ replicas: 2, paused: false });
    const fields = Object.fromEntries(
      (b.metadata.managedFields as Array<{ manager: string; fieldsV1: object }>).map((e) => [
        e.manager,
        e.fieldsV1,
      ]),
    );
    expect(fields).to.deep.equal({
      alpha: { 'f:spec': { 'f:paused': {} } },
      beta: { 'f:spec': { 'f:replicas': {} } },
    });
  });

  it('fields the manager stops applying are removed unless someone else owns them', () => {
    const first = apply(undefined, deployment({}, { labels: { a: '1', b: '2', c: '3' } }));
    const shared = apply(first, deployment({}, { labels: { c: '3' } }), 'other');
    const second = apply(shared, deployment({}, { labels: { a: '1' } }));
    expect(second.metadata.labels).to.deep.equal({ a: '1', c: '3' });
  });

  it('associative lists merge by key and elements of other managers stay', () => {
    const a = apply(
      undefined,
      deployment({ template: template([{ name: 'app', image: 'nginx' }]) }),
      'alpha',
    );
    const b = apply(
      a,
      deployment({ template: template([{ name: 'restore-hook', image: 'alpine' }]) }),
      'beta',
    );
    expect(
      (b.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers,
    ).to.deep.equal([
      { name: 'app', image: 'nginx' },
      { name: 'restore-hook', image: 'alpine' },
    ]);
  });

  it('an element owned by someone else with a different value in it conflicts at the element path', () => {
    const a = apply(
      undefined,
      deployment({ template: template([{ name: 'app', image: 'nginx' }]) }),
      'alpha',
    );
    const err = conflictOf(() =>
      apply(a, deployment({ template: template([{ name: 'app', image: 'httpd' }]) }), 'beta'),
    );
    expect(err.details?.causes?.[0]?.field).to.equal('.spec.template.spec.containers[name="app"].image');
  });

  it('atomic lists are replaced whole', () => {
    const a = apply(
      undefined,
      deployment({ template: template([{ name: 'app', image: 'i', command: ['a', 'b'] }]) }),
    );
    const b = apply(a, deployment({ template: template([{ name: 'app', image: 'i', command: ['c'] }]) }));
    expect(
      (b.spec as { template: { spec: { containers: Array<{ command: string[] }> } } }).template.spec
        .containers[0]?.command,
    ).to.deep.equal(['c']);
  });

  it('custom resources: lists are atomic, maps merge', () => {
    const cr = (spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'r' },
      spec,
    });
    const a = apply(undefined, cr({ backupName: 'b', includedNamespaces: ['x'] }), 'alpha');
    const b = apply(a, cr({ restorePVs: true }), 'beta');
    expect(b.spec).to.deep.equal({ backupName: 'b', includedNamespaces: ['x'], restorePVs: true });
    expect(
      conflictOf(() => apply(b, cr({ includedNamespaces: ['y'] }), 'beta')).details?.causes?.[0]?.field,
    ).to.equal('.spec.includedNamespaces');
  });

  describe('recordUpdate', () => {
    it('moves changed fields to the updater', () => {
      const applied = apply(undefined, deployment({ replicas: 1, paused: false }));
      const scaled = recordUpdate(
        applied,
        { ...applied, spec: { replicas: 4, paused: false } },
        'kube-controller-manager',
        { now },
      );
      const fields = Object.fromEntries(
        (
          scaled.metadata.managedFields as Array<{ manager: string; operation: string; fieldsV1: object }>
        ).map((e) => [`${e.manager}/${e.operation}`, e.fieldsV1]),
      );
      expect(fields).to.deep.equal({
        'kubectl/Apply': { 'f:spec': { 'f:paused': {} } },
        'kube-controller-manager/Update': { 'f:spec': { 'f:replicas': {} } },
      });
      // The applier may now set replicas again only with force.
      expect(conflictOf(() => apply(scaled, deployment({ replicas: 1, paused: false }))).code).to.equal(409);
      expect(apply(scaled, deployment({ replicas: 1, paused: false }), 'kubectl', true).spec).to.deep.equal({
        replicas: 1,
        paused: false,
      });
    });
    it('a write that changes nothing keeps the entries', () => {
      const created = recordUpdate(undefined, deployment({ replicas: 1 }), 'm', { now });
      expect(recordUpdate(created, created, 'other', { now: new Date(0) })).to.deep.equal(created);
    });
    it('removed fields leave every manager', () => {
      const created = recordUpdate(undefined, deployment({ replicas: 1, paused: true }), 'm', { now });
      const out = recordUpdate(created, deployment({ replicas: 1 }), 'n', { now });
      expect(out.metadata.managedFields).to.deep.equal([
        {
          manager: 'm',
          operation: 'Update',
          apiVersion: 'apps/v1',
          time: '2026-01-02T03:04:05Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:replicas': {} } },
        },
      ]);
    });
  });

  describe('field sets', () => {
    it('round-trips through FieldsV1', () => {
      const set = fieldSetOf(
        deployment(
          { template: template([{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }]) },
          { finalizers: ['a'] },
        ),
        patchSchemaFor({ group: 'apps', kind: 'Deployment' }),
      );
      expect(fromFieldsV1(toFieldsV1(set))).to.deep.equal(set);
    });
    it('prints paths as structured-merge-diff does', () => {
      const set = [
        ...fieldSetOf(
          deployment({}, { finalizers: ['a/b'] }),
          patchSchemaFor({ group: 'apps', kind: 'Deployment' }),
        ),
      ];
      expect(set.map(pathString)).to.deep.equal(['.metadata.finalizers[="a/b"]', '.spec']);
    });
  });

  describe('properties', () => {
    const configArb = fc
      .record({
        labels: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('1', '2')),
        replicas: fc.option(fc.nat(3), { nil: undefined }),
        containers: fc.uniqueArray(
          fc.record({ name: fc.constantFrom('x', 'y', 'z'), image: fc.constantFrom('i1', 'i2') }),
          { selector: (c) => c.name, maxLength: 3 },
        ),
      })
      .map(({ labels, replicas, containers }) =>
        deployment(
          { ...(replicas === undefined ? {} : { replicas }), template: template(containers) },
          { labels },
        ),
      );
    it('applying a configuration twice is idempotent and never mutates its inputs', () => {
      fc.assert(
        fc.property(
          fc.option(configArb, { nil: undefined }),
          configArb,
          fc.constantFrom('alpha', 'beta'),
          (existing, applied, manager) => {
            const before = structuredClone([existing, applied]);
            let once: KubeObject;
            try {
              once = apply(
                existing === undefined ? undefined : apply(undefined, existing, 'alpha'),
                applied,
                manager,
              );
            } catch (err) {
              expect(err).to.be.instanceOf(ApiError);
              expect((err as ApiError).code).to.equal(409);
              return;
            }
            expect(apply(once, applied, manager)).to.deep.equal(once);
            expect([existing, applied]).to.deep.equal(before);
          },
        ),
      );
    });
    it('with force the applied values always win', () => {
      fc.assert(
        fc.property(configArb, configArb, (existing, applied) => {
          const out = apply(apply(undefined, existing, 'alpha'), applied, 'beta', true);
          for (const [k, v] of Object.entries(applied.metadata.labels ?? {}))
            expect(out.metadata.labels?.[k]).to.equal(v);
          if ((applied.spec as { replicas?: number }).replicas !== undefined) {
            expect((out.spec as { replicas?: number }).replicas).to.equal(
              (applied.spec as { replicas?: number }).replicas,
            );
          }
        }),
      );
    });
  });
});
