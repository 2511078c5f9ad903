/**
 * A TypeScript re-creation of TPF's restaurant demo client
 * (`examples/restaurant-approval/self-host/demo-client.py`, `run-flows` and `run-incident`; see
 * docs/compat.md#how-the-conformance-test-works). It sends exactly what that client sends: a
 * `UNI` submit whose `inputPayload` is a DTO envelope, status polling every 200 ms, the pending inbox filtered by
 * await step id, completions whose `responsePayload` is a `java.util.Map` envelope encoded the
 * way TPF encodes maps (`{"items": {key: <envelope of the value>}}`, recursively, as the
 * Python `encoded_payload` does), and the admin re-drive. It knows nothing about Capstan: its
 * only parameters are the base URL, the two tokens, the pipeline id and the await step id.
 */
import { randomUUID } from 'node:crypto';

export interface TpfDemoClientOptions {
  readonly baseUrl: string;
  readonly controlPlaneToken: string;
  readonly adminToken: string;
  readonly pipelineId: string;
  readonly awaitStepId: string;
  readonly tenantId?: string;
  readonly log?: (line: string) => void;
}

/** TPF's `ExecutionStatusDto`, the fields the client reads. */
export interface TpfExecutionStatus {
  readonly executionId: string;
  readonly status: string;
  readonly attempt: number;
  readonly version: number;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
}

/** TPF's `SerializedTransitionPayload`. */
export interface TpfEnvelope {
  readonly payloadTypeId: string;
  readonly payloadEncoding: string;
  readonly payload: string;
}

interface TpfInteraction {
  readonly interactionId: string;
  readonly executionId: string;
  readonly stepId: string;
  readonly requestPayload: { orderId?: string } | null;
}

export interface FlowResult {
  readonly executionId: string;
  readonly interactionId: string;
  readonly decision: 'accepted' | 'declined';
  readonly result: { outcome: string } & Record<string, unknown>;
}

export interface IncidentTriage {
  readonly executionId: string;
  /** The terminal status the invalid decision led to: TPF writes FAILED, Capstan DLQ. */
  readonly firstFailureStatus: string;
  readonly firstFailureVersion: number;
  readonly status: string;
  readonly attempt: number;
  readonly version: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly redrive: Record<string, unknown>;
  readonly operatorAction: string;
}

export const PAYLOAD_ENCODING = 'application/tpf-transition+json';
export const ORDER_TYPE =
  'org.pipelineframework.restaurantapproval.common.dto.PlaceRestaurantOrderRequestDto';
const POLL_INTERVAL_MS = 200;
const POLL_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** TPF's `encoded_payload`: maps and lists recursively, every value its own envelope. */
export function encodedPayload(payload: unknown, payloadType?: string): TpfEnvelope {
  const envelope = (payloadTypeId: string, value: unknown): TpfEnvelope => ({
    payloadTypeId,
    payloadEncoding: PAYLOAD_ENCODING,
    payload: JSON.stringify(value),
  });
  if (payload === null || payload === undefined) return envelope('null', null);
  if (Array.isArray(payload) && (payloadType === undefined || payloadType === 'java.util.List')) {
    return envelope('java.util.List', { items: payload.map((item) => encodedPayload(item)) });
  }
  if (typeof payload === 'object' && (payloadType === undefined || payloadType === 'java.util.Map')) {
    const items = Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, encodedPayload(v)]));
    return envelope('java.util.Map', { items });
  }
  return envelope(payloadType ?? scalarTypeId(payload), payload);
}

