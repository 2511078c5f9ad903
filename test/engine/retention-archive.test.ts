// Archive before purge (docs/retention.md), through the engine with a manual clock on both
// stores: the leader writes each expired execution's history export, in the format `capstan
// export verify` checks, before it deletes the execution; when the archive cannot be written the
// execution stays, and the failure is logged and counted.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { z } from 'zod';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { verifyChain } from '../../src/domain/export-chain.ts';
import type { JournalEvent } from '../../src/store/records.ts';
import type { Logger } from '../../src/runtime/logger.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { order, startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const TTL_MS = 60_000;

function archiveDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-archive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'archive');
}

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string): string[] =>
  existsSync(dir)
    ? (
        readdirSync(dir, { recursive: true, withFileTypes: true }) as {
          isFile(): boolean;
          parentPath: string;
          name: string;
        }[]
      )
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
        .sort()
    : [];

async function counter(engine: Engine, name: string): Promise<number> {
  const metric = await engine.coordinator.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

/** A logger that keeps the error lines. */
function errorLog(): Logger & { errors: { obj: object; msg?: string }[] } {
  const errors: { obj: object; msg?: string }[] = [];
  const quiet = () => undefined;
  return {
    debug: quiet,
    info: quiet,
    warn: quiet,
    error: (obj, msg) => void errors.push({ obj, msg }),
    errors,
  };
}

/** A cancelled restaurant order: terminal at once, expiring TTL_MS after now. */
async function cancelledOrder(engine: Engine, key: string): Promise<{ id: string; journal: JournalEvent[] }> {
  const submitted = await engine.coordinator.submit('default', {
    pipelineId: 'restaurant-approval',
    input: order({ items: key }),
    idempotencyKey: key,
  });
  const id = submitted.execution.executionId;
  await engine.coordinator.tick();
  await engine.coordinator.cancel('default', id);
  return { id, journal: await engine.store.readJournal(id, 0, 1000) };
}

/** The events of an export file, after checking its chain as `capstan export verify` does. */
function exportedEvents(file: string): JournalEvent[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const verdict = verifyChain(lines);
  assert.ok(verdict.ok, `the archive verifies: ${JSON.stringify(verdict)}`);
  return lines
    .filter((l) => l.length > 0)
    .slice(0, -1)
    .map((l) => (JSON.parse(l) as { event: JournalEvent }).event);
}

forEachStore('an expired execution is archived, verifiably, before it is purged', async (t, kind) => {
  const dir = archiveDir(t);
  const engine = await startEngine(
    t,
    [restaurant],
    { executionTtlMs: TTL_MS, retentionArchiveDir: dir },
    { store: kind },
  );
  const { id, journal } = await cancelledOrder(engine, 'archived');
  const version = (await engine.store.getExecution('default', id))?.version;

  engine.time.advance(TTL_MS + 1);
  await engine.coordinator.tick();

  assert.equal(await engine.store.getExecution('default', id), undefined, 'purged after its archive');
  const day = new Date(engine.time.now() - TTL_MS - 1).toISOString().slice(0, 10);
  assert.deepEqual(filesUnder(dir), [join('default', day, `${id}-v${version}.jsonl`)]);
  assert.deepEqual(exportedEvents(join(dir, 'default', day, `${id}-v${version}.jsonl`)), journal);
  assert.equal(await counter(engine, 'capstan_archived_executions_total'), 1);
  assert.equal(await counter(engine, 'capstan_purged_executions_total'), 1);
});

forEachStore('an archive that cannot be written leaves the execution in place', async (t, kind) => {
  const dir = archiveDir(t);
  // A file where the archive directory should be: no archive can be made in it.
  writeFileSync(dir, 'not a directory');
  const logger = errorLog();
  const engine = await startEngine(
    t,
    [restaurant],
    { executionTtlMs: TTL_MS, retentionArchiveDir: dir },
    { store: kind, logger },
  );
  const { id, journal } = await cancelledOrder(engine, 'kept');

  engine.time.advance(TTL_MS + 1);
  await engine.coordinator.tick();
  await engine.coordinator.tick();

  assert.ok(await engine.store.getExecution('default', id), 'nothing is deleted unarchived');
  assert.deepEqual(await engine.store.readJournal(id, 0, 1000), journal);
  assert.equal(await counter(engine, 'capstan_purged_executions_total'), 0);
  assert.ok((await counter(engine, 'capstan_retention_archive_failures_total')) >= 2, 'each pass counts it');
  const logged = logger.errors.find((e) => e.msg?.startsWith('history archive failed'));
  assert.ok(logged, 'the failure is logged');
  assert.equal((logged.obj as { executionId?: string }).executionId, id);

  // Once the directory can be written, the next pass archives and purges.
  rmSync(dir);
  mkdirSync(dir);
  await engine.coordinator.tick();
  assert.equal(await engine.store.getExecution('default', id), undefined);
  assert.equal(filesUnder(dir).length, 1);
});

forEachStore('a parent and its items: one archive, written once, over several batches', async (t, kind) => {
  const dir = archiveDir(t);
  const pipeline = definePipeline({ id: 'rows', input: z.object({ count: z.number().int() }) })
    .expand('read-rows', {
      item: z.object({ n: z.number().int() }),
      run: ({ count }) => Array.from({ length: count }, (_, n) => ({ n })),
    })
    .step('double', { output: z.object({ n: z.number() }), run: ({ n }) => ({ n: n * 2 }) })
    .aggregate('sum', {
      output: z.object({ total: z.number() }),
      run: (items) => ({ total: items.reduce((s, i) => s + (i.status === 'SUCCEEDED' ? i.output.n : 0), 0) }),
    });
  const engine = await startEngine(
    t,
    [pipeline],
    { executionTtlMs: TTL_MS, retentionArchiveDir: dir, retentionBatchSize: 3 },
    { store: kind },
  );
  const submitted = await engine.coordinator.submit('default', { pipelineId: 'rows', input: { count: 5 } });
  const parentId = submitted.execution.executionId;
  for (
    let i = 0;
    i < 10 && (await engine.store.getExecution('default', parentId))?.status !== 'SUCCEEDED';
    i++
  )
    await engine.coordinator.tick();
  assert.equal((await engine.store.getExecution('default', parentId))?.status, 'SUCCEEDED');
  const items = await engine.store.listItemIds(parentId, undefined, 10);
  assert.equal(items.length, 5);
  const histories = [parentId, ...items.map((i) => i.executionId)];
  const journals = await Promise.all(histories.map((id) => engine.store.readJournal(id, 0, 1000)));

  engine.time.advance(TTL_MS + 1);
  await engine.coordinator.tick(); // the background pass the clock fired may have done it first

  assert.equal(
    await counter(engine, 'capstan_purged_executions_total'),
    6,
    'five items and their parent, in batches of three',
  );
  assert.equal(
    await counter(engine, 'capstan_archived_executions_total'),
    1,
    'one archive for the parent and its items',
  );
  const [file] = filesUnder(dir);
  assert.ok(file);
  assert.deepEqual(exportedEvents(join(dir, file)), journals.flat(), 'the parent, then its items in order');
  for (const id of histories) assert.equal(await engine.store.getExecution('default', id), undefined);
});
