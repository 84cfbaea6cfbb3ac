import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { parse } from 'yaml';
import { RESTORE_PHASES } from '../../src/hooks/restore-types.ts';

const read = (path: string): unknown =>
  parse(readFileSync(new URL(`../../config/crd/${path}`, import.meta.url), 'utf8'));

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
};
interface Crd {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: unknown;
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

/** Structural: every node has a type (or preserves unknown fields, as embedded containers do). */
function untypedNodes(s: Schema, path: string): string[] {
  const here = s.type || s['x-kubernetes-preserve-unknown-fields'] ? [] : [path];
  const props = Object.entries(s.properties ?? {}).flatMap(([k, v]) => untypedNodes(v, `${path}.${k}`));
  const items = s.items ? untypedNodes(s.items, `${path}[]`) : [];
  const extra =
    typeof s.additionalProperties === 'object' ? untypedNodes(s.additionalProperties, `${path}{}`) : [];
  return [...here, ...props, ...items, ...extra];
}

describe('config/crd: the velero.io/v1 Restore CRD', () => {
  const crd = read('velero.io_restores.yaml') as Crd;
  const version = crd.spec.versions[0]!;
  const schema = version.schema.openAPIV3Schema;

  it('is restores.velero.io, namespaced, v1 served and stored', () => {
    expect(crd.spec.group).to.equal('velero.io');
    expect(crd.spec.scope).to.equal('Namespaced');
    expect(crd.spec.names).to.deep.include({ kind: 'Restore', plural: 'restores' });
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).to.deep.equal([['v1', true, true]]);
  });

  it('is structural', () => {
    expect(untypedNodes(schema, 'openAPIV3Schema')).to.deep.equal([]);
  });

  it('has no status subresource and no status.conditions, like Velero', () => {
    expect(version.subresources).to.equal(undefined);
    expect(schema.properties!.status!.properties).to.not.have.property('conditions');
  });

  it('declares the phases the hook engine knows', () => {
    expect(schema.properties!.status!.properties!.phase!.enum).to.deep.equal([...RESTORE_PHASES]);
  });

  it('keeps the fields hooks use', () => {
    const hookResource = schema.properties!.spec!.properties!.hooks!.properties!.resources!.items!;
    expect(Object.keys(hookResource.properties!)).to.include.members([
      'name',
      'includedNamespaces',
      'excludedNamespaces',
      'labelSelector',
      'postHooks',
    ]);
    const post = hookResource.properties!.postHooks!.items!.properties!;
    expect(post.init!.properties!.initContainers!.items!['x-kubernetes-preserve-unknown-fields']).to.equal(
      true,
    );
    expect(post.exec!.properties!.onError!.enum).to.deep.equal(['Continue', 'Fail']);
    expect(schema.properties!.status!.properties!.hookStatus!.properties).to.have.keys(
      'hooksAttempted',
      'hooksFailed',
    );
  });

  it('keeps the optional patch out of the folder the devcluster installs', () => {
    const top = readdirSync(new URL('../../config/crd/', import.meta.url)).filter((f) => f.endsWith('.yaml'));
    expect(top).to.deep.equal(['velero.io_restores.yaml']);
  });

  it('the conditions patch applies and adds a structural status.conditions list', () => {
    const patch = read('patches/restore-status-conditions.yaml') as Operation[];
    const patched = fastJsonPatch.applyPatch(structuredClone(crd), patch, true, false).newDocument;
    const s = patched.spec.versions[0]!.schema.openAPIV3Schema;
    const conditions = s.properties!.status!.properties!.conditions as Schema & {
      'x-kubernetes-list-map-keys': string[];
    };
    expect(conditions.type).to.equal('array');
    expect(conditions['x-kubernetes-list-map-keys']).to.deep.equal(['type']);
    expect(untypedNodes(s, 'openAPIV3Schema')).to.deep.equal([]);
  });
});
