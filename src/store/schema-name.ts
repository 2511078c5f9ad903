/**
 * The rule for a PostgreSQL schema name, in one place: the configuration checks it before
 * anything opens, and the PostgreSQL store again before it splices the name into SQL and into
 * `search_path` unquoted (which is why it is this narrow: no quoting is ever needed).
 */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name '${schema}' (lower-case letters, digits and _ only)`);
  }
  return schema;
}
