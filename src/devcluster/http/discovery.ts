import type { ResourceRegistry } from '../registry/registry.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { apiVersionOf } from '../registry/resource.ts';

/** What /version reports; kubectl's dispatcher picks kubectl 1.32 from `minor`. */
export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-devcluster',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const SUBRESOURCE_VERBS: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  exec: ['create', 'get'],
  binding: ['create'],
  scale: ['get', 'patch', 'update'],
};

function subresources(r: ResourceInfo): string[] {
  return [...(r.statusSubresource ? ['status'] : []), ...r.extraSubresources];
}

function subresourceKind(r: ResourceInfo, sub: string): { group: string; version: string; kind: string } {
  if (sub === 'exec') return { group: '', version: 'v1', kind: 'PodExecOptions' };
  if (sub === 'binding') return { group: '', version: 'v1', kind: 'Binding' };
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  return { group: r.group, version: r.version, kind: r.kind };
}

function legacyResources(resources: ResourceInfo[]): unknown[] {
  const out: unknown[] = [];
  for (const r of resources) {
    out.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const sub of subresources(r)) {
      const k = subresourceKind(r, sub);
      out.push({
        name: `${r.resource}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(k.group !== r.group ? { group: k.group, version: k.version } : {}),
        kind: k.kind,
        verbs: SUBRESOURCE_VERBS[sub] ?? ['get'],
      });
    }
  }
  return out;
}

/** The legacy discovery documents (/api, /apis, /api/v1, /apis/G, /apis/G/V) and the aggregated ones. */
export class Discovery {
  readonly #registry: ResourceRegistry;

  constructor(registry: ResourceRegistry) {
    this.#registry = registry;
  }

  apiVersions(serverAddress: string): unknown {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }

  #group(group: string, versions: readonly string[]): unknown {
    const gv = (v: string) => ({ groupVersion: `${group}/${v}`, version: v });
    return { name: group, versions: versions.map(gv), preferredVersion: gv(versions[0]!) };
  }

  apiGroupList(): unknown {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.#registry
        .groups()
        .filter((g) => g.group !== '')
        .map((g) => this.#group(g.group, g.versions)),
    };
  }

  /** /apis/G, or undefined when the group is not served. */
  apiGroup(group: string): unknown {
    const found = this.#registry.groups().find((g) => g.group === group && group !== '');
    return found
      ? { kind: 'APIGroup', apiVersion: 'v1', ...(this.#group(group, found.versions) as object) }
      : undefined;
  }

  /** /api/v1 or /apis/G/V, or undefined when not served. */
  resourceList(group: string, version: string): unknown {
    const resources = this.#registry.resourcesIn(group, version);
    if (resources.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      ...(group === '' ? {} : { apiVersion: 'v1' }),
      groupVersion: apiVersionOf({ group, version }),
      resources: legacyResources(resources),
    };
  }

  /** Aggregated discovery: the core group for /api, every other group for /apis. */
  aggregated(core: boolean, version: 'v2' | 'v2beta1'): unknown {
    const items = this.#registry
      .groups()
      .filter((g) => (g.group === '') === core)
      .map((g) => ({
        metadata: { name: g.group, creationTimestamp: null },
        versions: g.versions.map((v) => ({
          version: v,
          resources: this.#registry.resourcesIn(g.group, v).map((r) => ({
            resource: r.resource,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singular,
            verbs: r.verbs,
            ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
            ...(r.categories.length ? { categories: r.categories } : {}),
            ...(subresources(r).length
              ? {
                  subresources: subresources(r).map((sub) => ({
                    subresource: sub,
                    responseKind: subresourceKind(r, sub),
                    verbs: SUBRESOURCE_VERBS[sub] ?? ['get'],
                  })),
                }
              : {}),
          })),
          freshness: 'Current',
        })),
      }));
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items,
    };
  }
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
