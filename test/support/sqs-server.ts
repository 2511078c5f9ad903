import { startFauxqs, type FauxqsServer } from 'fauxqs';

// SQS has no server on this machine, so the suite runs a real SQS-compatible one: the `fauxqs`
// emulator, speaking SQS's HTTP API on a loopback port, one per test (unless
// `CAPSTAN_SQS_ENDPOINT` names a server to use instead). The SDK insists on credentials; any will do.

process.env.AWS_ACCESS_KEY_ID ??= 'capstan-test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'capstan-test';

/** An SQS endpoint for one test: started on first use, stopped by `stop`. */
export class SqsServer {
  #started: Promise<FauxqsServer> | undefined;

  async endpoint(): Promise<string> {
    const configured = process.env.CAPSTAN_SQS_ENDPOINT;
    if (configured) return configured;
    this.#started ??= startFauxqs({ host: '127.0.0.1', port: 0, logger: false });
    return `http://127.0.0.1:${(await this.#started).port}`;
  }

  async stop(): Promise<void> {
    const server = await this.#started;
    this.#started = undefined;
    await server?.stop();
  }
}
