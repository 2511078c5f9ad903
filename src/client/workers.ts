import { enc, type Requester } from './requester.ts';
import type { Worker, WorkerRegistration } from './types.ts';

/** A pipeline's remote workers (admin token; register and heartbeat also take a worker token). */
export class WorkersClient {
  readonly #request: Requester;
  readonly #tenant: string;

  constructor(request: Requester, tenant: string) {
    this.#request = request;
    this.#tenant = tenant;
  }

  #path(pipelineId: string, rest = ''): string {
    return `/tpf/admin/tenants/${enc(this.#tenant)}/pipelines/${enc(pipelineId)}/workers${rest}`;
  }

  async list(
    pipelineId: string,
    filter: { contractVersion?: string; releaseVersion?: string } = {},
  ): Promise<Worker[]> {
    const answer = await this.#request<Worker[]>('GET', this.#path(pipelineId), 'admin', {
      query: filter,
      idempotent: true,
    });
    return answer.body;
  }

  /** Registers (or re-registers) a worker hosting a release, with the worker token. */
  async register(pipelineId: string, registration: WorkerRegistration): Promise<Worker> {
    const path = this.#path(pipelineId, '/register');
    return (await this.#request<Worker>('POST', path, 'worker', { json: registration, idempotent: true }))
      .body;
  }

  heartbeat(pipelineId: string, workerId: string): Promise<Worker> {
    return this.#signal(pipelineId, workerId, 'heartbeat', 'worker');
  }

  /** The worker gets no new work. */
  drain(pipelineId: string, workerId: string): Promise<Worker> {
    return this.#signal(pipelineId, workerId, 'drain', 'admin');
  }

  undrain(pipelineId: string, workerId: string): Promise<Worker> {
    return this.#signal(pipelineId, workerId, 'undrain', 'admin');
  }

  async #signal(
    pipelineId: string,
    workerId: string,
    verb: 'heartbeat' | 'drain' | 'undrain',
    role: 'worker' | 'admin',
  ): Promise<Worker> {
    const path = this.#path(pipelineId, `/${enc(workerId)}/${verb}`);
    return (await this.#request<Worker>('POST', path, role, { idempotent: true })).body;
  }
}
