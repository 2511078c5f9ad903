import type { ExecutionPage, ExecutionStatus, ListFilter } from './types.ts';

/**
 * `client.list(filter)`: every execution that matches, newest first, fetched a page at a time
 * with the keyset cursor. Iterate it for the executions (`for await (const x of client.list())`)
 * or its `pages()` for whole pages.
 */
export class ExecutionList implements AsyncIterable<ExecutionStatus> {
  readonly #fetchPage: (filter: ListFilter) => Promise<ExecutionPage>;
  readonly #filter: ListFilter;

  constructor(fetchPage: (filter: ListFilter) => Promise<ExecutionPage>, filter: ListFilter) {
    this.#fetchPage = fetchPage;
    this.#filter = filter;
  }

  /** Each page in turn, from the filter's cursor (or the newest) to the last. */
  async *pages(): AsyncGenerator<ExecutionPage> {
    let cursor = this.#filter.cursor;
    for (;;) {
      const page = await this.#fetchPage({ ...this.#filter, cursor });
      if (page.items.length > 0) yield page;
      if (page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ExecutionStatus> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Every matching execution in one array (beware of large tenants: prefer iterating). */
  async toArray(): Promise<ExecutionStatus[]> {
    const all: ExecutionStatus[] = [];
    for await (const x of this) all.push(x);
    return all;
  }
}
