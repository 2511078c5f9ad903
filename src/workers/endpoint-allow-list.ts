/**
 * Where the coordinator may send commands: `capstan.workers.allowed-endpoints`, a
 * comma-separated list of `host:port` or `host:*` patterns (hosts compared case-insensitively,
 * IPv6 hosts in brackets). Empty means no restriction. A REST endpoint is a URL (its port
 * defaults to 80 or 443); a gRPC endpoint is `host:port`.
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
    if (!this.restricts) return true;
    const target = endpointHostPort(endpoint);
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
