import type { Store } from '../../src/store/store-port.ts';

/**
 * `n` finished executions (cancelled, kept for the default 7-day TTL), written through the
 * store's own commands in rounds of 500, on a pipeline no worker hosts (nothing claims one
 * before it is cancelled). The idle-load bench and its test seed alike.
 */
export async function seedFinished(store: Store, n: number, nowMs: number): Promise<void> {
  for (let from = 0; from < n; from += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, n - from) }, async (_, i) => {
        const executionId = `seeded-${from + i}`;
        await store.submit({
          tenantId: 'default',
          executionId,
          pipelineId: 'seeded',
          contractVersion: 'sha256:seeded',
          releaseVersion: 'r1',
          executionKey: executionId,
          inputFingerprint: executionId,
          input: { i: from + i },
          nowMs,
        });
        await store.cancel({
          tenantId: 'default',
          executionId,
          reason: 'seed',
          nowMs,
          expiresAtMs: nowMs + 7 * 86_400_000,
        });
      }),
    );
  }
}
