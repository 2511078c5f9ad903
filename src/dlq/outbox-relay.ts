import type { Logger } from '../runtime/logger.ts';
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

/** How the relay retries a message its sink refuses, and when it gives up on it. */
export interface RelayPolicy {
  /** Failed deliveries after which a message is parked (kept, flagged, no longer relayed). */
  readonly maxAttempts: number;
  /** The wait after the first failure; it doubles with each further one, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** How long a relay holds the messages it claimed before another may take them. */
  readonly claimMs: number;
}

export const defaultRelayPolicy: RelayPolicy = {
  maxAttempts: 10,
  baseDelayMs: 1000,
  maxDelayMs: 300_000,
  claimMs: 60_000,
};

export interface RelayReport {
  /** Messages this pass claimed: as many as its limit means more may be due. */
  readonly claimed: number;
  readonly delivered: number;
  readonly failed: number;
  readonly parked: number;
}

/**
 * Delivers the outbox's due messages at least once. The claimed batch goes to the sinks side by
 * side (a broker confirms each publication on its own, so one at a time would pay a round trip
 * per message), and the accepted ones are marked delivered together: a crash in between
 * delivers that batch again, never loses it. A message its sink refuses (or with no sink for its
 * topic) waits with exponential backoff and is parked after `maxAttempts`, holding up no other
 * message. Messages are claimed first, so two relays racing deliver each once.
 */
export async function relayOutbox(
  store: Store,
  sinks: ReadonlyMap<string, PublicationSink>,
  nowMs: number,
  limit: number,
  policy: RelayPolicy = defaultRelayPolicy,
  logger?: Logger,
): Promise<RelayReport> {
  const messages = await store.claimOutbox({ nowMs, limit, claimMs: policy.claimMs });
  const outcomes = await Promise.allSettled(
    messages.map(async (message) => {
      const sink = sinks.get(message.topic);
      if (!sink) throw new Error(`no sink for topic '${message.topic}'`);
      await sink.deliver(message);
    }),
  );
  const accepted = messages.filter((_, i) => outcomes[i]?.status === 'fulfilled').map((m) => m.id);
  if (accepted.length > 0) await store.markOutboxDelivered(accepted, nowMs);
  let failed = 0;
  let parked = 0;
  for (const [i, outcome] of outcomes.entries()) {
    const message = messages[i];
    if (outcome.status === 'fulfilled' || !message) continue;
    const attempts = message.attempts + 1;
    const park = attempts >= policy.maxAttempts;
    const error: unknown = outcome.reason;
    const reason = error instanceof Error ? error.message : String(error);
    await store.failOutboxDelivery({
      id: message.id,
      error: reason,
      nowMs,
      retryAtMs: park ? undefined : nowMs + relayBackoffMs(policy, attempts),
    });
    if (park) {
      parked++;
      logger?.error(
        { outboxId: message.id, topic: message.topic, attempts, reason },
        'outbox message parked: its sink refused it too many times',
      );
    } else failed++;
  }
  return { claimed: messages.length, delivered: accepted.length, failed, parked };
}

/** The wait before the next delivery of a message that failed `attempts` times. */
export function relayBackoffMs(policy: RelayPolicy, attempts: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
}

export { DLQ_TOPIC };
