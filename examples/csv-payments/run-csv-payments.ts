/**
 * Runs the csv-payments example end to end on loopback: a coordinator (`capstan serve` on a
 * temporary data directory, with the broker transport enabled), a provider mock answering over
 * the broker, one generated CSV of `rows` payments submitted, watched to the end and its output
 * file checked. Every process is real; broker names are this run's own and removed after it.
 * The test suite and the benchmark drive it through `startCsvPayments`; `run.ts` is its CLI.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient, type CapstanClient, type ExecutionStatus } from 'capstan/client';
import { brokerNames, openBrokerLink, type BrokerName } from '../../src/config/broker-links.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { spawnProcess, type SpawnedProcess } from '../../src/tools/spawned-process.ts';
import { coordinatorNodeFlags } from '../../bench/lib/process-resources.ts';
import { generatePayments, readRows } from './payments-csv.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/capstan.mjs');
const PIPELINE = join(ROOT, 'examples/csv-payments/pipeline.ts');

export interface CsvPaymentsOptions {
  readonly rows: number;
  readonly transport: BrokerName;
  /** The provider mock's chance (0..1) to reject a payment. */
  readonly rejectRate: number;
  /** The output file; default beside the generated input, in the run's temporary folder. */
  readonly out?: string;
  /** Provider requests outstanding at once. */
  readonly admission?: number;
  /** The provider mock's delay per answer, ms. */
  readonly providerDelayMs?: number;
  /** The provider mock's burst size (answers sent together). */
  readonly providerBurst?: number;
  /** Where progress lines go (default: nowhere). */
  readonly progress?: (line: string) => void;
}

export interface CsvPaymentsSummary {
  readonly rows: number;
  readonly approved: number;
  readonly rejected: number;
  readonly failed: number;
  /** From submit to the execution's success. */
  readonly seconds: number;
  readonly out: string;
  /** Data rows in the output file, counted by reading it back. */
  readonly outputRows: number;
  readonly executionId: string;
}

/** A started run: its processes, so a test can kill and restart them midway. */
export interface CsvPaymentsRun {
  readonly client: CapstanClient;
  readonly executionId: string;
  readonly input: string;
  readonly out: string;
  coordinator: SpawnedProcess;
  provider: SpawnedProcess;
  readonly coordinatorUrl: string;
  /** Starts the coordinator again on the same data directory and port (after a kill). */
  restartCoordinator(): Promise<void>;
  /** Starts the provider mock again (after a kill). */
  restartProvider(): Promise<void>;
  /** Waits for the execution to end; its summary, or an error saying what went wrong. */
  finished(): Promise<CsvPaymentsSummary>;
  /** Stops every process, removes the broker names and the temporary folder. Idempotent. */
  stop(): Promise<void>;
}

const PROGRESS_EVERY_MS = 1000;

