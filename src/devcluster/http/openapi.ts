import { createHash } from 'node:crypto';
import type { ResourceRegistry } from '../registry/registry.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { apiVersionOf } from '../registry/resource.ts';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

function operationId(r: ResourceInfo): string {
  const group = r.group === '' ? 'Core' : r.group.split('.')[0]!.replace(/^./, (c) => c.toUpperCase());
  const version = r.version.replace(/^./, (c) => c.toUpperCase());
  return `patch${group}${version}${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
}

function patchOperation(r: ResourceInfo): unknown {
  return {
    patch: {
      operationId: operationId(r),
      parameters: [
        { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
      ],
      requestBody: {
        content: Object.fromEntries(PATCH_TYPES.map((t) => [t, { schema: { type: 'object' } }])),
        required: true,
      },
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } },
      },
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
    },
  };
}

function itemPath(r: ResourceInfo): string {
  const prefix = r.group === '' ? '/api/v1' : `/apis/${r.group}/${r.version}`;
  return `${prefix}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}/{name}`;
}

/**
 * The minimal /openapi/v3 kubectl needs for its default validation: per group-version, a PATCH operation per kind
 * with `x-kubernetes-group-version-kind` and the `fieldValidation` parameter. No schemas, and strategic merge is
 * deliberately not advertised (kubectl would then expect full schemas).
 */
export class OpenApi {
  readonly #registry: ResourceRegistry;
  #cache: { generation: number; docs: Map<string, { json: string; hash: string }> } | undefined;

  constructor(registry: ResourceRegistry) {
    this.#registry = registry;
  }

  #docs(): Map<string, { json: string; hash: string }> {
    if (this.#cache?.generation === this.#registry.generation) return this.#cache.docs;
    const docs = new Map<string, { json: string; hash: string }>();
    for (const g of this.#registry.groups())
      for (const v of g.versions) {
        const key = g.group === '' ? `api/${v}` : `apis/${apiVersionOf({ group: g.group, version: v })}`;
        const resources = this.#registry.resourcesIn(g.group, v);
        const json = JSON.stringify({
          openapi: '3.0.0',
          info: { title: 'Kubernetes', version: 'v1.32.0' },
          paths: Object.fromEntries(resources.map((r) => [itemPath(r), patchOperation(r)])),
          components: { schemas: {} },
        });
        docs.set(key, {
          json,
          hash: createHash('sha512').update(json).digest('hex').slice(0, 64).toUpperCase(),
        });
      }
    this.#cache = { generation: this.#registry.generation, docs };
    return docs;
  }

  root(): unknown {
    const paths: Record<string, unknown> = {};
    for (const [key, doc] of this.#docs())
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
    return { paths };
  }

  /** The document for `api/v1` or `apis/G/V`, or undefined. */
  document(key: string): string | undefined {
    return this.#docs().get(key)?.json;
  }
}
