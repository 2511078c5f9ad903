import type { Logger } from '../coordinator/logger.ts';
import type { OutboxMessage } from '../store/records.ts';
import type { Store } from '../store/store-port.ts';
import { DLQ_TOPIC } from './dead-letter.ts';

/** Delivers outbox messages of one topic to the outside world. Throwing leaves them for the next pass. */
export interface PublicationSink {
  deliver(message: OutboxMessage): Promise<void>;
}

/** The `log` DLQ provider: one structured warning per dead-lettered execution. */
export function logDlqSink(logger: Logger): PublicationSink {
  return {
    deliver(message) {
      const p = message.payload;
      logger.warn(
        { dlq: p },
        `Execution moved to DLQ: tenant=${String(p.tenantId)} execution=${String(p.executionId)} transition=${String(p.transitionKey)} reason=${String(p.terminalReason)}`,
      );
      return Promise.resolve();
    },
  };
}

/**
 * Delivers what the outbox holds, oldest first, at least once: a message is marked delivered
 * only after its sink accepted it, so a crash in between delivers it again.
 */
export async function relayOutbox(
  store: Store,
  sinks: ReadonlyMap<string, PublicationSink>,
  nowMs: number,
  limit: number,
): Promise<number> {
  const messages = await store.readOutbox(limit);
  const delivered: number[] = [];
  for (const message of messages) {
    const sink = sinks.get(message.topic);
    if (!sink) continue;
    await sink.deliver(message);
    delivered.push(message.id);
  }
  if (delivered.length > 0) await store.markOutboxDelivered(delivered, nowMs);
  return delivered.length;
}

export { DLQ_TOPIC };
