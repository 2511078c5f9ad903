import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { startCsvPayments, type CsvPaymentsRun } from '../../examples/csv-payments/run-csv-payments.ts';
import { until } from '../support/eventually.ts';

// The csv-payments example as `npm run example:csv-payments` runs it — a coordinator process on
// SQLite, a provider mock process, the machine's real NATS or RabbitMQ — with both processes
// SIGKILLed once midway and started again: every row ends approved or rejected exactly once,
// the output file matches the input row by row, and the provider admission budget is never
// exceeded and ends at 0.

const ROWS = 1000;
const ADMISSION = 40;

/** Rows done so far, from the parent's item counters. */
async function rowsDone(run: CsvPaymentsRun): Promise<number> {
  const status = await run.client.get(run.executionId);
  return status.items ? status.items.succeeded + status.items.failed : 0;
}

/** Samples the budget in use until stopped: the most outstanding seen, and the last sample. */
function sampleAdmission(run: CsvPaymentsRun) {
  let most = 0;
  let samples = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        for (const budget of await run.client.awaitAdmission()) {
          most = Math.max(most, budget.outstanding);
          samples++;
        }
      } catch {
        // The coordinator is down for a moment (it is killed on purpose): sample again after.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return { most, samples };
    },
  };
}

for (const transport of ['nats', 'rabbitmq'] as const) {
  test(`[${transport}] csv-payments: ${ROWS} rows survive a provider and a coordinator crash, each row once`, async (t) => {
    const run = await startCsvPayments({ rows: ROWS, transport, rejectRate: 0.1, admission: ADMISSION });
    t.after(() => run.stop());
    const sampler = sampleAdmission(run);

    await until('a quarter of the rows to be done', async () => (await rowsDone(run)) >= ROWS / 4, {
      timeoutMs: 120_000,
    });
    await run.provider.kill('SIGKILL');
    await run.restartProvider();
    await until('half of the rows to be done', async () => (await rowsDone(run)) >= ROWS / 2, {
      timeoutMs: 120_000,
    });
    await run.coordinator.kill('SIGKILL');
    await run.restartCoordinator();

    const summary = await run.finished();
    const { most, samples } = await sampler.stop();
    assert.equal(summary.rows, ROWS);
    assert.equal(summary.failed, 0);
    assert.equal(summary.approved + summary.rejected, ROWS);
    assert.ok(summary.rejected > 0 && summary.approved > 0, JSON.stringify(summary));
    assert.ok(samples > 0, 'the budget was sampled');
    assert.ok(most <= ADMISSION, `at most ${ADMISSION} requests outstanding, saw ${most}`);
    assert.ok(most > 0, 'requests were outstanding while sampled');
    const budgets = await run.client.awaitAdmission();
    assert.deepEqual(
      budgets.map((b) => [b.stepId, b.outstanding, b.waiting]),
      [['provider', 0, 0]],
      'nothing outstanding or waiting at the end',
    );

    // Row by row: the output is the input, in order, each with the provider's verdict.
    const input = parse<Record<string, string>>(readFileSync(run.input), { columns: true });
    const output = parse<Record<string, string>>(readFileSync(run.out), { columns: true });
    assert.equal(output.length, ROWS);
    for (const [i, row] of input.entries()) {
      const out = output[i];
      assert.ok(out, `output row ${i}`);
      for (const column of ['csvId', 'recipient', 'amount', 'currency'])
        assert.equal(out[column], row[column], `row ${i} ${column}`);
      assert.ok(['APPROVED', 'REJECTED'].includes(out.status ?? ''), `row ${i} status ${out.status}`);
      assert.match(out.providerReference ?? '', /^mock-/);
    }
    assert.equal(output.filter((r) => r.status === 'APPROVED').length, summary.approved);

    // One item per row, each succeeded once: the crashes neither lost nor repeated one.
    let children = 0;
    for await (const child of run.client.list({ parentExecutionId: run.executionId })) {
      assert.equal(child.status, 'SUCCEEDED');
      children++;
    }
    assert.equal(children, ROWS);
  });
}
