import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { ok, runCapstan } from '../support/cli-run.ts';

const orderInput = () => ({
  requestId: randomUUID(),
  customerName: 'Ada Lovelace',
  restaurantName: 'Cafe Capstan',
  items: '2x pasta',
  totalAmount: '27.50',
  currency: 'EUR',
});

test('capstan export writes chained journal lines; export verify finds any changed, removed, moved or added line', async (t) => {
  const coordinator = await startCoordinatorProcess(t, { keepDataDir: true });
  const dataDir = coordinator.dataDir;
  const dir = mkdtempSync(join(tmpdir(), 'capstan-export-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });
  const api = apiClient(coordinator.baseUrl);
  const ids: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const r = await api.submit({ pipelineId: 'restaurant-approval', input: orderInput() });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    ids.push(r.body.executionId as string);
  }
  await coordinator.kill('SIGTERM');
  const env = process.env;

  // With the coordinator stopped, backup copies the file itself.
  const offline = ok(
    await runCapstan(env, ['backup', '--data-dir', dataDir, '--out', join(dir, 'stopped.db')]),
  );
  assert.match(offline, /^wrote \S+: \d+ bytes, 3 executions, migration \d+$/m);
  assert.doesNotMatch(offline, /online/);

  const all = join(dir, 'all.jsonl');
  assert.match(
    ok(await runCapstan(env, ['export', '--data-dir', dataDir, '--out', all])),
    /^wrote \S+: \d+ events of 3 executions$/m,
  );
  const lines = readFileSync(all, 'utf8').trimEnd().split('\n');
  const events = lines.slice(0, -1).map((l) => JSON.parse(l).event as { executionId: string; seq: number });
  assert.deepEqual([...new Set(events.map((e) => e.executionId))], ids, 'oldest execution first');
  assert.ok(events.length > 3);
  assert.match(
    ok(await runCapstan(env, ['export', 'verify', all])),
    new RegExp(`^intact: ${events.length} events, last hash [0-9a-f]{64}$`, 'm'),
  );

  // One execution, to stdout; a filter that matches nothing is an empty, intact export.
  const one = ok(await runCapstan(env, ['export', '--data-dir', dataDir, '--execution', ids[1]!]));
  assert.ok(
    one
      .trimEnd()
      .split('\n')
      .slice(0, -1)
      .every((l) => JSON.parse(l).event.executionId === ids[1]),
  );
  const none = join(dir, 'none.jsonl');
  ok(await runCapstan(env, ['export', '--data-dir', dataDir, '--status', 'SUCCEEDED', '--out', none]));
  ok(await runCapstan(env, ['export', 'verify', none]));

  const tampered = async (name: string, edit: (l: string[]) => string[], line: number) => {
    const file = join(dir, `${name}.jsonl`);
    writeFileSync(file, `${edit([...lines]).join('\n')}\n`);
    const r = await runCapstan(env, ['export', 'verify', file]);
    assert.equal(r.code, 12, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error export_chain_broken: line ${line}: `), name);
  };
  const withEvent = (l: string, change: (e: Record<string, unknown>) => void) => {
    const parsed = JSON.parse(l);
    change(parsed.event);
    return JSON.stringify(parsed);
  };
  await tampered(
    'edited',
    (l) => l.map((x, i) => (i === 2 ? withEvent(x, (e) => (e.type = 'execution_succeeded')) : x)),
    3,
  );
  await tampered('deleted', (l) => l.filter((_, i) => i !== 1), 2);
  await tampered('swapped', (l) => [l[0]!, l[2]!, l[1]!, ...l.slice(3)], 2);
  await tampered('inserted', (l) => [...l.slice(0, 2), l[1]!, ...l.slice(2)], 3);
  await tampered('cut-end', (l) => l.slice(0, -2), lines.length - 1);
  await tampered('not-json', (l) => [l[0]!, '{oops', ...l.slice(2)], 2);

  // Bad inputs: a stable code and exit, never a stack trace.
  const bad = async (args: string[], code: number, error: string) => {
    const r = await runCapstan(env, args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error ${error}: `));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };
  await bad(['export', 'verify', join(dir, 'missing.jsonl')], 5, 'export_unreadable');
  await bad(['export', '--data-dir', join(dir, 'nowhere')], 3, 'backup_source_not_found');
  await bad(['export', '--data-dir', dataDir, '--execution', 'no-such-execution'], 3, 'execution_not_found');
  await bad(['export', '--data-dir', dataDir, '--status', 'SLEEPING'], 5, 'invalid_argument');
  await bad(['export'], 5, 'invalid_argument');
  await bad(['export', '--data-dir', dataDir, '--out', all], 5, 'invalid_argument');
  await bad(
    ['backup', '--data-dir', join(dir, 'nowhere'), '--out', join(dir, 'b.db')],
    3,
    'backup_source_not_found',
  );
  await bad(
    ['backup', '--data-dir', dataDir, '--postgres-url', 'postgres://x/y', '--out', join(dir, 'b.db')],
    5,
    'invalid_argument',
  );
  await bad(['restore', '--from', all, '--data-dir', join(dir, 'r')], 5, 'not_a_backup');
  await bad(['restore', '--from', join(dir, 'missing.db'), '--data-dir', join(dir, 'r')], 5, 'not_a_backup');
  await bad(
    ['restore', '--from', all, '--postgres-url', 'postgres://127.0.0.1:5432/test'],
    5,
    'not_a_backup',
  );
});
