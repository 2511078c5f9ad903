/**
 * The gRPC transition-worker service (docs/worker-protocol.md#grpc), loaded from the committed
 * `transition_worker.proto` with proto-loader, and the schemas of its messages. Both sides use
 * this: the worker serves it, the coordinator calls it. Each message is checked against its
 * schema when it arrives, so nothing past this point trusts protobuf's dynamic objects.
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { z } from 'zod';

export const GRPC_SERVICE_NAME = 'org.pipelineframework.orchestrator.grpc.TransitionWorkerService';
/** The METHOD of a gRPC request's signing string; the PATH is the full method path below. */
export const GRPC_SIGNING_METHOD = 'GRPC';
export const GRPC_EXECUTE_PATH = `/${GRPC_SERVICE_NAME}/Execute`;
export const GRPC_CAPABILITIES_PATH = `/${GRPC_SERVICE_NAME}/Capabilities`;
/** The status in a gRPC response's signing string: gRPC's OK (only answers that are OK are signed). */
export const GRPC_OK_SIGNING_STATUS = 0;

const definition = loadSync(fileURLToPath(new URL('./transition_worker.proto', import.meta.url)), {
  // Field names as the .proto spells them, every field present (empty when unset), bytes as Buffers.
  keepCase: true,
  defaults: true,
});

/** The generated client constructor; its `service` is what a server adds. */
export const TransitionWorkerService = (
  loadPackageDefinition(definition) as unknown as {
    org: { pipelineframework: { orchestrator: { grpc: Record<string, ServiceClientConstructor> } } };
  }
).org.pipelineframework.orchestrator.grpc.TransitionWorkerService as ServiceClientConstructor;

const field = z.string().max(4096);
const bytes = z.instanceof(Uint8Array);
/** Capstan's response signature fields (empty from a TPF worker, which does not sign). */
const responseSignature = { timestamp: field, nonce: field, signature: field };

export const executeRequestSchema = z.object({
  protocol_version: field,
  payload_encoding: field,
  command_envelope: bytes,
  timestamp: field,
  nonce: field,
  signature: field,
  key_id: field,
});
export type ExecuteRequest = z.output<typeof executeRequestSchema>;

export const capabilitiesRequestSchema = z.object({
  protocol_version: field,
  timestamp: field,
  nonce: field,
  signature: field,
  key_id: field,
});
export type CapabilitiesRequest = z.output<typeof capabilitiesRequestSchema>;

export const executeResponseSchema = z.object({
  protocol_version: field,
  payload_encoding: field,
  result_envelope: bytes,
  ...responseSignature,
});
export type ExecuteResponse = z.output<typeof executeResponseSchema>;

export const capabilitiesResponseSchema = z.object({
  protocol_version: field,
  payload_encoding: field,
  capability_envelope: bytes,
  ...responseSignature,
});
export type CapabilitiesResponse = z.output<typeof capabilitiesResponseSchema>;
