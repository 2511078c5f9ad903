// Tests start real processes the way the example runners do.
export { spawnProcess, type SpawnedProcess } from '../../src/tools/spawned-process.ts';
