import type { KubeObject, StatusCause } from '../api/types.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { ALL_VERBS } from '../registry/resource.ts';

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: unknown };
  subresources?: { status?: unknown; scale?: unknown };
  additionalPrinterColumns?: unknown;
}

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: {
    plural: string;
    singular?: string;
    kind: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(field: string, value: unknown, message: string): StatusCause {
  return {
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(value)}: ${message}`,
    field,
  };
}

function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

/** The CRD checks the devcluster makes (a subset of apiextensions validation); empty when the CRD is usable. */
export function validateCrd(crd: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = crd.spec;
  if (!isObj(spec)) return [required('spec')];
  if (typeof spec.group !== 'string' || spec.group === '') causes.push(required('spec.group'));
  else if (!spec.group.includes('.'))
    causes.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(spec.scope)}: supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  const names = isObj(spec.names) ? spec.names : {};
  if (typeof names.plural !== 'string' || names.plural === '') causes.push(required('spec.names.plural'));
  if (typeof names.kind !== 'string' || names.kind === '') causes.push(required('spec.names.kind'));
  if (
    typeof names.plural === 'string' &&
    typeof spec.group === 'string' &&
    crd.metadata.name !== `${names.plural}.${spec.group}`
  )
    causes.push(invalid('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  const versions = Array.isArray(spec.versions) ? (spec.versions as unknown[]) : [];
  if (versions.length === 0)
    causes.push(
      invalid('spec.versions', versions, 'must have exactly one version marked as storage version'),
    );
  else {
    const storage = versions.filter((v) => isObj(v) && v.storage === true).length;
    if (storage !== 1)
      causes.push(
        invalid(
          'spec.versions',
          versions.map((v) => (isObj(v) ? v.name : v)),
          'must have exactly one version marked as storage version',
        ),
      );
    versions.forEach((v, i) => {
      if (!isObj(v) || typeof v.name !== 'string' || v.name === '')
        causes.push(required(`spec.versions[${i}].name`));
      else if (typeof v.served !== 'boolean') causes.push(required(`spec.versions[${i}].served`));
    });
  }
  return causes;
}

/** The resources a (valid) CRD serves: one ResourceInfo per served version. */
export function crdResources(crd: KubeObject): ResourceInfo[] {
  const spec = crd.spec as CrdSpec;
  const names = spec.names;
  return spec.versions
    .filter((v) => v.served)
    .map((v) => ({
      group: spec.group,
      version: v.name,
      resource: names.plural,
      singular: names.singular || names.kind.toLowerCase(),
      kind: names.kind,
      listKind: names.listKind || `${names.kind}List`,
      namespaced: spec.scope === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      verbs: ALL_VERBS,
      statusSubresource: isObj(v.subresources) && v.subresources.status !== undefined,
      extraSubresources: [],
      hasGeneration: true,
      returnDeletedObject: false,
      selectableFields: {},
      custom: { schema: v.schema?.openAPIV3Schema, printerColumns: v.additionalPrinterColumns },
    }));
}

/** The status an apiextensions controller would write once the CRD is served. */
export function establishedStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const spec = crd.spec as CrdSpec;
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: {
      ...spec.names,
      singular: spec.names.singular || spec.names.kind.toLowerCase(),
      listKind: spec.names.listKind || `${spec.names.kind}List`,
    },
    storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
  };
}
