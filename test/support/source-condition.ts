/**
 * In a test process, `capstan/sdk` and the other entry points resolve to src/ (the
 * `capstan-source` export condition, docs/packaging.md) even when the process was started
 * without `--conditions=capstan-source`: a test never runs against a stale or missing dist/.
 * leak-check.ts, which every way of running a test file loads with `--import`, imports it first.
 */
import { register } from 'node:module';

register(
  'data:text/javascript,export function resolve(s, c, next) {' +
    ' return next(s, { ...c, conditions: [...c.conditions, "capstan-source"] }); }',
);
