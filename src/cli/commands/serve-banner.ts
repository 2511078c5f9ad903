import type { AccessTokens } from '../../config/access-tokens.ts';
import type { HostedPipeline } from '../../coordinator/host-local-pipelines.ts';

/** What a person sees when the coordinator starts: where it listens, its tokens, how to try it. */
export function printBanner(p: {
  address: string;
  dataDir: string;
  tokens: AccessTokens;
  hosted: readonly HostedPipeline[];
  tenantId: string;
}): void {
  // The banner names the address really bound; a wildcard one is tried through loopback.
  const wildcard = /^http:\/\/(0\.0\.0\.0|\[::\])(:|$)/.test(p.address);
  const url = wildcard ? p.address.replace(/^http:\/\/(0\.0\.0\.0|\[::\])/, 'http://127.0.0.1') : p.address;
  const lines = [
    '',
    `Capstan coordinator listening on ${p.address}${wildcard ? ' (every network interface)' : ''}`,
    `  data directory  ${p.dataDir}`,
    `  operator token  ${p.tokens.operator}${p.tokens.generated.includes('operator') ? '   (generated, kept in tokens.json)' : ''}`,
    `  admin token     ${p.tokens.admin}${p.tokens.generated.includes('admin') ? '   (generated, kept in tokens.json)' : ''}`,
    `  worker token    ${p.tokens.worker}${p.tokens.generated.includes('worker') ? '   (generated, kept in tokens.json)' : ''}`,
  ];
  for (const h of p.hosted)
    lines.push(`  pipeline        ${h.pipelineId} @ ${h.releaseVersion}${h.activated ? ' (activated)' : ''}`);
  if (p.hosted.some((h) => h.pipelineId === 'restaurant-approval')) {
    const cp = `${url}/tpf/control-plane/tenants/${p.tenantId}`;
    lines.push(
      '',
      'Try it:',
      `  export CAPSTAN_TOKEN=${p.tokens.operator}`,
      `  curl -s -X POST ${cp}/executions -H "Authorization: Bearer $CAPSTAN_TOKEN" -H 'Content-Type: application/json' \\`,
      `    -d '{"pipelineId":"restaurant-approval","idempotencyKey":"order-1","input":{"requestId":"6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b","customerName":"Ada Lovelace","restaurantName":"Cafe Capstan","items":"2x pasta","totalAmount":"27.50","currency":"EUR"}}'`,
      `  curl -s ${cp}/interactions/pending -H "Authorization: Bearer $CAPSTAN_TOKEN"`,
      `  curl -s -X POST ${cp}/interactions/complete -H "Authorization: Bearer $CAPSTAN_TOKEN" -H 'Content-Type: application/json' \\`,
      `    -d '{"interactionId":"<interactionId>","response":{"accepted":{"orderId":"<requestPayload.orderId>","decidedAt":"2026-01-01T12:00:00Z","note":"on it"}}}'`,
      `  curl -s "${cp}/executions/<executionId>/result?waitMs=5000" -H "Authorization: Bearer $CAPSTAN_TOKEN"`,
    );
  }
  console.log(`${lines.join('\n')}\n`);
}
