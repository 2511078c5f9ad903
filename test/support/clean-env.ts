/**
 * The test process's environment without the machine's CAPSTAN_* settings (a developer's
 * CAPSTAN_URL or CAPSTAN_TOKEN must not leak into a test), except CAPSTAN_RUN_FROM: it says how
 * the suite runs `capstan` (from the built dist/, scripts/run-tests.mjs), not what it is configured to do.
 */
export function envWithoutCapstanSettings(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && (!entry[0].startsWith('CAPSTAN_') || entry[0] === 'CAPSTAN_RUN_FROM'),
    ),
  );
}
