import type { Command } from '../command.ts';
import { validators } from '../flags.ts';

export const planCommand: Command = {
  name: 'plan',
  summary: 'Preview, offline, the hooks a Restore would apply to the given manifests.',
  usage: '--restore FILE [-o yaml|json] [--strict] MANIFEST...',
  description: `
MANIFEST is a YAML file (several documents allowed) or a directory of them.
Objects of other kinds are listed as skipped. Objects without a namespace are taken to be in "default".
Fields of spec.hooks that Velero does not know (a misspelt postHook:) are warned about on stderr, with the nearest
known field; --strict makes them errors (exit 1), as kubectl's strict field validation does.
Exit status: 0 no errors (warnings are printed but do not count), 1 the Restore or some object has an error,
2 unusable input (unreadable file, invalid YAML, not a velero.io/v1 Restore, a workload without a pod template).`,
  positionals: true,
  flags: [
    {
      name: 'restore',
      type: 'string',
      valueName: 'FILE',
      required: true,
      validate: validators.nonEmpty,
      description: 'The velero.io/v1 Restore (YAML or JSON).',
    },
    {
      name: 'output',
      short: 'o',
      type: 'string',
      valueName: 'yaml|json',
      validate: validators.oneOf(['yaml', 'json']),
      description: 'Output format. Default yaml.',
    },
    {
      name: 'strict',
      type: 'boolean',
      description: 'Exit 1 when the Restore has fields Velero does not know (otherwise they are warnings).',
    },
  ],
  async run(args, io) {
    const { runPlan } = await import('../plan/run-plan.ts');
    return runPlan(args, io);
  },
};
