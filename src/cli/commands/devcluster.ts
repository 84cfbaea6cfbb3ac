import type { Command } from '../command.ts';
import { validators } from '../flags.ts';

export const devclusterCommand: Command = {
  name: 'devcluster',
  summary: 'Serve the embedded Kubernetes API server until SIGINT or SIGTERM.',
  usage: '--kubeconfig FILE [--port N] [--demo | --simulation] [--faults FILE] [--crds DIR]',
  description: `
Writes FILE, usable by kubectl and client-node, once the server is ready to serve requests.
With --demo it runs the simulated cluster (nodes, scheduler, kubelet, workload controllers, garbage collector and
the Velero server reading config/samples/backups) and applies config/samples/demo/restore-r2.yaml.
With --simulation it runs the simulated cluster (without Velero) and loads nothing: an empty cluster whose
workloads get pods and whose pods run, as benchmarks need.
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
      description: 'Run the simulated nodes, scheduler, kubelet and workload controllers, without the demo.',
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
    const { startSimulatedCluster } = await import('../../devcluster/simulated.ts');
    const { loadDemo, samplesDirectory } = await import('../../devcluster/demo.ts');
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const kubeconfigPath = String(args.values.kubeconfig);
    const port = typeof args.values.port === 'number' ? args.values.port : 0;
    const demo = args.values.demo === true;
    if (demo && args.values.simulation === true)
      throw new Error('--demo and --simulation are exclusive: --demo already runs the simulation');
    const simulation = demo
      ? { velero: { fixturesDir: join(samplesDirectory(), 'backups') } }
      : args.values.simulation === true
        ? {}
        : (false as const);
    let faults: { seed?: number; rules?: unknown[] } | undefined;
    if (typeof args.values.faults === 'string') {
      try {
        faults = JSON.parse(await readFile(args.values.faults, 'utf8')) as {
          seed?: number;
          rules?: unknown[];
        };
      } catch (e) {
        throw new Error(`--faults ${args.values.faults}: ${(e as Error).message}`, { cause: e });
      }
    }
    const cluster = await startSimulatedCluster({
      port,
      ...(typeof args.values.crds === 'string' ? { crdDirectory: args.values.crds } : {}),
      ...(faults ? { faults } : {}),
      simulation,
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
        simulation: simulation !== false,
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
