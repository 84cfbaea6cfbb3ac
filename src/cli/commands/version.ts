import { readFileSync } from 'node:fs';
import type { Command } from '../command.ts';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the version of restore-hooks and of the Node.js runtime.',
  usage: '',
  flags: [],
  async run(_args, io) {
    io.stdout.write(`restore-hooks ${packageVersion()} (node ${process.version})\n`);
    return 0;
  },
};
