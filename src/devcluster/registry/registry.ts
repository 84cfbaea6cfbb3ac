import type { GroupVersionResource } from '../api/types.ts';
import { BUILTIN_RESOURCES } from './builtin-resources.ts';
import type { ResourceInfo } from './resource.ts';
import { storageKey } from './resource.ts';

export interface GroupVersions {
  readonly group: string;
  /** Served versions, preferred first. */
  readonly versions: readonly string[];
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first, then other strings alphabetically. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { rank: 0, major: 0, minor: 0 };
    return {
      rank: m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1,
      major: Number(m[1]),
      minor: Number(m[3] ?? 0),
    };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa.rank !== pb.rank) return pb.rank - pa.rank;
  if (pa.rank === 0) return a.localeCompare(b);
  return pb.major - pa.major || pb.minor - pa.minor;
}

/**
 * The resources the server serves right now: the built-in table plus the resources of established CRDs. Listeners
 * hear every change (discovery and openapi documents derive from it).
 */
export class ResourceRegistry {
  readonly #builtin = new Map<string, ResourceInfo>();
  /** CRD name -> the ResourceInfo of each served version. */
  readonly #custom = new Map<string, readonly ResourceInfo[]>();
  #byGvr = new Map<string, ResourceInfo>();
  readonly #listeners = new Set<() => void>();
  #generation = 0;

  constructor(builtin: readonly ResourceInfo[] = BUILTIN_RESOURCES) {
    for (const r of builtin) this.#builtin.set(gvrKey(r), r);
    this.#rebuild();
  }

  /** Bumped on every change; discovery and openapi use it as their hash input. */
  get generation(): number {
    return this.#generation;
  }

  lookup(gvr: GroupVersionResource): ResourceInfo | undefined {
    return this.#byGvr.get(gvrKey(gvr));
  }

  /** All served versions of the resource sharing this storage (group/resource). */
  versionsOf(group: string, resource: string): ResourceInfo[] {
    return [...this.#byGvr.values()].filter((r) => r.group === group && r.resource === resource);
  }

  all(): ResourceInfo[] {
    return [...this.#byGvr.values()];
  }

  resourcesIn(group: string, version: string): ResourceInfo[] {
    return this.all().filter((r) => r.group === group && r.version === version);
  }

  /** Every group with its versions, core ('') first, then built-in groups in table order, then custom groups. */
  groups(): GroupVersions[] {
    const order: string[] = [];
    const versions = new Map<string, Set<string>>();
    for (const r of this.#byGvr.values()) {
      if (!versions.has(r.group)) {
        versions.set(r.group, new Set());
        order.push(r.group);
      }
      versions.get(r.group)!.add(r.version);
    }
    return order.map((group) => ({ group, versions: [...versions.get(group)!].sort(compareVersions) }));
  }

  /** Replaces the served versions of one CRD (an empty list removes it). */
  setCustom(crdName: string, versions: readonly ResourceInfo[]): void {
    if (versions.length === 0) this.#custom.delete(crdName);
    else this.#custom.set(crdName, versions);
    this.#rebuild();
  }

  /** True if a CRD other than `crdName` already serves this group/resource. */
  customOwnerOf(group: string, resource: string): string | undefined {
    for (const [name, infos] of this.#custom)
      if (infos.some((i) => storageKey(i) === storageKey({ group, resource }))) return name;
    return undefined;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #rebuild(): void {
    const next = new Map(this.#builtin);
    for (const infos of this.#custom.values())
      for (const r of infos) if (!next.has(gvrKey(r))) next.set(gvrKey(r), r);
    this.#byGvr = next;
    this.#generation++;
    for (const l of this.#listeners) l();
  }
}

function gvrKey(g: { group: string; version: string; resource: string }): string {
  return `${g.group}/${g.version}/${g.resource}`;
}
