import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { parseFlags } from '../../src/cli/flags.ts';
import { runFlags } from '../../src/cli/commands/run.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { resolveSettings } from '../../src/config/resolve.ts';
import { DEFAULT_HOOK_POLICY } from '../../src/hooks/policy.ts';
import { unknownRestoreFields } from '../../src/hooks/unknown-fields.ts';
import { parseRestoreHooks } from '../../src/hooks/validate.ts';

/**
 * Every YAML snippet of README.md and docs/*.md is checked against the code: a Restore (kind: Restore, or a
 * `spec: {hooks: …}` fragment of one) against the hook engine, anything else against the settings schema. A
 * snippet that is wrong on purpose says so: `<!-- snippet: invalid -->` on the line before its fence (blank lines between allowed) (or `# invalid`
 * as its first line), and must then fail. One that is neither (a kustomization, say) carries
 * `<!-- snippet: not-checked: WHY -->`.
 */
interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly marker: 'invalid' | 'not-checked' | undefined;
}

const ROOT = new URL('../../', import.meta.url);

function snippets(): Snippet[] {
  const files = [
    'README.md',
    ...readdirSync(new URL('docs/', ROOT))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const out: Snippet[] = [];
  for (const file of files) {
    const lines = readFileSync(new URL(file, ROOT), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^(\s*)```(yaml|yml)\s*$/.exec(lines[i]!);
      if (!open) continue;
      const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
      const body = lines
        .slice(i + 1, end)
        .map((l) => l.slice(open[1]!.length))
        .join('\n');
      let previous = i - 1;
      while (previous > 0 && lines[previous]!.trim() === '') previous--;
      const before = /<!--\s*snippet:\s*(invalid|not-checked)\b[^>]*-->/.exec(lines[previous] ?? '')?.[1];
      const first = /^#\s*invalid\b/.test(body.trimStart()) ? 'invalid' : undefined;
      out.push({ file, line: i + 1, text: body, marker: (before ?? first) as Snippet['marker'] });
      i = end;
    }
  }
  return out;
}

/** The problems the code finds in a snippet: the hook engine's for a Restore, the settings schema's otherwise. */
export function snippetProblems(text: string): string[] {
  const problems: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      problems.push(...doc.errors.map((e) => e.message));
      continue;
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const obj = value as Record<string, unknown>;
    const spec = obj.spec as Record<string, unknown> | undefined;
    const isRestore = obj.kind === 'Restore' || (Object.keys(obj).length === 1 && spec?.hooks !== undefined);
    if (isRestore) {
      const restore =
        obj.kind === 'Restore'
          ? obj
          : {
              apiVersion: 'velero.io/v1',
              kind: 'Restore',
              metadata: { name: 'r', namespace: 'velero' },
              spec,
            };
      const hooks = parseRestoreHooks(restore, DEFAULT_HOOK_POLICY);
      problems.push(...hooks.problems.map((p) => `${p.severity}: ${p.field}: ${p.message}`));
      problems.push(...unknownRestoreFields(restore).map((p) => p.message));
      continue;
    }
    try {
      resolveSettings(parseFlags(runFlags, ['--config', 'snippet.yaml'], {}, false), {}, () =>
        doc.toString(),
      );
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  return problems;
}

describe('docs: every config and Restore snippet of README.md and docs/ matches the code', () => {
  const all = snippets();
  it('finds the snippets', () => expect(all.length).to.be.greaterThan(0));
  for (const s of all) {
    if (s.marker === 'not-checked') continue;
    it(`${s.file}:${s.line}${s.marker ? ' (marked invalid)' : ''}`, () => {
      const problems = snippetProblems(s.text);
      if (s.marker === 'invalid')
        expect(problems, 'a snippet marked invalid must fail').to.not.deep.equal([]);
      else expect(problems).to.deep.equal([]);
    });
  }
  it('tells a settings snippet with an unknown key from a valid one', () => {
    expect(snippetProblems('hooks:\n  annotationHooks: true\n')).to.deep.equal([
      'snippet.yaml: hooks: unknown setting',
    ]);
    expect(snippetProblems('policy:\n  annotationHooks: false\n')).to.deep.equal([]);
    expect(snippetProblems('spec:\n  hooks:\n    resources:\n      - postHooks: []\n')).to.not.deep.equal([]);
    expect(
      snippetProblems('spec:\n  hooks:\n    resources:\n      - name: a\n        postHook: []\n'),
    ).to.include('unknown field spec.hooks.resources[0].postHook, did you mean postHooks?');
  });
});
