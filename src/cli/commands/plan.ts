import type { Command } from '../command.ts';
import { NotImplementedError } from '../command.ts';
import { validators } from '../flags.ts';

export const planCommand: Command = {
  name: 'plan',
  summary: 'Preview, offline, the hooks a Restore would apply to the given manifests.',
  usage: '--restore FILE [-o yaml|json] MANIFEST...',
  description: `
MANIFEST is a YAML file (several documents allowed) or a directory of them.
Exit status: 0 no problems, 1 some object has a problem, 2 unusable input.`,
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
  ],
  async run() {
    throw new NotImplementedError('restore-hooks plan');
  },
};
