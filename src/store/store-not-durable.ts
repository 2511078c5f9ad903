/**
 * Thrown when a connection would acknowledge commits a server crash can lose: the database
 * (or a pooler in front of it) did not take the `synchronous_commit=on` the store asks for.
 * It lives outside the dialect so that `serve` can refuse to start on it without knowing one.
 */
export class StoreNotDurableError extends Error {
  constructor(reported: string) {
    super(
      `PostgreSQL reports synchronous_commit=${reported} on a store connection although Capstan asks ` +
        'for on: acknowledged writes could be lost in a server crash. Check for a connection pooler ' +
        'that drops startup options, or settings that override them.',
    );
    this.name = 'StoreNotDurableError';
  }
}
