/**
 * A configuration Capstan refuses, with every problem found (not just the first), so one run
 * reports them all. The CLI prints it and exits 78.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
