import type { Command } from '../command.ts';
import { NotImplementedError } from '../command.ts';
import { validators } from '../flags.ts';

export const devclusterCommand: Command = {
  name: 'devcluster',
  summary: 'Serve the embedded Kubernetes API server until SIGINT or SIGTERM.',
  usage: '--kubeconfig FILE [--port N] [--demo]',
  description: `
Writes FILE, usable by kubectl and client-node, once the server is ready to serve requests.
With --demo it also loads the sample scenario from config/samples/.`,
  flags: [
    {
      name: 'kubeconfig',
      type: 'string',
      valueName: 'FILE',
      required: true,
      validate: validators.nonEmpty,
      description: 'Where to write the kubeconfig for the embedded cluster.',
    },
    {
      name: 'port',
      type: 'number',
      valueName: 'N',
      validate: validators.port,
      description: 'TCP port on 127.0.0.1. Default 0: any free port.',
    },
    { name: 'demo', type: 'boolean', description: 'Load the demo scenario from config/samples/.' },
  ],
  async run() {
    throw new NotImplementedError('restore-hooks devcluster (the embedded API server)');
  },
};
