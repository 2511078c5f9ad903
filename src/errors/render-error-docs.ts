import { errorCatalog } from './catalog.ts';

/** `docs/errors.md`, rendered from the catalogue; a test fails when the two drift apart. */
export function renderErrorDocs(): string {
  const rows = Object.entries(errorCatalog).map(
    ([code, e]) => `| \`${code}\` | ${e.status} | ${e.message} |`,
  );
  return [
    '# Error catalogue',
    '',
    'Every refusal of the HTTP API is a JSON body `{"error": {"code", "message", "details"?}}` with one of',
    'these stable codes. Branch on `code`, never on `message`. `details` carries field-level problems',
    '(`issues: [{path, message}]`) for validation errors.',
    '',
    'This page is generated from `src/errors/catalog.ts` by',
    '`node --import tsx scripts/generate-error-docs.ts`; a test fails when they differ.',
    '',
    '| code | HTTP status | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
