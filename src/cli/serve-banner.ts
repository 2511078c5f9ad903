import { join } from 'node:path';
import type { AccessTokens, TokenRole } from '../config/access-tokens.ts';
import type { HostedPipeline } from '../coordinator/host-local-pipelines.ts';

/**
 * How the banner speaks of a token. Its value is printed only when it was generated at this
 * start, so the person who started the coordinator learns it once; a configured token (env:,
 * file:) or one kept from an earlier start is named by where it lives, never echoed into logs.
 */
function tokenLine(tokens: AccessTokens, role: TokenRole, dataDir: string): string {
  const origin = tokens.origins[role];
  if (origin.kind === 'ref') return `from ${origin.ref}`;
  const file = join(dataDir, 'tokens.json');
  if (origin.kind === 'stored') return `in ${file} (generated on an earlier start)`;
  return `${tokens[role]}   (generated now, kept in ${file}; shown this once)`;
}

/**
 * What a person sees when the coordinator starts: where it listens, its tokens, how to try it.
 * Printed once as plain text on stderr, never as a log record (README, "Logs").
 */
export function printBanner(p: {
  address: string;
  dataDir: string;
  tokens: AccessTokens;
  hosted: readonly HostedPipeline[];
  tenantId: string;
  /** Older releases kept hosted for their live executions, one line each. */
  kept?: readonly string[];
  /** Live executions nobody can run. */
  warnings?: readonly string[];
  /** Whether the web console is served at /console. */
  console?: boolean;
}): void {
  // The banner names the address really bound; a wildcard one is tried through loopback.
  const wildcard = /^http:\/\/(0\.0\.0\.0|\[::\])(:|$)/.test(p.address);
  const url = wildcard ? p.address.replace(/^http:\/\/(0\.0\.0\.0|\[::\])/, 'http://127.0.0.1') : p.address;
  const lines = [
    '',
    `Capstan coordinator listening on ${p.address}${wildcard ? ' (every network interface)' : ''}`,
    `  data directory  ${p.dataDir}`,
    `  operator token  ${tokenLine(p.tokens, 'operator', p.dataDir)}`,
    `  admin token     ${tokenLine(p.tokens, 'admin', p.dataDir)}`,
    `  worker token    ${tokenLine(p.tokens, 'worker', p.dataDir)}`,
  ];
  if (p.console) lines.push(`  web console     ${url}/console   (log in with the operator or admin token)`);
  const operatorToken =
    p.tokens.origins.operator.kind === 'generated-now' ? p.tokens.operator : '<the operator token>';
  for (const h of p.hosted)
    lines.push(`  pipeline        ${h.pipelineId} @ ${h.releaseVersion}${h.activated ? ' (activated)' : ''}`);
  for (const line of p.kept ?? []) lines.push(`  kept release    ${line}`);
  for (const line of p.warnings ?? []) lines.push(`  WARNING         ${line}`);
  if (p.hosted.some((h) => h.pipelineId === 'restaurant-approval')) {
    const cp = `${url}/tpf/control-plane/tenants/${p.tenantId}`;
    lines.push(
      '',
      'Try it:',
      `  export CAPSTAN_TOKEN=${operatorToken}`,
      `  curl -s -X POST ${cp}/executions -H "Authorization: Bearer $CAPSTAN_TOKEN" -H 'Content-Type: application/json' \\`,
      `    -d '{"pipelineId":"restaurant-approval","idempotencyKey":"order-1","input":{"requestId":"6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b","customerName":"Ada Lovelace","restaurantName":"Cafe Capstan","items":"2x pasta","totalAmount":"27.50","currency":"EUR"}}'`,
      `  curl -s ${cp}/interactions/pending -H "Authorization: Bearer $CAPSTAN_TOKEN"`,
      `  curl -s -X POST ${cp}/interactions/complete -H "Authorization: Bearer $CAPSTAN_TOKEN" -H 'Content-Type: application/json' \\`,
      `    -d '{"interactionId":"<interactionId>","response":{"accepted":{"orderId":"<requestPayload.orderId>","decidedAt":"2026-01-01T12:00:00Z","note":"on it"}}}'`,
      `  curl -s "${cp}/executions/<executionId>/result?waitMs=5000" -H "Authorization: Bearer $CAPSTAN_TOKEN"`,
    );
  }
  // Stderr: the log stream (stdout) stays records only, JSON a collector can parse line by line.
  process.stderr.write(`${lines.join('\n')}\n\n`);
}
