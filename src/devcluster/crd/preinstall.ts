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
 * Creates every CustomResourceDefinition found in the YAML files of `directory` (multi-document files allowed).
 * A missing directory installs nothing. A file that does not parse, or a CRD the server rejects, throws an Error
 * naming the file.
 */
export function preinstallCrds(api: ClusterAPI, directory: string | undefined): string[] {
  if (!directory || !existsSync(directory)) return [];
  const installed: string[] = [];
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
      try {
        api.create(CRDS, undefined, object);
      } catch (err) {
        throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
      }
      installed.push(object.metadata.name ?? '');
    }
  }
  return installed;
}
