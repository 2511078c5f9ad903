import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { extract } from 'tar-stream';
import { z } from 'zod';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import { buildRelease, descriptorFileText, writeRelease } from '../../src/releases/build-release.ts';
import { buildContract, contractFileText } from '../../src/releases/pipeline-contract.ts';
import { releaseDescriptorSchema } from '../../src/releases/release-descriptor.ts';
import { definePipeline, isPipeline } from '../../src/sdk/index.ts';
import { canonicalJson, sha256Hex } from '../../src/util/canonical-json.ts';

const SOURCE = fileURLToPath(new URL('../../examples/restaurant-approval/pipeline.ts', import.meta.url));

async function untar(tgz: Buffer): Promise<Map<string, { bytes: Buffer; mtime: number | undefined }>> {
  const entries = new Map<string, { bytes: Buffer; mtime: number | undefined }>();
  const ex = extract();
  ex.end(gunzipSync(tgz));
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.set(entry.header.name, { bytes: Buffer.concat(chunks), mtime: entry.header.mtime?.getTime() });
  }
  return entries;
}

/** The same shape each time, unless an option changes the last output schema, the code or the deadline. */
const shaped = (
  options: { total?: z.ZodType; run?: (x: { n: number }) => unknown; deadline?: string } = {},
) =>
  definePipeline({ id: 'shaped', input: z.object({ n: z.number().int() }) })
    .step('double', {
      output: z.object({ n: z.number() }),
      run: (options.run as ((x: { n: number }) => { n: number }) | undefined) ?? (({ n }) => ({ n: n * 2 })),
    })
    .await('confirm', { response: z.object({ ok: z.boolean() }), deadline: options.deadline ?? 'PT5M' })
    .step('total', { output: options.total ?? z.object({ total: z.string() }), run: () => ({ total: '1' }) });

test("the contract version is sha256 of the contract's canonical body", () => {
  const contract = buildContract(restaurant);
  assert.match(contract.contractVersion, /^sha256:[0-9a-f]{64}$/);
  assert.equal(contract.contractVersion, `sha256:${contract.contractHash}`);
  const { contractHash: _hash, contractVersion: _version, ...body } = contract;
  assert.equal(sha256Hex(canonicalJson(body)), contract.contractHash);
  assert.deepEqual(
    contract.steps.map((s) => [s.index, s.stepId, s.kind]),
    [
      [0, 'validate-order', 'step'],
      [1, 'create-pending-approval', 'step'],
      [2, 'await-restaurant-decision', 'await'],
      [3, 'finalize-decision', 'step'],
    ],
  );
  assert.equal(contract.steps[2]?.await?.deadlineMs, 30 * 60_000);
  assert.equal(contractFileText(contract), `${canonicalJson(contract)}\n`);
});

test('the contract changes with a schema or await metadata, not with step code', () => {
  const base = buildContract(shaped()).contractVersion;
  assert.equal(buildContract(shaped()).contractVersion, base, 'the same definition, the same contract');
  const otherCode = shaped({ run: ({ n }) => ({ n: n + n }) });
  assert.equal(buildContract(otherCode).contractVersion, base, 'a rewritten run function keeps it');
  const otherOutput = shaped({ total: z.object({ total: z.number() }) });
  assert.notEqual(buildContract(otherOutput).contractVersion, base, 'an output schema change changes it');
  assert.notEqual(buildContract(shaped({ deadline: 'PT6M' })).contractVersion, base, 'a deadline changes it');
});

