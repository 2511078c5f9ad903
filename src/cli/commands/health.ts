import type { Command } from 'commander';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { CliError } from '../../errors/cli-error.ts';
import { print, renderFields, renderTable } from '../output.ts';

type Flags = ConnectionFlags & { json?: boolean };

/** health, ready: the probes (no token); cluster, cluster nodes, whoami: discovery (any role's token). */
export function healthCommands(program: Command): void {
  apiCommand(program, 'health', 'Check that the coordinator is alive (no token)').action(
    async (options: Flags) => {
      const health = await clientFrom(options).health();
      print(options, health, () => health.status);
    },
  );

  apiCommand(
    program,
    'ready',
    'Check that the coordinator is ready: database and maintenance loop (exit 7 if not)',
  ).action(async (options: Flags) => {
    const body = await clientFrom(options).ready();
    print(
      options,
      body,
      () =>
        `${body.status}\n\n${renderTable(body.checks, [
          { header: 'check', value: (c) => c.name },
          { header: 'status', value: (c) => c.status },
        ])}`,
    );
    if (body.status !== 'UP') {
      const down = body.checks.filter((c) => c.status !== 'UP').map((c) => c.name);
      throw new CliError('not_ready', `the coordinator is not ready (${down.join(', ') || 'DOWN'})`, 503);
    }
  });

  const cluster = apiCommand(
    program,
    'cluster',
    'Show this node: its shape, roles, store, worker protocols and the maintenance leader',
  );
  cluster.action(async (options: Flags) => {
    const info = await clientFrom(options).cluster();
    const leader = info.maintenance.leader;
    print(options, info, () =>
      renderFields([
        ['node', info.nodeId],
        ['shape', info.topology.currentShape],
        ['roles', info.roles.join(', ')],
        ['store', `${info.store.provider}${info.store.shared ? ' (shared)' : ''}`],
        ['worker protocols', info.protocols.workerProtocols.join(', ')],
        ['dispatch', `${info.topology.taskDispatchMode}, ${info.topology.executionMode}`],
        ['payload encoding', info.protocols.payloadEncodings.join(', ')],
        ['await transports', info.protocols.awaitTransports.join(', ')],
        ['leader', leader ? `${leader.nodeId} (epoch ${leader.epoch}, since ${leader.since})` : 'none'],
        ['this node leads', info.maintenance.thisNode.leader],
        ...info.backend.warnings.map((w): [string, string] => ['warning', `${w.code}: ${w.message}`]),
      ]),
    );
  });

  apiCommand(
    cluster,
    'nodes',
    'List the coordinator nodes: state (live, stale, stopped), readiness, the maintenance leader',
  ).action(async (_options: Flags, command: Command) => {
    // `cluster` has the same options as `nodes`, and commander gives them to the parent.
    const options = command.optsWithGlobals<Flags>();
    const body = await clientFrom(options).clusterNodes();
    const { nodes, thisNode } = body;
    print(options, body, () =>
      renderTable(nodes, [
        { header: 'node', value: (n) => `${n.nodeId}${n.nodeId === thisNode ? ' (this)' : ''}` },
        { header: 'state', value: (n) => n.state },
        { header: 'ready', value: (n) => (n.ready ? 'yes' : 'no') },
        { header: 'leader', value: (n) => (n.leader ? 'leader' : '') },
        { header: 'version', value: (n) => n.version },
        { header: 'address', value: (n) => n.address ?? '' },
        { header: 'last heartbeat', value: (n) => n.lastHeartbeatAt },
      ]),
    );
  });

  apiCommand(program, 'whoami', 'Show the role of the token in use (operator, admin or worker)').action(
    async (options: Flags) => {
      const me = await clientFrom(options).whoami();
      print(options, me, () => me.role);
    },
  );
}
