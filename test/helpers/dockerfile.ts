/** The Dockerfile's instructions per stage, for the tests that check the image without a Docker engine. */
import { expect } from 'chai';

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
export interface Stage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Splits a Dockerfile into instructions (comments dropped, `\` continuations joined) grouped by stage. */
export function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // comments inside a continued instruction
    if (line.endsWith('\\')) pending += `${line.slice(0, -1).trim()} `;
    else {
      logical.push(pending + line);
      pending = '';
    }
  }
  expect(pending, 'a dangling line continuation').to.equal('');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args.set(name!, value);
    } else if (instruction.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      const base = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args.get(a ?? b) ?? '');
      stages.push({ base, name: m[2], instructions: [] });
    } else {
      expect(stages.length, `${keyword} before the first FROM`).to.be.greaterThan(0);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}
