import type { Command } from 'commander';
import { withConnectionOptions } from './connection.ts';
import { withJsonOption } from './output.ts';

/**
 * A subcommand that calls the API: a description, `--json`, and the connection options (in
 * their own help group, after the command's own options).
 */
export function apiCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return withConnectionOptions(withJsonOption(parent.command(nameAndArgs).description(description)));
}
