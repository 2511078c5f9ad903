import type { DeliveryHandler } from './delivery.ts';

/**
 * What the queue worker protocol needs of a broker, whichever it is (NATS JetStream,
 * RabbitMQ and SQS here; a Kafka adapter would implement the same calls):
 *
 * - requests: a durable competing-consumer queue per worker group (the name a queue worker
 *   registers as its endpoint); every worker of the group consumes it, each request is taken
 *   by one of them and stays with the broker until that worker acknowledges it.
 * - replies: ONE shared reply destination for every coordinator node, addressed per node. A
 *   reply is published for a node id; only that node's consumer ever receives it. No node
 *   takes a reply meant for another and hands it back, so replies cannot bounce between
 *   nodes, and a node that is gone leaves its replies to expire without blocking the others.
 *   (SQS routes nothing: there each node has a queue of its own and the worker sends a reply
 *   straight to the queue of the node it names, to the same effect.)
 *
 * Message bodies are opaque bytes (the signed envelopes of `worker-protocol/queue-messages.ts`
 * carry the correlation id and the reply address), so a broker without headers can carry them.
 */
export interface SegmentQueueLink {
  /** The broker's name (`nats`, `rabbitmq`, `sqs`), for logs. */
  readonly broker: string;
  /** Publishes durably to the request queue `queue`; resolves once the broker confirmed it. */
  publishRequest(queue: string, body: Uint8Array, messageId: string): Promise<void>;
  /** Consumes `queue`'s requests, competing with the group's other workers, until `close`. */
  consumeRequests(queue: string, handle: DeliveryHandler): Promise<void>;
  /** Publishes durably a reply for the coordinator node `nodeId`. */
  publishReply(nodeId: string, body: Uint8Array, messageId: string): Promise<void>;
  /** Consumes the replies addressed to `nodeId`, and only those, until `close`. */
  consumeReplies(nodeId: string, handle: DeliveryHandler): Promise<void>;
  /** Stops consuming, waits for the handlers in flight, and closes the connection. */
  close(): Promise<void>;
  /** Removes what this link's name holds on the broker for these queues and nodes (tests, teardown). */
  remove(names: { queues: readonly string[]; nodes: readonly string[] }): Promise<void>;
}

/** How a reply destination with no consumer keeps its messages: a node gone for this long is gone. */
export const ABANDONED_REPLIES_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * A name as one token of a subject or a queue name: ids may hold `.`, `:` or `/`, which brokers
 * read as separators or wildcards. Letters, digits, `_` and `-` stay; other characters become
 * `_`, and a short digest of the original keeps two ids that differ only there apart.
 */
export function nameToken(name: string): string {
  if (/^[A-Za-z0-9_-]{1,64}$/.test(name)) return name;
  let hash = 0x811c9dc5;
  for (const ch of name) hash = Math.imul(hash ^ (ch.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48)}-${hash.toString(16).padStart(8, '0')}`;
}

/** Where `queue`'s requests go under `name`: a NATS subject or a RabbitMQ queue, alike. */
export const requestsAddress = (name: string, queue: string): string =>
  `${name}.requests.${nameToken(queue)}`;

/** Where a node's replies go under `name`: a NATS subject or a RabbitMQ queue, alike. */
export const repliesAddress = (name: string, nodeId: string): string =>
  `${name}.replies.${nameToken(nodeId)}`;
