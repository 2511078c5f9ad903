/** What a handler says of a delivered message: done with it, or deliver it again later. */
export type Verdict = 'ack' | 'retry';

/** Handles one delivered message's body; throwing counts as `retry`. */
export type DeliveryHandler = (body: Uint8Array) => Promise<Verdict>;

/** How long a message a handler could not take waits before it is delivered again. */
export const REDELIVERY_DELAY_MS = 1000;
