import { ChainWriter } from '../domain/export-chain.ts';
import type { Store } from '../store/store-port.ts';

/** Journal events read per round trip. */
const PAGE = 500;

/**
 * The history export of these executions (docs/history-export.md): each one's journal events
 * in order, one hash-chained JSON line each, then the end line that counts them. `capstan
 * export` writes these lines for the executions its flags pick; retention writes them for an
 * execution and its items before purging them. `capstan export verify` checks either.
 */
export async function* exportLines(
  store: Pick<Store, 'readJournal'>,
  executionIds: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<string> {
  const chain = new ChainWriter();
  for await (const id of executionIds) {
    for (let after = 0; ;) {
      const page = await store.readJournal(id, after, PAGE);
      for (const event of page) yield chain.line(event);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.seq;
    }
  }
  yield chain.end();
}

/** An execution, then its items in item order: the history retention archives as one file. */
export async function* executionAndItems(
  store: Pick<Store, 'listItemIds'>,
  executionId: string,
): AsyncGenerator<string> {
  yield executionId;
  let after: { itemIndex: number; executionId: string } | undefined;
  for (;;) {
    const page = await store.listItemIds(executionId, after, PAGE);
    for (const item of page) yield item.executionId;
    if (page.length < PAGE) return;
    after = page[page.length - 1];
  }
}
