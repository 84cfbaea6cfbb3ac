import type { Command, CommandIO } from '../command.ts';
import type { Settings } from '../../config/settings.ts';
import type { ParsedArgs } from '../flags.ts';
import type { FlagSpec } from '../flags.ts';
import { validators } from '../flags.ts';
import { LOG_LEVELS } from '../../telemetry/log-levels.ts';

export { LOG_LEVELS };

export const runFlags: readonly FlagSpec[] = [
  {
    name: 'kubeconfig',
    type: 'string',
    valueName: 'FILE',
    env: true,
    validate: validators.nonEmpty,
    description:
      'Kubeconfig to use. Default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account.',
  },
  {
    name: 'config',
    type: 'string',
    valueName: 'FILE',
    env: true,
    validate: validators.nonEmpty,
    description:
      'Controller configuration file (YAML). Default: the built-in defaults (see config/controller.yaml).',
  },
  {
    name: 'namespace',
    type: 'string',
    valueName: 'NAMESPACE',
    env: true,
    validate: validators.nonEmpty,
    description:
      "The controller's own namespace (hook-count ledgers, replacement journal, Lease). Default: $POD_NAMESPACE, " +
      'the in-cluster service account\'s namespace, else "restore-hooks".',
  },
  {
    name: 'metrics-bind-address',
    type: 'string',
    valueName: 'HOST:PORT',
    env: true,
    validate: validators.hostPort,
    description: 'Where /metrics is served; "0" disables it. Default ":8080".',
  },
  {
    name: 'health-probe-bind-address',
    type: 'string',
    valueName: 'HOST:PORT',
    env: true,
    validate: validators.hostPort,
    description: 'Where /healthz and /readyz are served; "0" disables them. Default ":8081".',
  },
  {
    name: 'webhook',
    type: 'boolean',
    env: true,
    description: 'Serve the mutating admission webhooks that inject hooks as pods are created. Default on.',
  },
  {
    name: 'webhook-bind-address',
    type: 'string',
    valueName: 'HOST:PORT',
    env: true,
    validate: validators.hostPort,
    description: 'Where the HTTPS admission webhooks are served. Default ":9443".',
  },
  {
    name: 'webhook-url',
    type: 'string',
    valueName: 'URL',
    env: true,
    description:
      'Base https:// URL the API server reaches the webhooks at; the controller then writes its MutatingWebhookConfiguration with url clientConfigs (out-of-cluster runs). Default "" (the manifests\' Service).',
  },
  {
    name: 'leader-elect',
    type: 'boolean',
    env: true,
    description: 'Elect a leader through a coordination.k8s.io/v1 Lease, so that only one replica writes.',
  },
  {
    name: 'log-level',
    type: 'string',
    valueName: 'LEVEL',
    env: true,
    validate: validators.oneOf(LOG_LEVELS),
    description: `Log level: ${LOG_LEVELS.join(', ')}. Default info.`,
  },
];

/** Resolves the controller's settings; on bad configuration, writes each problem and returns undefined (exit 2). */
export async function resolveRunSettings(
  args: ParsedArgs,
  io: CommandIO,
  command: string,
): Promise<Settings | undefined> {
  const { readFileSync } = await import('node:fs');
  const { resolveSettings } = await import('../../config/resolve.ts');
  const { ConfigError } = await import('../../config/errors.ts');
  try {
    return resolveSettings(args, io.env, (path) => readFileSync(path, 'utf8'));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.stderr.write(`restore-hooks ${command}: ${problem}\n`);
    return undefined;
  }
}

/** Runs `body` with a signal that SIGTERM or SIGINT aborts, for a graceful stop. */
export async function untilStopSignal(body: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await body(stop.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the controller against a Kubernetes cluster.',
  usage:
    '[--kubeconfig FILE] [--config FILE] [--namespace NAMESPACE] [--metrics-bind-address HOST:PORT] [--health-probe-bind-address HOST:PORT] [--[no-]webhook] [--webhook-bind-address HOST:PORT] [--webhook-url URL] [--leader-elect] [--log-level LEVEL]',
  flags: runFlags,
  async run(args, io) {
    const settings = await resolveRunSettings(args, io, 'run');
    if (!settings) return 2;
    const { leanClientNode } = await import('../../controller/machinery/lean-client-node.ts');
    leanClientNode();
    const { runController } = await import('../../controller/run-controller.ts');
    return untilStopSignal((signal) => runController({ settings, env: io.env, signal }));
  },
};
