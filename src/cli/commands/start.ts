import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { resolveRunSettings, runCommand, runFlags, untilStopSignal } from './run.ts';

/** True when client-node's default loading order would find a cluster. */
export function clusterConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.KUBECONFIG) return true;
  if (env.KUBERNETES_SERVICE_HOST) return true;
  return existsSync(join(env.HOME ?? homedir(), '.kube', 'config'));
}

export const startCommand: Command = {
  name: 'start',
  summary:
    'What `npm start` runs: `run` when a cluster is configured, else the devcluster demo with the controller.',
  usage: '[run flags]',
  flags: runFlags,
  async run(args, io) {
    if (clusterConfigured(io.env)) return runCommand.run(args, io);
    const settings = await resolveRunSettings(args, io, 'start');
    if (!settings) return 2;
    const { loadDevclusterCommands } = await import('../devcluster-loader.ts');
    const devcluster = await loadDevclusterCommands();
    return untilStopSignal((signal) => devcluster.startDemo(settings, io, signal));
  },
};
