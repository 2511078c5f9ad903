import { CapstanError } from '../errors/catalog.ts';

const TENANT_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Validates a path tenant id; with an allow-list, any other tenant does not exist. */
export function checkTenant(tenantId: string, allowed: ReadonlySet<string>): string {
  if (!TENANT_ID.test(tenantId)) throw new CapstanError('invalid_tenant_id');
  if (allowed.size > 0 && !allowed.has(tenantId)) throw new CapstanError('tenant_not_found');
  return tenantId;
}
