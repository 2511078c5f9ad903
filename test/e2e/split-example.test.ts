/**
 * examples/restaurant-approval/split-rest.sh and split-grpc.sh, as an operator runs them: a
 * coordinator and a worker (REST, or gRPC) started with `npm start` and `npm run worker`, the
 * worker registered with that protocol, one order through the inbox, both stopped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');

/** A port nothing listens on now (the script binds it moments later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

const listening = (port: number): Promise<boolean> =>
  new Promise((answer) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      answer(true);
    });
    socket.once('error', () => answer(false));
  });

const TRANSPORTS = [
  { transport: 'rest', portVariable: 'WORKER_PORT', address: (port: number) => `http://127.0.0.1:${port}` },
  { transport: 'grpc', portVariable: 'GRPC_PORT', address: (port: number) => `grpc 127.0.0.1:${port}` },
] as const;

for (const { transport, portVariable, address } of TRANSPORTS)
  test(`split-${transport}.sh: coordinator + ${transport} worker on the ports it is given, an order approved, both stopped`, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capstan-split-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const [coordinatorPort, workerPort] = [await freePort(), await freePort()];
    const child = spawn('bash', [join(ROOT, `examples/restaurant-approval/split-${transport}.sh`)], {
      cwd: tmpdir(), // the script finds the checkout by itself
      env: {
        ...process.env,
        COORDINATOR_PORT: String(coordinatorPort),
        [portVariable]: String(workerPort),
        DATA_DIR: dataDir,
        // The worker then logs a `transition` line per segment it runs.
        CAPSTAN_LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    t.after(() => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    });
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    assert.equal(code, 0, out);

    assert.match(out, new RegExp(`coordinator http://127\\.0\\.0\\.1:${coordinatorPort}`));
    assert.ok(out.includes(`worker      ${address(workerPort)}`), out);
    assert.match(out, new RegExp(`^registered  ${transport} \\S+ HEALTHY$`, 'm'));
    const result = /^result {6}(.+)$/m.exec(out)?.[1];
    assert.ok(result, out);
    assert.equal((JSON.parse(result) as { outcome: string }).outcome, 'APPROVED');

    // The segments ran in the worker, which had registered itself with the coordinator.
    const executionId = /^submitted {3}(\S+)$/m.exec(out)?.[1];
    assert.ok(executionId, out);
    const workerLog = readFileSync(join(dataDir, 'worker.log'), 'utf8');
    assert.match(workerLog, /registered with the coordinator/);
    const segments = workerLog
      .split('\n')
      .filter((line) => line.includes('"msg":"transition"') && line.includes(executionId));
    assert.equal(segments.length, 2, 'up to the await, then after the decision');

    // Both processes are gone: nothing listens on either port any more.
    assert.equal(await listening(coordinatorPort), false, 'the coordinator stopped');
    assert.equal(await listening(workerPort), false, 'the worker stopped');
  });
