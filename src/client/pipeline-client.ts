import type { CapstanClient, SubmitOptions } from './client.ts';
import { CapstanExecutionError } from './errors.ts';
import type { ResultOptions } from './result-wait.ts';
import type { ExecutionResult, Submitted } from './types.ts';

/**
 * The client for one pipeline, typed by its definition: `submit` takes only the pipeline's
 * input type (checked at compile time), `result` gives its output type.
 */
export class TypedPipelineClient<Input, Output> {
  readonly pipelineId: string;
  readonly #client: CapstanClient;

  constructor(client: CapstanClient, pipelineId: string) {
    this.#client = client;
    this.pipelineId = pipelineId;
  }

  submit(input: Input, options?: SubmitOptions): Promise<Submitted> {
    return this.#client.submit(this.pipelineId, input, options);
  }

  result(executionId: string, options?: ResultOptions): Promise<ExecutionResult<Output>> {
    return this.#client.result<Output>(executionId, options);
  }

  /**
   * Submits and waits through parks for the end: the output when it SUCCEEDED; otherwise a
   * `CapstanExecutionError` saying how it ended (or where it was when `timeoutMs` ran out).
   */
  async run(
    input: Input,
    options: SubmitOptions & Omit<ResultOptions, 'until'> = {},
  ): Promise<{ executionId: string; output: Output }> {
    const { executionId } = await this.submit(input, options);
    const { status, result } = await this.result(executionId, { ...options, until: 'terminal' });
    if (status.status !== 'SUCCEEDED')
      throw new CapstanExecutionError(executionId, status.status, status.errorCode, status.errorMessage);
    return { executionId, output: result as Output };
  }
}
