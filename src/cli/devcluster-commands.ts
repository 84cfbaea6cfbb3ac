/**
 * The commands that need the devcluster, loaded only through devcluster-loader.ts (see there why), so that the
 * build of the controller leaves them and the devcluster out.
 */
import { readFile } from 'node:fs/promises';
import type { Settings } from '../config/settings.ts';
import { demoVeleroOptions, loadDemo } from '../devcluster/demo.ts';
import type { FaultsFile } from '../devcluster/faults/config-file.ts';
import { parseFaultsFile } from '../devcluster/faults/config-file.ts';
import { startSimulatedCluster } from '../devcluster/simulated.ts';
import type { CommandIO } from './command.ts';
import type { DevclusterCommands } from './devcluster-loader.ts';
import type { ParsedArgs } from './flags.ts';
import { UsageError } from './flags.ts';

/** `restore-hooks devcluster` (its flags and help: commands/devcluster.ts). */
async function serve(args: ParsedArgs, io: CommandIO): Promise<number> {
  const kubeconfigPath = String(args.values.kubeconfig);
  const port = typeof args.values.port === 'number' ? args.values.port : 0;
  const demo = args.values.demo === true;
  const backups = typeof args.values.backups === 'string' ? args.values.backups : undefined;
  if (demo && (backups !== undefined || args.values.simulation === true))
    throw new UsageError('--demo cannot be combined with --simulation or --backups');
  const simulate = demo || backups !== undefined || args.values.simulation === true;
  let faults: FaultsFile | undefined;
  if (typeof args.values.faults === 'string') {
    const file = args.values.faults;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new UsageError(
        `--faults ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    try {
      faults = parseFaultsFile(text);
    } catch (e) {
      throw new UsageError(`--faults ${file}: ${(e as Error).message}`);
    }
  }
  const cluster = await startSimulatedCluster({
    port,
    ...(typeof args.values.crds === 'string' ? { crdDirectory: args.values.crds } : {}),
    ...(faults ? { faults } : {}),
    ...(args.values.rbac === true ? { rbac: true } : {}),
    simulation: demo
      ? { velero: demoVeleroOptions() }
      : simulate
        ? backups !== undefined
          ? { velero: { fixturesDir: backups } }
          : {}
        : false,
  });
  try {
    if (demo) loadDemo(cluster.api);
    await cluster.writeKubeconfig(kubeconfigPath);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  io.stdout.write(
    JSON.stringify({
      level: 'info',
      msg: 'devcluster serving',
      url: cluster.url,
      demo,
      simulation: simulate,
      kubeconfig: kubeconfigPath,
    }) + '\n',
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await cluster.stop();
  io.stdout.write(JSON.stringify({ level: 'info', msg: 'devcluster stopped', signal }) + '\n');
  return 0;
}

/** start-demo.ts loads the controller too: only `start` needs it. */
async function startDemo(settings: Settings, io: CommandIO, signal: AbortSignal): Promise<number> {
  const { startDemo } = await import('./start-demo.ts');
  return startDemo(settings, io, signal);
}

export default { serve, startDemo } satisfies DevclusterCommands;
