/**
 * The benchmark's HTTP client: node:http with keep-alive sockets, lighter on the shared 2 cores
 * than fetch, so the client takes less CPU from the server it measures. Any non-2xx is an error.
 */
import http from 'node:http';
import { OPERATOR_TOKEN } from './server-process.ts';

const CP = '/tpf/control-plane/tenants/default';

export interface ResultResponse {
  readonly status: { readonly status: string };
  readonly result: unknown;
}

export interface PendingInteraction {
  readonly interactionId: string;
  readonly executionId: string;
}

export function apiClient(baseUrl: string) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const call = <T>(method: string, path: string, body?: unknown): Promise<T> =>
    new Promise((done, fail) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: {
            authorization: `Bearer ${OPERATOR_TOKEN}`,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const code = response.statusCode ?? 0;
            if (code < 200 || code >= 300) fail(new Error(`${method} ${path}: ${code} ${text}`));
            else done(JSON.parse(text) as T);
          });
          response.on('error', fail);
        },
      );
      request.on('error', fail);
      request.end(payload);
    });
  return {
    submit: (pipelineId: string, input: unknown, idempotencyKey: string) =>
      call<{ executionId: string }>('POST', `${CP}/executions`, { pipelineId, input, idempotencyKey }),
    /** The result long-poll: returns once the execution is settled (terminal or parked), or after waitMs. */
    result: (executionId: string, waitMs = 60_000) =>
      call<ResultResponse>('GET', `${CP}/executions/${executionId}/result?waitMs=${waitMs}`),
    pending: (group: string, limit: number) =>
      call<PendingInteraction[]>('GET', `${CP}/interactions/pending?group=${group}&limit=${limit}`),
    complete: (interactionId: string, response: unknown) =>
      call<{ status: string }>('POST', `${CP}/interactions/complete`, { interactionId, response }),
    close: () => agent.destroy(),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** The execution's result once it has left QUEUED/RUNNING/WAIT_RETRY, long-polling (never sleeping) until then. */
export async function settledResult(api: ApiClient, executionId: string): Promise<ResultResponse> {
  for (;;) {
    const r = await api.result(executionId);
    if (!['QUEUED', 'RUNNING', 'WAIT_RETRY'].includes(r.status.status)) return r;
  }
}
