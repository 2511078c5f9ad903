/**
 * The set-based INSERTs that seed the scale scenario: each clones the rows of one real template
 * execution (see template-process.ts) `count` times with new ids, in one statement per table,
 * for either dialect. Clone g gets ids with a fixed prefix per kind and g in hex (UUID-shaped,
 * ascending, so the primary-key indexes fill in order), an execution key `seed-<kind>-<g>`,
 * and every timestamp moved g ms into the past; ids and keys inside the journal's JSON are
 * replaced too. Everything else (statuses, payloads, release pins, deadlines' distance) is the
 * template's own.
 */

export interface Template {
  readonly finishedExecutionId: string;
  readonly parkedExecutionId: string;
  readonly interactionId: string;
  /** The parked execution's await unit (its `await_unit_id`). */
  readonly unitId: string;
  /** The templates' execution keys, as template-process.ts submits them. */
  readonly finishedKey: string;
  readonly parkedKey: string;
}

export interface CloneDialect {
  /** A UUID-shaped id from an 8-hex-digit prefix and the clone number `g`. */
  id(prefix: string): string;
  /** Puts `select` (which reads the clone number as `g` from `series`) into an INSERT. */
  insert(table: string, columns: string, select: (series: string) => string, count: number): string;
}

export const postgresClone: CloneDialect = {
  id: (prefix) => `'${prefix}-0000-4000-8000-' || lpad(to_hex(g), 12, '0')`,
  insert: (table, columns, select, count) =>
    `INSERT INTO ${table} (${columns}) ${select(`generate_series(1, ${count}) AS s(g)`)} ORDER BY g`,
};

export const sqliteClone: CloneDialect = {
  id: (prefix) => `printf('${prefix}-0000-4000-8000-%012x', g)`,
  insert: (table, columns, select, count) =>
    `WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${count}) ` +
    `INSERT INTO ${table} (${columns}) ${select('s')}`,
};

const PREFIX = { finished: 'a0000000', parked: 'b0000000', interaction: 'c0000000', unit: 'd0000000' };

const EXECUTION_COLUMNS =
  'execution_id, tenant_id, pipeline_id, contract_version, release_version, execution_key, input_fingerprint, ' +
  'input_json, status, version, step_index, attempt, lease_epoch, lease_owner, lease_expires_at, next_due_at, ' +
  'await_unit_id, result_json, error_code, error_message, dlq_reason, created_at, updated_at, expires_at, ' +
  'chain_key_attempt, chain_seq';

const INTERACTION_COLUMNS =
  'interaction_id, tenant_id, execution_id, unit_id, correlation_id, step_id, step_index, status, request_json, ' +
  'response_json, response_fingerprint, completion_key, actor, assignee, group_name, transport_type, ' +
  'deadline_at, created_at, updated_at';

/** Ids and keys go into SQL text: only what template-process.ts makes (UUIDs, plain keys) is accepted. */
function literal(value: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(value)) throw new Error(`unexpected template value '${value}'`);
  return `'${value}'`;
}

export function cloneStatements(d: CloneDialect, t: Template, count: number): string[] {
  const kinds = [
    { prefix: PREFIX.finished, template: t.finishedExecutionId, key: t.finishedKey, tag: 'f', parked: false },
    { prefix: PREFIX.parked, template: t.parkedExecutionId, key: t.parkedKey, tag: 'p', parked: true },
  ];
  const statements: string[] = [];
  for (const k of kinds) {
    const id = d.id(k.prefix);
    const where = `WHERE execution_id = ${literal(k.template)}`;
    const key = `'seed-${k.tag}-' || g`;
    const unit = k.parked ? d.id(PREFIX.unit) : 'await_unit_id';
    let json = `replace(data_json, ${literal(k.key)}, ${key})`;
    if (k.parked)
      json = `replace(replace(${json}, ${literal(t.interactionId)}, ${d.id(PREFIX.interaction)}), ${literal(t.unitId)}, ${d.id(PREFIX.unit)})`;
    statements.push(
      d.insert(
        'executions',
        EXECUTION_COLUMNS,
        (s) =>
          `SELECT ${id}, tenant_id, pipeline_id, contract_version, release_version, ${key}, input_fingerprint, ` +
          'input_json, status, version, step_index, attempt, lease_epoch, lease_owner, lease_expires_at, ' +
          `next_due_at, ${unit}, result_json, error_code, error_message, dlq_reason, created_at - g, ` +
          `updated_at - g, expires_at - g, chain_key_attempt, chain_seq FROM executions, ${s} ${where}`,
        count,
      ),
      d.insert(
        'step_outputs',
        'execution_id, step_index, output_json',
        (s) => `SELECT ${id}, step_index, output_json FROM step_outputs, ${s} ${where}`,
        count,
      ),
      d.insert(
        'journal',
        'execution_id, seq, type, at, data_json',
        (s) => `SELECT ${id}, seq, type, at - g, ${json} FROM journal, ${s} ${where}`,
        count,
      ),
    );
    if (k.parked)
      statements.push(
        d.insert(
          'await_interactions',
          INTERACTION_COLUMNS,
          (s) =>
            `SELECT ${d.id(PREFIX.interaction)}, tenant_id, ${id}, ${d.id(PREFIX.unit)}, ${d.id(PREFIX.interaction)}, ` +
            'step_id, step_index, status, request_json, response_json, response_fingerprint, completion_key, actor, ' +
            `assignee, group_name, transport_type, deadline_at - g, created_at - g, updated_at - g FROM await_interactions, ${s} ${where}`,
          count,
        ),
      );
  }
  return statements;
}
