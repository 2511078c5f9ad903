/**
 * Statements a store has sent to its database, counted where they are issued: each dialect's
 * driver wrapper adds one per statement (transaction control included). What a node costs its
 * database, idle or busy, is read from it (`capstan_store_statements_total`, docs/retention.md).
 */
export class StatementCounter {
  count = 0;
}
