import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { displayValue } from '../../src/cli/commands/config-print.ts';
import { redactUrlsIn } from '../../src/config/redact.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(PIPELINE_|CAPSTAN_|PORT$)/.test(name)),
);

test('capstan config print: credentials in any URL-valued setting are masked', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      'bin/capstan.mjs',
      'config',
      'print',
      '--json',
      '--set',
      'pipeline.orchestrator.worker.rest.base-url=http://worker:hunter2@w1:8181,https://w2:8181',
      '--set',
      'capstan.worker.coordinator-url=https://tok3n-s3cret@coordinator.example:8080/',
    ],
    { cwd: ROOT, env: cleanEnv },
  );
  assert.ok(!stdout.includes('hunter2'), 'no password');
  assert.ok(!stdout.includes('tok3n-s3cret'), 'no token in the user-name place');
  const printed = JSON.parse(stdout);
  assert.deepEqual(printed['pipeline.orchestrator.worker.rest.base-url'], {
    value: 'http://worker:****@w1:8181/,https://w2:8181',
    source: 'flag',
  });
  assert.equal(printed['capstan.worker.coordinator-url'].value, 'https://****@coordinator.example:8080/');
});

test('redactUrlsIn: masks credentials, leaves every other text exactly as it was', () => {
  for (const plain of ['', 'http://127.0.0.1:8181', 'a,b', 'PT10S', '127.0.0.1:9090,[::1]:9091'])
    assert.equal(redactUrlsIn(plain), plain);
  assert.equal(redactUrlsIn('http://u:p@h, http://v:q@k'), 'http://u:****@h/, http://v:****@k/');
  assert.equal(redactUrlsIn('https://h/x?api_key=abc&n=1'), 'https://h/x?api_key=****&n=1');
  assert.equal(displayValue('capstan.worker.advertised-url', 'http://a:b@h:1'), 'http://a:****@h:1/');
  assert.equal(displayValue('capstan.port', 8080), 8080);
});
