/**
 * Invalid controller configuration. Each problem names where the value came from and the setting, e.g.
 * `config/controller.yaml: exec.defaultExecTimeout: invalid duration "5x"`. `restore-hooks run` prints the
 * problems and exits with status 2.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}
