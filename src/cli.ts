#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command, CommandIO } from './cli/command.ts';
import { NotImplementedError, commandHelp, programHelp } from './cli/command.ts';
import { UsageError, parseFlags } from './cli/flags.ts';
import { ConfigError } from './config/errors.ts';
import { devclusterCommand } from './cli/commands/devcluster.ts';
import { NotInThisBuildError } from './cli/devcluster-loader.ts';
import { planCommand } from './cli/commands/plan.ts';
import { runCommand } from './cli/commands/run.ts';
import { startCommand } from './cli/commands/start.ts';
import { statusCommand } from './cli/commands/status.ts';
import { versionCommand } from './cli/commands/version.ts';

const PROGRAM = 'restore-hooks';
const MIN_NODE_MAJOR = 24;

export const commands: readonly Command[] = [
  runCommand,
  devclusterCommand,
  planCommand,
  statusCommand,
  versionCommand,
  startCommand,
];

/** Runs the CLI and resolves to the exit status; never throws. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic ? commandHelp(PROGRAM, topic) : programHelp(PROGRAM, commands));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version')
    return versionCommand.run({ values: {}, sources: {}, positionals: [], help: false }, io);
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.stderr.write(
      `${PROGRAM}: unknown command ${JSON.stringify(name)}\n\n${programHelp(PROGRAM, commands)}`,
    );
    return 2;
  }
  try {
    const args = parseFlags(cmd.flags, rest, io.env, cmd.positionals ?? false);
    if (args.help) {
      io.stdout.write(commandHelp(PROGRAM, cmd));
      return 0;
    }
    const major = Number(process.versions.node.split('.')[0]);
    if (cmd !== versionCommand && major < MIN_NODE_MAJOR) {
      io.stderr.write(
        `${PROGRAM}: Node.js ${MIN_NODE_MAJOR} or newer is required, this is ${process.version}. ` +
          `Run it through npm (npm start, npx restore-hooks), which uses the Node.js that 'npm ci' installed.\n`,
      );
      return 1;
    }
    return await cmd.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${PROGRAM} ${cmd.name}: ${err.message}\nUsage: ${PROGRAM} ${cmd.name} ${cmd.usage}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      for (const problem of err.problems) io.stderr.write(`${PROGRAM} ${cmd.name}: ${problem}\n`);
      return 2;
    }
    if (err instanceof NotImplementedError || err instanceof NotInThisBuildError) {
      io.stderr.write(`${PROGRAM} ${cmd.name}: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(
      `${PROGRAM} ${cmd.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const status = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = status;
}
