import type { Command } from '../command.ts';
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

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the controller against a Kubernetes cluster.',
  usage:
    '[--kubeconfig FILE] [--config FILE] [--metrics-bind-address HOST:PORT] [--health-probe-bind-address HOST:PORT] [--leader-elect] [--log-level LEVEL]',
  flags: runFlags,
  async run(args, io) {
    const { readFileSync } = await import('node:fs');
    const { resolveSettings } = await import('../../config/resolve.ts');
    const { ConfigError } = await import('../../config/errors.ts');
    let settings;
    try {
      settings = resolveSettings(args, io.env, (path) => readFileSync(path, 'utf8'));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const problem of err.problems) io.stderr.write(`restore-hooks run: ${problem}\n`);
      return 2;
    }
    const { runController } = await import('../../controller/run-controller.ts');
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      return await runController({ settings, env: io.env, signal: stop.signal });
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};