/** Starts everything, submits the file, and returns the run in flight. */
export async function startCsvPayments(options: CsvPaymentsOptions): Promise<CsvPaymentsRun> {
  const work = mkdtempSync(join(tmpdir(), 'capstan-csv-payments-'));
  const input = join(work, `payments_${options.rows}.csv`);
  const out = resolve(options.out ?? `${input}.out`);
  await generatePayments(input, options.rows);
  const token = randomBytes(24).toString('hex');
  const names = brokerSettings(options.transport, randomBytes(5).toString('hex'));
  const set = Object.entries(names).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
  const env = {
    ...process.env,
    CSV_PAYMENTS_TOKEN: token,
    CSV_PAYMENTS_TRANSPORT: options.transport,
    CSV_PAYMENTS_ADMISSION: String(options.admission ?? 250),
    PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:CSV_PAYMENTS_TOKEN',
    PIPELINE_ORCHESTRATOR_ADMIN_ADMIN_TOKEN_REF: 'env:CSV_PAYMENTS_TOKEN',
    CAPSTAN_LOG_LEVEL: process.env.CAPSTAN_LOG_LEVEL ?? 'warn',
    // SQS wants credentials even from an emulator; a real account's come from the environment.
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'csv-payments',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'csv-payments',
  };
  const dataDir = join(work, 'data');
  let port = 0;
  const startCoordinator = async (): Promise<{ process: SpawnedProcess; url: string }> => {
    const serve = spawnProcess(
      process.execPath,
      [
        // CAPSTAN_BENCH_NODE_FLAGS (e.g. --cpu-prof) reaches the coordinator, as in `npm run bench`.
        ...coordinatorNodeFlags(),
        BIN,
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--data-dir',
        dataDir,
        '--pipelines',
        PIPELINE,
        ...set,
      ],
      { cwd: ROOT, env },
    );
    const [, url = ''] = await serve.waitFor(/listening on (http:\/\/127\.0\.0\.1:(\d+))/, 'the coordinator');
    port = Number(new URL(url).port);
    return { process: serve, url };
  };
  const startProvider = async (): Promise<SpawnedProcess> => {
    const mock = spawnProcess(
      process.execPath,
      [
        BIN,
        'provider-mock',
        '--transport',
        options.transport,
        '--reject-rate',
        String(options.rejectRate),
        '--delay',
        String(options.providerDelayMs ?? 0),
        ...(options.providerBurst ? ['--burst', String(options.providerBurst)] : []),
        ...set,
      ],
      { cwd: ROOT, env: { ...env, CAPSTAN_LOG_LEVEL: 'info' } },
    );
    await mock.waitFor(/provider mock ready/, 'the provider mock');
    return mock;
  };

  const first = await startCoordinator();
  let provider: SpawnedProcess;
  try {
    provider = await startProvider();
  } catch (error) {
    await first.process.kill('SIGKILL');
    throw error;
  }
  const client = createClient({ url: first.url, token, adminToken: token });
  const content = readFileSync(input);
  const submitted = await client.submit(
    'csv-payments',
    { file: input, out },
    // The same file submitted again is the same execution.
    { idempotencyKey: `csv-${createHash('sha256').update(content).digest('hex').slice(0, 24)}` },
  );
  const startedAt = performance.now();
  let stopped: Promise<void> | undefined;

  const run: CsvPaymentsRun = {
    client,
    executionId: submitted.executionId,
    input,
    out,
    coordinator: first.process,
    provider,
    coordinatorUrl: first.url,
    async restartCoordinator() {
      run.coordinator = (await startCoordinator()).process;
    },
    async restartProvider() {
      run.provider = await startProvider();
    },
    async finished() {
      const status = await watch(client, submitted.executionId, options.progress);
      const seconds = (performance.now() - startedAt) / 1000;
      if (status.status !== 'SUCCEEDED')
        throw new Error(
          `the execution ended ${status.status}: ${status.errorCode ?? ''} ${status.errorMessage ?? ''}`,
        );
      const { result } = await client.result<{
        rows: number;
        approved: number;
        rejected: number;
        failed: number;
      }>(submitted.executionId);
      if (!result) throw new Error('the execution succeeded without a result');
      let outputRows = 0;
      for await (const _ of readRows(out)) outputRows++;
      return { ...result, seconds, out, outputRows, executionId: submitted.executionId };
    },
    stop: () =>
      (stopped ??= (async () => {
        await Promise.all([run.provider.kill('SIGTERM'), run.coordinator.kill('SIGTERM')]);
        await deleteBrokerNames(options.transport, names);
        if (!options.out) rmSync(work, { recursive: true, force: true });
        else rmSync(dataDir, { recursive: true, force: true });
      })()),
  };
  return run;
}

/** Polls the execution until it ends, reporting item progress on the way. */
async function watch(
  client: CapstanClient,
  executionId: string,
  progress: ((line: string) => void) | undefined,
): Promise<ExecutionStatus> {
  let last = '';
  for (;;) {
    let status: ExecutionStatus;
    try {
      status = await client.get(executionId);
    } catch (error) {
      // A coordinator restarting midway: keep watching.
      progress?.(`waiting for the coordinator (${(error as Error).message})`);
      await sleep(PROGRESS_EVERY_MS);
      continue;
    }
    if (['SUCCEEDED', 'FAILED', 'DLQ', 'CANCELLED'].includes(status.status)) return status;
    const items = status.items;
    const line = items
      ? `${status.status}: ${items.succeeded + items.failed}/${items.total} rows done (${items.failed} failed, ${items.open} open)`
      : status.status;
    if (line !== last) progress?.(line);
    last = line;
    await sleep(PROGRESS_EVERY_MS);
  }
}

/** This run's own broker names, as settings for both the coordinator and the provider mock. */
function brokerSettings(transport: BrokerName, tag: string): Record<string, string> {
  const p = `capstan.awaits.transports.${transport}`;
  const names: Record<BrokerName, Record<string, string>> = {
    nats: { [`${p}.stream`]: `CSV_PAYMENTS_${tag}`, [`${p}.subject-prefix`]: `csv.payments.${tag}` },
    rabbitmq: { [`${p}.queue-prefix`]: `csv-payments.${tag}` },
    sqs: { [`${p}.queue-prefix`]: `csv-payments-${tag}` },
  };
  return { [`${p}.enabled`]: 'true', ...names[transport] };
}

async function deleteBrokerNames(transport: BrokerName, names: Record<string, string>): Promise<void> {
  const { values } = loadConfig({ flags: names });
  const link = await openBrokerLink(values, transport, { logger: silentLogger, env: process.env });
  try {
    await link.deleteNames();
  } finally {
    await link.close();
  }
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

export { brokerNames };
