/**
 * A stand-in for an e-mail API, kept in memory: it remembers the message sent under each
 * idempotency key, so a retried step does not send the same e-mail twice. The messages are kept
 * for `outbox()`, where a real one would deliver them.
 */
import { randomUUID } from 'node:crypto';

interface Message {
  readonly messageId: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

const sent = new Map<string, Message>();

export const mailer = {
  send(to: string, subject: string, body: string, options: { idempotencyKey: string }): Message {
    const existing = sent.get(options.idempotencyKey);
    if (existing) return existing;
    const message = { messageId: `msg_${randomUUID()}`, to, subject, body };
    sent.set(options.idempotencyKey, message);
    return message;
  },

  outbox(): readonly Message[] {
    return [...sent.values()];
  },
};
