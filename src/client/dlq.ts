import { enc, type Requester } from './requester.ts';
import type { DlqGroups, DlqPage, DlqReasonName } from './types.ts';

/** Filters of `client.dlq.list`; every one given narrows the list. */
export interface DlqFilter {
  readonly pipelineId?: string;
  readonly reason?: DlqReasonName;
  /** A failure fingerprint, as an entry or a group shows it. */
  readonly fingerprint?: string;
  readonly errorCode?: string;
  readonly releaseVersion?: string;
  /** Page size (1..1000, default 100). */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** The tenant's DLQ (admin token; docs/dlq.md): its entries and their groups by fingerprint. */
export class DlqClient {
  readonly #request: Requester;
  readonly #tenant: string;

  constructor(request: Requester, tenant: string) {
    this.#request = request;
    this.#tenant = tenant;
  }

  #path(rest = ''): string {
    return `/tpf/admin/tenants/${enc(this.#tenant)}/dlq${rest}`;
  }

  /** One page of DLQ entries, newest first; pass its `nextCursor` as `cursor` for the next. */
  async list(filter: DlqFilter = {}): Promise<DlqPage> {
    return (
      await this.#request<DlqPage>('GET', this.#path(), 'admin', { query: { ...filter }, idempotent: true })
    ).body;
  }

  /** The DLQ counted by failure fingerprint, largest group first. */
  async groups(filter: { pipelineId?: string; limit?: number } = {}): Promise<DlqGroups> {
    const answer = await this.#request<DlqGroups>('GET', this.#path('/groups'), 'admin', {
      query: { ...filter },
      idempotent: true,
    });
    return answer.body;
  }
}
