/**
 * Where the coordinator may send commands: `capstan.workers.allowed-endpoints`, a
 * comma-separated list of `host:port` or `host:*` patterns (hosts compared case-insensitively,
 * IPv6 hosts in brackets). Empty means any endpoint but a link-local or unspecified address
 * (169.254.0.0/16, fe80::/10, 0.0.0.0, ::): no worker runs there, and a cloud's metadata
 * service does (169.254.169.254), so a worker token alone never points dispatch at it. A REST
 * endpoint is a URL (its port defaults to 80 or 443); a gRPC endpoint is `host:port`.
 */
export class EndpointAllowList {
  readonly #patterns: readonly { host: string; port: string }[];

  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.map((text) => {
      const parsed = hostPort(text.trim());
      if (!parsed || !/^(\d{1,5}|\*)$/.test(parsed.port))
        throw new Error(`'${text}' is not a host:port or host:* pattern`);
      return parsed;
    });
  }

  /** Whether any pattern is configured. */
  get restricts(): boolean {
    return this.#patterns.length > 0;
  }

  allows(endpoint: string): boolean {
    const target = endpointHostPort(endpoint);
    if (!this.restricts) return target === undefined || !neverAWorker(target.host);
    if (!target) return false;
    return this.#patterns.some((p) => p.host === target.host && (p.port === '*' || p.port === target.port));
  }
}

/** `host:port` of an endpoint: a URL's, or the text's own. */
function endpointHostPort(endpoint: string): { host: string; port: string } | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) {
    try {
      const url = new URL(endpoint);
      const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
      return port ? { host: url.hostname.toLowerCase(), port } : undefined;
    } catch {
      return undefined;
    }
  }
  const parsed = hostPort(endpoint);
  return parsed && /^\d{1,5}$/.test(parsed.port) ? parsed : undefined;
}

function hostPort(text: string): { host: string; port: string } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:/\s[\]]+):([^:/\s]+)$/i.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  return { host: match[1].toLowerCase(), port: match[2] };
}

/** Link-local and unspecified addresses, written as IP literals: refused unless listed. */
function neverAWorker(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (/^169\.254\.\d{1,3}\.\d{1,3}$/.test(bare) || bare === '0.0.0.0') return true;
  if (bare === '::' || /^fe[89ab][0-9a-f]?:/.test(bare)) return true;
  // An IPv4-mapped IPv6 address of one of the above, dotted or (as URLs write it) in hex.
  const dotted = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/.exec(bare)?.[1];
  if (dotted !== undefined) return neverAWorker(dotted);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (!hex?.[1] || !hex[2]) return false;
  const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return neverAWorker(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
}
