/** Reading the inputs of `restore-hooks plan`: YAML/JSON files (several documents each) and directories of them. */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Input that `plan` cannot use: it exits 2 with this message, which names the file (and field or line). */
export class InputError extends Error {
  override name = 'InputError';
}

export interface LoadedDocument {
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  readonly value: unknown;
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

async function filesOf(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!info.isDirectory()) return [path];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const e of entries) {
    const child = join(path, e.name);
    if (e.isDirectory()) files.push(...(await filesOf(child)));
    else if (MANIFEST_EXTENSIONS.test(e.name)) files.push(child);
  }
  return files;
}

/** The documents of one file; empty documents (`---` separators, comments only) are skipped. */
export async function readDocuments(file: string): Promise<LoadedDocument[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const docs: LoadedDocument[] = [];
  parseAllDocuments(text, { prettyErrors: true }).forEach((doc, i) => {
    if ('errors' in doc && doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0].line;
      throw new InputError(`${file}${line ? `:${line}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    docs.push({ file, index: i + 1, value });
  });
  return docs;
}

/** Every document of every file, in argument order; directories are read recursively in name order. */
export async function readManifests(paths: readonly string[]): Promise<LoadedDocument[]> {
  const docs: LoadedDocument[] = [];
  for (const path of paths) for (const file of await filesOf(path)) docs.push(...(await readDocuments(file)));
  // A `kind: List` holds its objects in `items`.
  return docs.flatMap((d) => {
    const v = d.value as { kind?: unknown; items?: unknown };
    return typeof v === 'object' && v !== null && v.kind === 'List' && Array.isArray(v.items)
      ? v.items.map((item: unknown) => ({ ...d, value: item }))
      : [d];
  });
}
