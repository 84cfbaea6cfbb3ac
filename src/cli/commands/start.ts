import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { NotImplementedError } from '../command.ts';
import { runFlags } from './run.ts';

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
  async run(_args, io) {
    if (clusterConfigured(io.env)) throw new NotImplementedError('restore-hooks run (the controller)');
    throw new NotImplementedError('the devcluster demo with the controller in one process');
  },
};
