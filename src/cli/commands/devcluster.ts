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
  async run(args, io) {
    // The demo scenario (simulated kubelet, controllers and Velero loading config/samples/) plugs in here.
    if (args.values.demo === true)
      throw new NotImplementedError('restore-hooks devcluster --demo (the demo scenario)');
    const { startDevCluster } = await import('../../devcluster/index.ts');
    const kubeconfigPath = String(args.values.kubeconfig);
    const port = typeof args.values.port === 'number' ? args.values.port : 0;
    const cluster = await startDevCluster({ port });
    try {
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
  },
};
