#!/usr/bin/env bash
# restaurant-approval split in two processes, the worker over REST: see split.sh.
exec "$(dirname "$0")/split.sh" rest
