import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { ClusterAPI, KubeObject } from '../api/types.ts';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };

/** config/crd of the package this module belongs to (found by walking up to its package.json). */
export function defaultCrdDirectory(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'config', 'crd');
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The CustomResourceDefinitions in the YAML files of `directory` (multi-document files allowed), in file name order,
 * each with the file it came from. A missing directory has none; a file that does not parse, or holds anything but
 * CRDs, throws an Error naming the file.
 */
export function readCrdFiles(directory: string | undefined): { path: string; crd: KubeObject }[] {
  if (!directory || !existsSync(directory)) return [];
  const found: { path: string; crd: KubeObject }[] = [];
  for (const file of readdirSync(directory)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const path = join(directory, file);
    for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
      const object = doc.toJS() as KubeObject | null;
      if (object === null) continue;
      if (object.kind !== 'CustomResourceDefinition')
        throw new Error(`${path}: expected CustomResourceDefinition documents, found ${String(object.kind)}`);
      found.push({ path, crd: object });
    }
  }
  return found;
}

/** Creates every CRD readCrdFiles finds; a CRD the server rejects throws an Error naming its file. */
export function preinstallCrds(api: ClusterAPI, directory: string | undefined): string[] {
  return readCrdFiles(directory).map(({ path, crd }) => {
    try {
      api.create(CRDS, undefined, crd);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
    }
    return crd.metadata.name ?? '';
  });
}