test('a release build is deterministic: artifact, descriptor and files are byte-identical', async (t) => {
  const a = await buildRelease(restaurant, { sourceFile: SOURCE });
  const b = await buildRelease(restaurant, { sourceFile: SOURCE });
  assert.ok(a.artifact.equals(b.artifact), 'the artifacts are byte-identical');
  assert.equal(descriptorFileText(a.descriptor), descriptorFileText(b.descriptor));
  assert.equal(contractFileText(a.contract), contractFileText(b.contract));

  const root = mkdtempSync(join(tmpdir(), 'capstan-release-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  await writeRelease(a, join(root, 'one'));
  const { descriptorPath } = await writeRelease(b, join(root, 'two'));
  assert.equal(descriptorPath, join(root, 'two', 'pipeline-release.json'));
  const files = readdirSync(join(root, 'one')).sort();
  assert.deepEqual(files, ['pipeline-contract.json', 'pipeline-release.json', 'restaurant-approval.tgz']);
  assert.deepEqual(readdirSync(join(root, 'two')).sort(), files);
  for (const name of files) {
    const one = readFileSync(join(root, 'one', name));
    assert.ok(one.equals(readFileSync(join(root, 'two', name))), `${name} is byte-identical`);
  }
  assert.ok(readFileSync(join(root, 'one', 'restaurant-approval.tgz')).equals(a.artifact));
  assert.equal(
    readFileSync(join(root, 'one', 'pipeline-release.json'), 'utf8'),
    descriptorFileText(a.descriptor),
  );
});

test('the release version pins the contract and the artifact digest', async () => {
  const built = await buildRelease(restaurant, { sourceFile: SOURCE });
  const artifactHex = sha256Hex(built.artifact);
  const { descriptor, contract } = built;
  assert.match(descriptor.releaseVersion, /^[0-9a-f]{12}\.[0-9a-f]{12}$/);
  assert.equal(
    descriptor.releaseVersion,
    `${contract.contractHash.slice(0, 12)}.${artifactHex.slice(0, 12)}`,
  );
  assert.equal(descriptor.contractVersion, contract.contractVersion);
  assert.equal(descriptor.artifacts[0]?.digest, `sha256:${artifactHex}`);
  assert.deepEqual(
    descriptor.artifacts[0]?.stepIds,
    restaurant.steps.map((s) => s.id),
  );
  assert.deepEqual(releaseDescriptorSchema.parse(descriptor), descriptor);

  const contractOnly = await buildRelease(restaurant);
  assert.equal(contractOnly.contract.contractVersion, contract.contractVersion);
  assert.notEqual(
    contractOnly.descriptor.releaseVersion,
    descriptor.releaseVersion,
    'other artifact, other release',
  );
  assert.equal(contractOnly.descriptor.releaseVersion.split('.')[0], descriptor.releaseVersion.split('.')[0]);
  const pinned = await buildRelease(restaurant, { releaseVersion: '2026.01.1' });
  assert.equal(pinned.descriptor.releaseVersion, '2026.01.1');
});

test('the artifact holds pipeline-contract.json at its root, byte for byte, and the bundle', async () => {
  const built = await buildRelease(restaurant, { sourceFile: SOURCE });
  const entries = await untar(built.artifact);
  assert.deepEqual([...entries.keys()], ['pipeline-contract.json', 'pipeline.mjs']);
  const contractEntry = entries.get('pipeline-contract.json');
  assert.ok(contractEntry?.bytes.equals(Buffer.from(contractFileText(built.contract))));
  assert.equal(contractEntry?.mtime, 0, 'entries carry a zero mtime');
  const bundle = entries.get('pipeline.mjs')?.bytes.toString('utf8') ?? '';
  assert.match(bundle, /restaurant-approval/);
  assert.doesNotMatch(bundle, /from ["']\.\.?\//, 'relative imports are bundled in');

  const bare = await untar((await buildRelease(restaurant)).artifact);
  assert.deepEqual([...bare.keys()], ['pipeline-contract.json'], 'no source file, no bundle');
});

/** Blank lines, comments and a different indentation, without touching any string. */
function reformat(source: string): string {
  const lines = source.split('\n').flatMap((line) => {
    const indented = line.replace(/^( +)/, (spaces) => spaces.repeat(2));
    return /[,;{]$/.test(line)
      ? [indented, '', `${indented.match(/^ */)?.[0] ?? ''}// reformatted`]
      : [indented];
  });
  return `// A reformatted copy of pipeline.ts for a test.\n\n${lines.join('\n')}\n\n// end\n`;
}

test('reformatting the pipeline module does not change its contract', async (t) => {
  const original = readFileSync(SOURCE, 'utf8');
  const copy = join(dirname(SOURCE), `.reformatted-${randomBytes(6).toString('hex')}.ts`);
  t.after(() => rmSync(copy, { force: true }));
  const text = reformat(original);
  assert.notEqual(text, original);
  assert.ok(text.split('\n').length > original.split('\n').length * 1.5, 'the copy really is reformatted');
  writeFileSync(copy, text);
  const module = (await import(pathToFileURL(copy).href)) as { default: unknown };
  assert.ok(isPipeline(module.default));
  assert.notEqual(module.default, restaurant, 'a separately loaded module');
  const reformatted = buildContract(module.default);
  const expected = buildContract(restaurant);
  assert.equal(reformatted.contractVersion, expected.contractVersion);
  assert.equal(contractFileText(reformatted), contractFileText(expected));
  const release = await buildRelease(module.default, { sourceFile: copy });
  assert.equal(release.descriptor.releaseVersion.split('.')[0], expected.contractHash.slice(0, 12));
});
