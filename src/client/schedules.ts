import { enc, type Requester } from './requester.ts';
import type { MissedFirePolicy, Schedule } from './types.ts';

/** A new schedule: exactly one of `cron` and `interval` (docs/schedules.md). */
export interface ScheduleRequest {
  /** A cron expression: five fields, or six with seconds first (`*\/5 * * * *`). */
  readonly cron?: string;
  /** The IANA zone the cron expression is read in; default `UTC`. Cron only. */
  readonly timezone?: string;
  /** An ISO-8601 duration between slots, at least `PT1S` (`PT10M`). */
  readonly interval?: string;
  /** The input of every execution it starts. */
  readonly input: unknown;
  /** What becomes of missed slots: `skip` (default), `fire_once` or `{ catchUp: { limit } }`. */
  readonly missedFirePolicy?: MissedFirePolicy;
  /** Each slot's execution is keyed `<prefix>:<slot ISO>`; default `schedule:<scheduleId>`. */
  readonly idempotencyKeyPrefix?: string;
  /** Create it paused. */
  readonly paused?: boolean;
}

/** Cron and interval schedules of pipelines (admin token). */
export class SchedulesClient {
  readonly #request: Requester;
  readonly #tenant: string;

  constructor(request: Requester, tenant: string) {
    this.#request = request;
    this.#tenant = tenant;
  }

  #tenantPath(rest: string): string {
    return `/tpf/admin/tenants/${enc(this.#tenant)}${rest}`;
  }

  #one(scheduleId: string, rest = ''): string {
    return this.#tenantPath(`/schedules/${enc(scheduleId)}${rest}`);
  }

  /** Creates a schedule of a pipeline. Not retried once sent: a repeat would make a second one. */
  async create(pipelineId: string, request: ScheduleRequest): Promise<Schedule> {
    const path = this.#tenantPath(`/pipelines/${enc(pipelineId)}/schedules`);
    return (await this.#request<Schedule>('POST', path, 'admin', { json: request, idempotent: false })).body;
  }

  /** The schedules of one pipeline, or (without one) of the tenant, oldest first, with their next slots. */
  async list(pipelineId?: string): Promise<Schedule[]> {
    const path =
      pipelineId === undefined
        ? this.#tenantPath('/schedules')
        : this.#tenantPath(`/pipelines/${enc(pipelineId)}/schedules`);
    return (await this.#request<Schedule[]>('GET', path, 'admin', { idempotent: true })).body;
  }

  async get(scheduleId: string): Promise<Schedule> {
    return (await this.#request<Schedule>('GET', this.#one(scheduleId), 'admin', { idempotent: true })).body;
  }

  /** No slot fires while paused; the slots that pass meanwhile are missed. */
  async pause(scheduleId: string): Promise<Schedule> {
    const path = this.#one(scheduleId, '/pause');
    return (await this.#request<Schedule>('POST', path, 'admin', { idempotent: true })).body;
  }

  /** Its missed-fire policy decides which of the slots missed while paused fire. */
  async resume(scheduleId: string): Promise<Schedule> {
    const path = this.#one(scheduleId, '/resume');
    return (await this.#request<Schedule>('POST', path, 'admin', { idempotent: true })).body;
  }

  /** Deletes it and answers it as it was; its executions stay. */
  async delete(scheduleId: string): Promise<Schedule> {
    // Not retried once sent: a repeat after a delete that arrived answers schedule_not_found.
    return (await this.#request<Schedule>('DELETE', this.#one(scheduleId), 'admin', { idempotent: false }))
      .body;
  }
}
