import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Pool } from 'pg';
import type { StoreSignal, StoreSignals } from '../store-port.ts';

/** NOTIFY payloads must stay under 8000 bytes; execution ids are split across messages. */
const MAX_PAYLOAD = 7000;
const RECONNECT_MS = [250, 1000, 2000, 5000];

interface Wire {
  /** The sending store, so a node ignores its own notifications. */
  readonly s: string;
  readonly d?: 1;
  readonly x?: string[];
  readonly r?: [string, string][];
  readonly w?: [string, string][];
}

/** The channel of one schema, so nodes (and tests) on other schemas hear nothing of it. */
export function channelOf(schema: string): string {
  const name = `capstan_${schema}`;
  return name.length <= 63
    ? name
    : `capstan_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}

/**
 * Cross-node wake-ups over LISTEN/NOTIFY. Commands note what they changed; the notes of one
 * turn of the event loop go out as one NOTIFY after their commits. A dedicated connection
 * listens and reconnects on its own; after a reconnect it reports `resync`, since anything
 * may have been missed meanwhile. Signals are hints: receivers re-read the store, and their
 * periodic sweep finds due work even when no signal arrives.
 */
export class PgSignals implements StoreSignals {
  readonly #pool: Pool;
  readonly #connectionString: string;
  readonly #channel: string;
  readonly #sender = randomUUID();
  readonly #listeners = new Set<(signal: StoreSignal) => void>();
  #due = false;
  readonly #changed = new Set<string>();
  readonly #releases = new Map<string, [string, string]>();
  readonly #workers = new Map<string, [string, string]>();
  #flushScheduled = false;
  #client: pg.Client | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  constructor(options: { pool: Pool; connectionString: string; schema: string }) {
    this.#pool = options.pool;
    this.#connectionString = options.connectionString;
    this.#channel = channelOf(options.schema);
  }

  /** Queues what a committed command changed, for the next NOTIFY. */
  note(signal: StoreSignal): void {
    switch (signal.kind) {
      case 'due':
        this.#due = true;
        break;
      case 'changed':
        for (const id of signal.executionIds) this.#changed.add(id);
        break;
      case 'release':
        this.#releases.set(`${signal.tenantId}\u0000${signal.pipelineId}`, [
          signal.tenantId,
          signal.pipelineId,
        ]);
        break;
      case 'workers':
        this.#workers.set(`${signal.tenantId}\u0000${signal.pipelineId}`, [
          signal.tenantId,
          signal.pipelineId,
        ]);
        break;
      case 'resync':
        return;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => void this.#flush());
    }
  }

  subscribe(listener: (signal: StoreSignal) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#client && !this.#reconnectTimer) void this.#listen();
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    if (this.#closed) return;
    const messages = this.#drain();
    for (const payload of messages) {
      // A hint lost with an unreachable database costs latency only: peers sweep anyway.
      await this.#pool.query('SELECT pg_notify($1, $2)', [this.#channel, payload]).catch(() => undefined);
    }
  }

  #drain(): string[] {
    const base: Wire = {
      s: this.#sender,
      ...(this.#due ? { d: 1 as const } : {}),
      ...(this.#releases.size > 0 ? { r: [...this.#releases.values()] } : {}),
      ...(this.#workers.size > 0 ? { w: [...this.#workers.values()] } : {}),
    };
    const ids = [...this.#changed];
    this.#due = false;
    this.#changed.clear();
    this.#releases.clear();
    this.#workers.clear();
    const messages: string[] = [];
    let batch: string[] = [];
    let size = JSON.stringify(base).length;
    for (const id of ids) {
      if (batch.length > 0 && size + id.length + 3 > MAX_PAYLOAD) {
        messages.push(JSON.stringify({ ...base, x: batch }));
        batch = [];
        size = JSON.stringify(base).length;
      }
      batch.push(id);
      size += id.length + 3;
    }
    if (batch.length > 0 || messages.length === 0) messages.push(JSON.stringify({ ...base, x: batch }));
    return messages;
  }

  async #listen(): Promise<void> {
    this.#reconnectTimer = undefined;
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#connectionString, keepAlive: true });
    const lost = (): void => {
      if (this.#client !== client) return;
      this.#client = undefined;
      void client.end().catch(() => undefined);
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => this.#receive(message.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
    } catch {
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    const reconnected = this.#failures > 0;
    this.#failures = 0;
    if (reconnected) this.#emit({ kind: 'resync' });
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const delay = RECONNECT_MS[Math.min(this.#failures, RECONNECT_MS.length - 1)] ?? 5000;
    this.#failures += 1;
    this.#reconnectTimer = setTimeout(() => void this.#listen(), delay);
    this.#reconnectTimer.unref();
  }

  #receive(payload: string | undefined): void {
    let wire: Wire;
    try {
      wire = JSON.parse(payload ?? '') as Wire;
    } catch {
      return;
    }
    if (wire.s === this.#sender) return;
    if (wire.d) this.#emit({ kind: 'due' });
    if (wire.x && wire.x.length > 0) this.#emit({ kind: 'changed', executionIds: wire.x });
    for (const [tenantId, pipelineId] of wire.r ?? []) this.#emit({ kind: 'release', tenantId, pipelineId });
    for (const [tenantId, pipelineId] of wire.w ?? []) this.#emit({ kind: 'workers', tenantId, pipelineId });
  }

  #emit(signal: StoreSignal): void {
    for (const listener of this.#listeners) listener(signal);
  }
}