function scalarTypeId(payload: unknown): string {
  if (typeof payload === 'string') return 'java.lang.String';
  if (typeof payload === 'boolean') return 'java.lang.Boolean';
  if (typeof payload === 'number') return Number.isInteger(payload) ? 'java.lang.Long' : 'java.lang.Double';
  return typeof payload;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowIso = () => new Date().toISOString();

export class TpfDemoClient {
  readonly #o: Required<Omit<TpfDemoClientOptions, 'log'>>;
  readonly #log: (line: string) => void;

  constructor(options: TpfDemoClientOptions) {
    this.#o = {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      controlPlaneToken: options.controlPlaneToken,
      adminToken: options.adminToken,
      pipelineId: options.pipelineId,
      awaitStepId: options.awaitStepId,
      tenantId: options.tenantId ?? 'default',
    };
    this.#log = options.log ?? (() => undefined);
  }

  get #controlPlane(): string {
    return `${this.#o.baseUrl}/tpf/control-plane/tenants/${this.#o.tenantId}`;
  }

  /** `demo-client.py run-flows`: Ada accepted → APPROVED, Grace declined → DECLINED. */
  async runFlows(): Promise<FlowResult[]> {
    return [
      await this.#runOne('accepted', 'Ada Lovelace', 'Cafe TPF', 'APPROVED'),
      await this.#runOne('declined', 'Grace Hopper', 'Bistro Queue', 'DECLINED'),
    ];
  }

  /**
   * `demo-client.py run-incident`: an API-valid but wrong decision fails the execution; the
   * caller checks the coordinator's log for the DLQ line; an admin re-drive replays the same
   * bad decision, which fails again with a higher version.
   */
  async runIncident(waitForLogLine: (executionId: string) => Promise<void>): Promise<IncidentTriage> {
    const executionId = await this.#submitOrder('Katherine Johnson', 'Faulty Kitchen');
    await this.#waitStatus(executionId, 'WAITING_EXTERNAL');
    const interaction = await this.#pendingInteraction(executionId);
    await this.#complete(interaction, 'complete-invalid-', 'restaurant-self-host-incident-demo', {
      accepted: {
        orderId: 'not-a-uuid',
        decidedAt: nowIso(),
        note: 'This completion is intentionally invalid for the incident demo.',
      },
    });
    this.#log(`Completed interaction ${interaction.interactionId} with an intentionally invalid decision`);
    const terminal = await this.#waitTerminalFailure(executionId);
    if (!terminal.errorCode)
      throw new Error(`Expected the terminal failure to carry errorCode; got ${json(terminal)}`);
    if (!terminal.errorMessage) {
      throw new Error(`Expected the terminal failure to carry errorMessage; got ${json(terminal)}`);
    }
    await waitForLogLine(executionId);
    const redrive = await this.#request<Record<string, unknown>>(
      'POST',
      `${this.#o.baseUrl}/tpf/admin/tenants/${this.#o.tenantId}/executions/${executionId}/redrive`,
      this.#o.adminToken,
      { allowFailed: true, expectedVersion: terminal.version, reason: 'self-host incident demo re-drive' },
    );
    this.#log(`Re-drive accepted: ${json(redrive)}`);
    const again = await this.#waitTerminalFailure(executionId);
    if (again.version <= terminal.version) {
      throw new Error(
        `Expected the re-driven version to advance; first=${json(terminal)}, second=${json(again)}`,
      );
    }
    return {
      executionId,
      firstFailureStatus: terminal.status,
      firstFailureVersion: terminal.version,
      status: again.status,
      attempt: again.attempt,
      version: again.version,
      errorCode: terminal.errorCode,
      errorMessage: terminal.errorMessage,
      redrive,
      operatorAction:
        'The admin re-drive endpoint re-queued the durable execution record. This demo intentionally ' +
        're-drives the same invalid payload, so it fails again; real recovery requires correcting the ' +
        'dependency/input path and relying on stable idempotency keys.',
    };
  }

  async #runOne(
    decision: 'accepted' | 'declined',
    customerName: string,
    restaurantName: string,
    expectedOutcome: string,
  ): Promise<FlowResult> {
    const executionId = await this.#submitOrder(customerName, restaurantName);
    await this.#waitStatus(executionId, 'WAITING_EXTERNAL');
    const interaction = await this.#pendingInteraction(executionId);
    if (interaction.stepId !== this.#o.awaitStepId) {
      throw new Error(`Unexpected await step: ${interaction.stepId} (expected ${this.#o.awaitStepId})`);
    }
    const orderId = interaction.requestPayload?.orderId;
    const payload =
      decision === 'accepted'
        ? { accepted: { orderId, decidedAt: nowIso(), note: 'Approved by Cafe TPF' } }
        : {
            declined: {
              orderId,
              decidedAt: nowIso(),
              note: 'Need more prep time',
              declineReason: 'Kitchen is overloaded tonight',
            },
          };
    await this.#complete(interaction, 'complete-', 'restaurant-self-host-demo', payload);
    this.#log(`Completed interaction ${interaction.interactionId} as ${decision}`);
    await this.#waitStatus(executionId, 'SUCCEEDED');
    const result = await this.#request<{ resultPayload: TpfEnvelope | null }>(
      'GET',
      `${this.#controlPlane}/executions/${executionId}/result`,
      this.#o.controlPlaneToken,
    );
    if (!result.resultPayload) throw new Error(`No resultPayload for ${executionId}: ${json(result)}`);
    const terminal = JSON.parse(result.resultPayload.payload) as FlowResult['result'];
    if (terminal.outcome !== expectedOutcome) {
      throw new Error(`Expected outcome=${expectedOutcome}, got result=${json(terminal)}`);
    }
    this.#log(`Terminal result for ${executionId}: ${json(terminal)}`);
    return { executionId, interactionId: interaction.interactionId, decision, result: terminal };
  }

  async #submitOrder(customerName: string, restaurantName: string): Promise<string> {
    const requestId = randomUUID();
    const order = {
      requestId,
      customerName,
      restaurantName,
      items: 'Margherita Pizza, Sparkling Water',
      totalAmount: '27.50',
      currency: 'EUR',
    };
    const submitted = await this.#request<{ executionId: string }>(
      'POST',
      `${this.#controlPlane}/executions`,
      this.#o.controlPlaneToken,
      {
        pipelineId: this.#o.pipelineId,
        inputShape: 'UNI',
        inputPayload: encodedPayload(order, ORDER_TYPE),
        idempotencyKey: `order-${requestId}`,
        outputStreaming: false,
      },
    );
    this.#log(`Submitted execution ${submitted.executionId} for ${customerName}`);
    return submitted.executionId;
  }

  async #complete(
    interaction: TpfInteraction,
    keyPrefix: string,
    actor: string,
    decision: Record<string, unknown>,
  ): Promise<void> {
    await this.#request('POST', `${this.#controlPlane}/interactions/complete`, this.#o.controlPlaneToken, {
      interactionId: interaction.interactionId,
      idempotencyKey: `${keyPrefix}${interaction.interactionId}`,
      responsePayload: encodedPayload(decision, 'java.util.Map'),
      actor,
    });
  }

  #getStatus(executionId: string): Promise<TpfExecutionStatus> {
    return this.#request('GET', `${this.#controlPlane}/executions/${executionId}`, this.#o.controlPlaneToken);
  }

  /** Polls until `target`; a FAILED or DLQ execution on the way is an error, as in TPF's client. */
  #waitStatus(executionId: string, target: string): Promise<TpfExecutionStatus> {
    return this.#poll<TpfExecutionStatus>(`execution ${executionId} to reach ${target}`, async () => {
      const last = await this.#getStatus(executionId);
      if (last.status === 'FAILED' || last.status === 'DLQ') {
        throw new Error(`Execution ${executionId} failed: ${json(last)}`);
      }
      if (last.status !== target) return { last };
      this.#log(`Execution ${executionId} reached ${target}`);
      return { done: last };
    });
  }

  #waitTerminalFailure(executionId: string): Promise<TpfExecutionStatus> {
    return this.#poll<TpfExecutionStatus>(
      `execution ${executionId} to fail terminally (FAILED or DLQ)`,
      async () => {
        const last = await this.#getStatus(executionId);
        if (last.status !== 'FAILED' && last.status !== 'DLQ') return { last };
        this.#log(`Execution ${executionId} reached terminal failure: ${json(last)}`);
        return { done: last };
      },
    );
  }

  #pendingInteraction(executionId: string): Promise<TpfInteraction> {
    const url = `${this.#controlPlane}/interactions/pending?stepId=${encodeURIComponent(this.#o.awaitStepId)}`;
    return this.#poll<TpfInteraction>(`a pending interaction for execution ${executionId}`, async () => {
      const interactions = await this.#request<TpfInteraction[]>('GET', url, this.#o.controlPlaneToken);
      const found = interactions.find((i) => i.executionId === executionId);
      if (!found) return { last: interactions };
      this.#log(
        `Pending interaction ${found.interactionId} for order ${String(found.requestPayload?.orderId)}`,
      );
      return { done: found };
    });
  }

  /** Calls `attempt` every 200 ms until it is done, for at most 30 s. */
  async #poll<T>(what: string, attempt: () => Promise<{ done: T } | { last: unknown }>): Promise<T> {
    const deadline = Date.now() + POLL_TIMEOUT_MS;
    let last: unknown;
    for (;;) {
      const outcome = await attempt();
      if ('done' in outcome) return outcome.done;
      last = outcome.last;
      if (Date.now() >= deadline) {
        throw new Error(`Timed out after ${POLL_TIMEOUT_MS} ms waiting for ${what}; last=${json(last)}`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** TPF's `request()`: JSON in and out, a bearer token, any non-2xx an error with the body. */
  async #request<T>(method: string, url: string, token: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const raw = await response.text();
    if (!response.ok) throw new Error(`${method} ${url} failed with HTTP ${response.status}: ${raw}`);
    if (!raw) return null as T;
    try {
      return JSON.parse(raw) as T;
    } catch {
      return raw as T;
    }
  }
}

function json(value: unknown): string {
  return JSON.stringify(value);
}
