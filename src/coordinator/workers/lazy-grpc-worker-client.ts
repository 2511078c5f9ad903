import type { GrpcWorkerClient, GrpcWorkerClientOptions } from './grpc-worker-client.ts';

/** What the coordinator calls a gRPC worker with: GrpcWorkerClient's `call`. */
export type GrpcWorkerCaller = Pick<GrpcWorkerClient, 'call'>;

/**
 * A GrpcWorkerClient made on the first call: `@grpc/grpc-js`, `@grpc/proto-loader` and the
 * service's .proto load then, not when a coordinator starts (a coordinator whose workers never
 * speak gRPC never loads them).
 */
export function lazyGrpcWorkerClient(options: GrpcWorkerClientOptions): GrpcWorkerCaller {
  let client: Promise<GrpcWorkerClient> | undefined;
  return {
    async call(endpoint, method, request) {
      client ??= import('./grpc-worker-client.ts').then((m) => new m.GrpcWorkerClient(options));
      return (await client).call(endpoint, method, request);
    },
  };
}
