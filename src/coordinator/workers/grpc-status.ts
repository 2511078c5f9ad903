/**
 * The gRPC status codes the coordinator reads (fixed by the gRPC specification, doc/statuscodes.md),
 * kept here so that telling a worker's answer apart needs no `@grpc/grpc-js` at start: the
 * library loads with the first gRPC call (lazy-grpc-worker-client.ts).
 */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const NAMES = new Map<number, string>(Object.entries(GRPC_STATUS).map(([name, code]) => [code, name]));

/** The status's name (`UNAVAILABLE`), or its number when it is none the specification names. */
export function grpcStatusName(code: number): string {
  return NAMES.get(code) ?? String(code);
}
