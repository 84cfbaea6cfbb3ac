import type { FlagSpec, ParsedArgs } from './flags.ts';
import { envVarName } from './flags.ts';

export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Text after `restore-hooks <name>` in the usage line, e.g. `--restore FILE [-o yaml|json] MANIFEST...`. */
  readonly usage: string;
  readonly description?: string;
  readonly flags: readonly FlagSpec[];
  readonly positionals?: boolean;
  /** Hidden commands are callable but not listed in the top-level help. */
  readonly hidden?: boolean;
  /** Resolves to the process exit status. Long-running commands resolve when they have shut down. */
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}

/** Raised by a command whose implementation has not landed yet; exits 1 with a message saying so. */
export class NotImplementedError extends Error {
  override name = 'NotImplementedError';
  constructor(what: string) {
    super(`${what} is not implemented yet`);
  }
}

export function commandHelp(program: string, cmd: Command): string {
  const lines = [`Usage: ${program} ${cmd.name} ${cmd.usage}`.trimEnd(), '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description.trim());
  const rows = cmd.flags.map((f) => {
    const left = `  ${f.short ? `-${f.short}, ` : ''}--${f.name}${f.type === 'boolean' ? '' : ` ${f.valueName ?? 'VALUE'}`}`;
    const env = f.env ? ` [env ${envVarName(f.name)}]` : '';
    return [left, `${f.description}${env}`] as const;
  });
  rows.push(['  -h, --help', 'Show this help.']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  lines.push('', 'Flags:', ...rows.map(([l, r]) => l.padEnd(width) + r));
  return lines.join('\n') + '\n';
}

export function programHelp(program: string, commands: readonly Command[]): string {
  const visible = commands.filter((c) => !c.hidden);
  const width = Math.max(...visible.map((c) => c.name.length)) + 4;
  return [
    `Usage: ${program} <command> [flags]`,
    '',
    'Applies Velero restore hooks to every pod a restore brings back.',
    '',
    'Commands:',
    ...visible.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run '${program} <command> --help' for the flags of a command.`,
    'Flags override RESTORE_HOOKS_* environment variables, which override the config file.',
    '',
  ].join('\n');
}
