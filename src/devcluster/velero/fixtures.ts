/** Backup fixtures: a directory per backup name holding YAML (or JSON) manifests, multi-document and `kind: List` allowed. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/types.ts';

export class FixtureError extends Error {
  override name = 'FixtureError';
}

async function manifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await manifestFiles(path)));
    else if (/\.(ya?ml|json)$/.test(e.name)) files.push(path);
  }
  return files;
}

function checkObject(value: unknown, where: string): KubeObject {
  const o = value as Partial<KubeObject> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new FixtureError(`${where}: not an object`);
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '')
    throw new FixtureError(`${where}: apiVersion is required`);
  if (typeof o.kind !== 'string' || o.kind === '') throw new FixtureError(`${where}: kind is required`);
  if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') {
    throw new FixtureError(`${where}: metadata.name is required`);
  }
  return o as KubeObject;
}

/** Parses manifests from text; `source` names the file in errors. */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${source} (document ${i + 1})`;
    if (doc.errors.length > 0) throw new FixtureError(`${where}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) return;
    const list = value as { kind?: string; items?: unknown[] };
    if (typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items)) {
      list.items.forEach((item, j) => objects.push(checkObject(item, `${where}, items[${j}]`)));
    } else objects.push(checkObject(value, where));
  });
  return objects;
}

/** Reads every manifest under `<fixturesDir>/<backupName>/`. */
export async function loadBackupFixture(fixturesDir: string, backupName: string): Promise<KubeObject[]> {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(backupName)) {
    throw new FixtureError(`spec.backupName: "${backupName}" is not a valid backup name`);
  }
  const dir = join(fixturesDir, backupName);
  let files: string[];
  try {
    files = await manifestFiles(dir);
  } catch {
    throw new FixtureError(`backup "${backupName}" not found: no directory ${dir}`);
  }
  const objects: KubeObject[] = [];
  for (const file of files)
    objects.push(...parseManifests(await readFile(file, 'utf8'), relative(fixturesDir, file)));
  return objects;
}
