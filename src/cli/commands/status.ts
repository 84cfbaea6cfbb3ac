import type { Command, CommandIO } from '../command.ts';
import type { ParsedArgs } from '../flags.ts';
import { UsageError, validators } from '../flags.ts';
import { STATUS_OUTPUTS } from '../status/render.ts';
import type { StatusOutput } from '../status/render.ts';

const WATCH_INTERVAL_MS = 2_000;

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show what restore-hooks did for one Restore: workloads, pods, each hook and its result.',
  usage: '[-n NAMESPACE] NAME [-o table|json|yaml] [--watch] [--kubeconfig FILE]',
  description: `
Reads the cluster (label selectors and pages, never every pod) and prints one report: the Restore's phase and
hook counts; every workload and pod restore-hooks covered and how (admission, template or replacement); per pod
each init hook with its result from the init container statuses and each exec hook with its record (result,
attempts, exit code, output tails); what was skipped or invalid and why, with the field; and what is pending.
Also installed as the kubectl plugin kubectl-restore_hooks: kubectl restore-hooks status -n velero NAME.
Exit status: 0 the report was printed, 1 the Restore does not exist or the cluster could not be read, 2 bad usage.`,
  positionals: true,
  flags: [
    {
      name: 'namespace',
      short: 'n',
      type: 'string',
      valueName: 'NAMESPACE',
      validate: validators.nonEmpty,
      description: "The Restore's namespace. Default velero.",
    },
    {
      name: 'output',
      short: 'o',
      type: 'string',
      valueName: 'table|json|yaml',
      validate: validators.oneOf(STATUS_OUTPUTS),
      description: 'Output format. Default table.',
    },
    {
      name: 'watch',
      short: 'w',
      type: 'boolean',
      description: `Print the report again whenever it changes (checked every ${WATCH_INTERVAL_MS / 1000} s), until interrupted.`,
    },
    {
      name: 'kubeconfig',
      type: 'string',
      valueName: 'FILE',
      validate: validators.nonEmpty,
      description: 'Kubeconfig to use. Default: $KUBECONFIG, then ~/.kube/config.',
    },
  ],
  async run(args, io) {
    return runStatus(args, io);
  },
};

async function runStatus(args: ParsedArgs, io: CommandIO): Promise<number> {
  if (args.positionals.length !== 1)
    throw new UsageError(
      args.positionals.length === 0
        ? 'the name of a Restore is required'
        : `expected one Restore name, got ${args.positionals.length}`,
    );
  const name = args.positionals[0]!;
  const namespace = typeof args.values.namespace === 'string' ? args.values.namespace : 'velero';
  const output = (typeof args.values.output === 'string' ? args.values.output : 'table') as StatusOutput;
  const kubeconfig = typeof args.values.kubeconfig === 'string' ? args.values.kubeconfig : undefined;
  const { existsSync } = await import('node:fs');
  if (kubeconfig !== undefined && !existsSync(kubeconfig))
    throw new UsageError(`--kubeconfig: cannot read ${JSON.stringify(kubeconfig)}: ENOENT (no such file)`);

  const { KubeConfig } = await import('../../controller/machinery/client-node.ts');
  const { KubeJsonClient } = await import('../../controller/kube-json-client.ts');
  const { dispatcherHttpLibrary } = await import('../../controller/machinery/dispatcher-http-library.ts');
  const { sharedConnectionPool } = await import('../../controller/machinery/connection-pool.ts');
  const { describeApiError } = await import('../../controller/machinery/api-errors.ts');
  const { RestoreNotFoundError, collectStatusInputs } = await import('../status/collect.ts');
  const { buildStatusReport } = await import('../status/report.ts');
  const { renderStatus } = await import('../status/render.ts');
  const { untilStopSignal } = await import('./run.ts');

  const kc = new KubeConfig();
  try {
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    io.stderr.write(`restore-hooks status: cannot load the kubeconfig: ${(error as Error).message}\n`);
    return 1;
  }
  if (!kc.getCurrentCluster()) {
    io.stderr.write('restore-hooks status: no cluster configured: pass --kubeconfig or set KUBECONFIG\n');
    return 1;
  }
  // One keep-alive pool: without it every request would open (and TLS-handshake) a connection of its own.
  const client = new KubeJsonClient(
    kc,
    sharedConnectionPool(dispatcherHttpLibrary()),
    'restore-hooks-status',
  );
  const once = async (): Promise<string> =>
    renderStatus(buildStatusReport(await collectStatusInputs(client, namespace, name)), output);
  const fail = (error: unknown): number => {
    io.stderr.write(
      `restore-hooks status: ${error instanceof RestoreNotFoundError ? error.message : describeApiError(error)}\n`,
    );
    return 1;
  };

  if (args.values.watch !== true) {
    try {
      io.stdout.write(await once());
      return 0;
    } catch (error) {
      return fail(error);
    }
  }
  return untilStopSignal(async (signal) => {
    let last = '';
    while (!signal.aborted) {
      let text: string;
      try {
        text = await once();
      } catch (error) {
        return fail(error);
      }
      if (text !== last) {
        io.stdout.write(`${last === '' ? '' : '\n'}--- ${new Date().toISOString()}\n${text}`);
        last = text;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WATCH_INTERVAL_MS);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
    return 0;
  });
}
