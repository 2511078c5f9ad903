import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { definePipeline } from '../../src/sdk/index.ts';
import { LocalWorker } from '../../src/coordinator/workers/local-worker.ts';
import { WorkerRegistry } from '../../src/coordinator/workers/worker-registry.ts';

const route = { tenantId: 'default', pipelineId: 'charge', releaseVersion: 'r1' };

function registry() {
  const pipeline = definePipeline({ id: 'charge', input: z.object({}) }).step('noop', {
    output: z.object({}),
    run: (input) => input,
  });
  const worker = new LocalWorker('w1', [{ ...route, contractVersion: 'c1', pipeline }]);
  const workers = new WorkerRegistry();
  workers.add(worker);
  return workers;
}

test('a lifecycle read that began before the unreachable record landed cannot route to the worker again', async () => {
  const workers = registry();
  workers.setAvailable('w1', 'default', 'charge', 'HEALTHY', workers.beginRead());
  assert.equal(workers.has(route), true);

  const staleRead = workers.beginRead();
  let land = () => {};
  const recording = new Promise<void>((resolve) => (land = resolve));
  const held = workers.holdDown('w1', 'default', 'charge', recording);
  assert.equal(workers.has(route), false, 'out of routing at once');

  // Reads that began before the record landed saw HEALTHY: neither may route to it again.
  workers.setAvailable('w1', 'default', 'charge', 'HEALTHY', staleRead);
  const duringWrite = workers.beginRead();
  workers.setAvailable('w1', 'default', 'charge', 'HEALTHY', duringWrite);
  assert.equal(workers.has(route), false);
  land();
  await held;
  workers.setAvailable('w1', 'default', 'charge', 'HEALTHY', duringWrite);
  assert.equal(workers.routes().length, 0);

  // A read that began after it landed decides again: here, a heartbeat made it HEALTHY.
  workers.setAvailable('w1', 'default', 'charge', 'HEALTHY', workers.beginRead());
  assert.equal(workers.has(route), true);
  assert.deepEqual(workers.routes(), [route]);
});

test('a record that could not be written does not keep the worker out', async () => {
  const workers = registry();
  const read = workers.beginRead();
  await assert.rejects(
    workers.holdDown('w1', 'default', 'charge', Promise.reject(new Error('store unavailable'))),
  );
  workers.setAvailable('w1', 'default', 'charge', 'HEALTHY', read);
  assert.equal(workers.has(route), false, 'the older read still may not');
  workers.setAvailable('w1', 'default', 'charge', 'HEALTHY', workers.beginRead());
  assert.equal(workers.has(route), true);
});
