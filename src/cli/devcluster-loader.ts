/**
 * The CLI's one way into the devcluster. The build (tsconfig.build.json, and so the controller image) compiles only
 * what src/cli.ts reaches, so it must not reach the ~14,500-line simulator: the commands that need it
 * (`devcluster`, and `start` without a cluster) live in devcluster-commands.ts, which this loads by a computed URL
 * that tsc does not follow. From the sources (`npm start`, the tests) the module is always there; in a build
 * without it the command says so and exits 1.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../config/settings.ts';
import type { CommandIO } from './command.ts';
import type { ParsedArgs } from './flags.ts';

/** What devcluster-commands.ts exports as its default; it declares `satisfies DevclusterCommands`. */
export interface DevclusterCommands {
  /** `restore-hooks devcluster`: serves the embedded API server until SIGINT or SIGTERM. */
  serve(args: ParsedArgs, io: CommandIO): Promise<number>;
  /** `restore-hooks start` without a cluster: the devcluster demo with the controller, until `signal`. */
  startDemo(settings: Settings, io: CommandIO, signal: AbortSignal): Promise<number>;
}

/** A command that needs a part of the project this build leaves out; the CLI prints it and exits 1. */
export class NotInThisBuildError extends Error {
  override name = 'NotInThisBuildError';
}

/** The module beside this one, as it is named here: `.ts` when Node runs the sources, `.js` in a build. */
export function devclusterCommandsUrl(from: string = import.meta.url): URL {
  return new URL(`./devcluster-commands${extname(fileURLToPath(from))}`, from);
}

export async function loadDevclusterCommands(): Promise<DevclusterCommands> {
  const url = devclusterCommandsUrl();
  if (!existsSync(fileURLToPath(url)))
    throw new NotInThisBuildError(
      'the devcluster is not part of this build (the controller image and `npm run build` carry only what ' +
        '`restore-hooks run` needs); run it from the sources: `npm ci && npm start`, or `node src/cli.ts devcluster ...`',
    );
  const module = (await import(url.href)) as { default: DevclusterCommands };
  return module.default;
}
