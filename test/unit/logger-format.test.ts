// What the process logger writes: JSON records with the level's name and an ISO time for a
// machine, one readable line per record for a person, and which one `auto` picks.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { createLogger, type LogFormat } from '../../src/runtime/create-logger.ts';

/** A destination that keeps what it was given; `isTTY` plays a terminal. */
function capture(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return Object.assign(stream, { isTTY, text: () => text });
}

function logOnce(format: LogFormat, isTTY: boolean): string {
  const destination = capture(isTTY);
  const logger = createLogger({ level: 'info', format, service: 'capstan', destination });
  logger.info({ executionId: 'e-1', pipelineId: 'p' }, 'execution submitted');
  logger.debug({}, 'below the level');
  return destination.text();
}

test('JSON records name the level and carry an ISO 8601 time', () => {
  const lines = logOnce('json', true).trimEnd().split('\n');
  assert.equal(lines.length, 1, 'debug is below the level');
  const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(record.level, 'info');
  assert.match(String(record.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(record.msg, 'execution submitted');
  assert.equal(record.executionId, 'e-1');
  assert.equal(record.service, 'capstan');
});

test('auto: JSON when the stream is not a terminal, one readable line when it is', () => {
  assert.equal((JSON.parse(logOnce('auto', false)) as { level: string }).level, 'info');
  const pretty = stripVTControlCharacters(logOnce('auto', true));
  assert.equal(pretty.trimEnd().split('\n').length, 1, 'one line per record');
  assert.match(pretty, /INFO/);
  assert.match(pretty, /execution submitted \{"executionId":"e-1","pipelineId":"p"\}/);
  assert.doesNotMatch(pretty, /"service"|"pid"/, 'process fields are left out of the line');
});

test('a forced format wins over the terminal check', () => {
  assert.match(logOnce('pretty', false), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: execution submitted/);
  assert.doesNotThrow(() => JSON.parse(logOnce('json', true)));
});
