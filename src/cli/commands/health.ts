import type { Command } from 'commander';
import { clientFrom, type ConnectionFlags } from '../api-client.ts';
import { apiCommand } from '../api-command.ts';
import { CliError } from '../../errors/cli-error.ts';
import { print, renderTable } from '../output.ts';

type Flags = ConnectionFlags & { json?: boolean };

interface Readiness {
  status: string;
  checks: { name: string; status: string }[];
}

/** health, ready: the probes (no token). */
export function healthCommands(program: Command): void {
  apiCommand(program, 'health', 'Check that the coordinator is alive (no token)').action(
    async (options: Flags) => {
      const health = await clientFrom(options).get<{ status: string }>('/api/health', 'none');
      print(options, health, () => health.status);
    },
  );

  apiCommand(
    program,
    'ready',
    'Check that the coordinator is ready: database and maintenance loop (exit 7 if not)',
  ).action(async (options: Flags) => {
    const { status, body } = await clientFrom(options).request<Readiness>('GET', '/api/ready', 'none', {
      acceptStatuses: [503],
    });
    print(
      options,
      body,
      () =>
        `${body.status}\n\n${renderTable(body.checks, [
          { header: 'check', value: (c) => c.name },
          { header: 'status', value: (c) => c.status },
        ])}`,
    );
    if (status === 503) {
      const down = body.checks.filter((c) => c.status !== 'UP').map((c) => c.name);
      throw new CliError('not_ready', `the coordinator is not ready (${down.join(', ') || 'DOWN'})`, 503);
    }
  });
}
