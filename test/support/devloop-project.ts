import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');

/** What a version of the `devloop` pipeline looks like: its finish step's tag, and an extra step. */
export interface DevloopVersion {
  /** Returned by the last step as `version`, so a result tells which code ran it. */
  readonly tag: string;
  /** Adds a step `audit` before `finish` (a contract change a diff shows). */
  readonly withAudit?: boolean;
  /** Appended to the file as is: a syntax error makes a build fail. */
  readonly broken?: boolean;
}

/**
 * The source of the `devloop` pipeline: prepare, an await step (`approve`), finish. It lives in a
 * folder of its own, as a user's project would, and imports zod from there and the SDK by path.
 */
export function devloopSource(v: DevloopVersion): string {
  return `import { z } from 'zod';
import { definePipeline } from ${JSON.stringify(join(ROOT, 'src/sdk/index.ts'))};
import { TAG } from './tag.ts';

const Input = z.object({ orderId: z.string() });

export default definePipeline({ id: 'devloop', input: Input })
  .step('prepare', { output: Input, run: (input) => input })
  .await('approve', { response: z.object({ ok: z.boolean() }), deadline: 'PT30M' })
${v.withAudit ? "  .step('audit', { output: z.object({ ok: z.boolean() }), run: (r) => r })\n" : ''}  .step('finish', {
    output: z.object({ version: z.string(), ok: z.boolean() }),
    run: (r) => ({ version: TAG, ok: r.ok }),
  });
${v.broken ? 'export const oops = ;\n' : ''}`;
}

/** The local module `pipeline.ts` imports: the tag its last step returns. */
const tagSource = (tag: string): string => `export const TAG = ${JSON.stringify(tag)};\n`;

/**
 * A temporary project folder holding `pipeline.ts` and the local module it imports (`tag.ts`),
 * with zod reachable from its node_modules. `write` writes both; `writeTag` only the imported one.
 */
export function devloopProject(
  t: TestContext,
  first: DevloopVersion,
): { dir: string; file: string; write(v: DevloopVersion): void; writeTag(tag: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-devloop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'package.json'),
    '{ "name": "devloop-project", "type": "module", "private": true }\n',
  );
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules/zod'), join(dir, 'node_modules/zod'));
  const file = join(dir, 'pipeline.ts');
  // Written only when it changes: a save of the pipeline alone is then one file's change.
  const writeTag = (tag: string): void => {
    const path = join(dir, 'tag.ts');
    if (!existsSync(path) || readFileSync(path, 'utf8') !== tagSource(tag))
      writeFileSync(path, tagSource(tag));
  };
  const write = (v: DevloopVersion): void => {
    writeTag(v.tag);
    writeFileSync(file, devloopSource(v));
  };
  write(first);
  return { dir, file, write, writeTag };
}
