#!/usr/bin/env node
// The capstan CLI. Pipelines are TypeScript modules, so the CLI registers tsx's loader
// once and then runs the TypeScript sources directly; there is no separate build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
