#!/usr/bin/env bash
# restaurant-approval split in two processes, the worker over gRPC: see split.sh.
exec "$(dirname "$0")/split.sh" grpc
