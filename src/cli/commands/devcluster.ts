import type { Command } from '../command.ts';
import { validators } from '../flags.ts';

export const devclusterCommand: Command = {
  name: 'devcluster',
  summary: 'Serve the embedded Kubernetes API server until SIGINT or SIGTERM.',
  usage:
    '--kubeconfig FILE [--port N] [--demo | --simulation [--backups DIR]] [--rbac] [--faults FILE] [--crds DIR]',
  description: `
Writes FILE, usable by kubectl and client-node, once the server is ready to serve requests.
With --demo it runs the simulated cluster (nodes, scheduler, kubelet, workload controllers, garbage collector and
the Velero server reading config/samples/backups) and applies config/samples/demo/restore-r2.yaml.
--simulation runs the same simulated cluster without loading anything; --backups DIR adds the Velero server reading
the backup fixtures of DIR (one sub-directory per backup name). --rbac enforces RBAC (system:masters bypasses it).
Admins can read the API requests served so far, by client, verb and resource, at /devcluster/requests.
--faults FILE starts fault injection with the rules of FILE (JSON {"seed": N, "rules": [...]}); the admin
endpoint /devcluster/faults changes them at runtime.`,
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
    {
      name: 'demo',
      type: 'boolean',
      description: 'Run the simulated cluster and load the demo scenario from config/samples/.',
    },
    {
      name: 'simulation',
      type: 'boolean',
      description:
        'Run the simulated cluster (nodes, scheduler, kubelet, workload controllers) without the demo.',
    },
    {
      name: 'backups',
      type: 'string',
      valueName: 'DIR',
      validate: validators.nonEmpty,
      description: 'Run the simulated Velero server on the backup fixtures of DIR (implies --simulation).',
    },
    {
      name: 'rbac',
      type: 'boolean',
      description: 'Authorize requests with RBAC instead of letting every authenticated user do anything.',
    },
    {
      name: 'faults',
      type: 'string',
      valueName: 'FILE',
      validate: validators.nonEmpty,
      description:
        'Initial fault-injection rules (JSON {"seed", "rules"}); see docs/devcluster-behaviour.md.',
    },
    {
      name: 'crds',
      type: 'string',
      valueName: 'DIR',
      validate: validators.nonEmpty,
      description: "Directory of CRDs to install at startup. Default: the package's config/crd.",
    },
  ],
  async run(args, io) {
    const { loadDevclusterCommands } = await import('../devcluster-loader.ts');
    return (await loadDevclusterCommands()).serve(args, io);
  },
};
