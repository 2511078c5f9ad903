import type { Command } from 'commander';
import type { loadConfig as LoadConfig } from '../../config/load-config.ts';
import { redactUrl, redactUrlsIn } from '../../config/redact.ts';
import { renderTable } from '../output.ts';
import { flagsOf } from '../command-options.ts';

interface ConfigPrintOptions {
  config?: string;
  port?: string;
  host?: string;
  dataDir?: string;
  nodeId?: string;
  set?: string[];
  json?: boolean;
}

const secretSuffixes = ['token-ref', 'secret-ref', 'token', 'secret', 'password'];
/** Keys whose value is a connection URL, which may carry a password. */
const urlSuffixes = ['postgres.url'];

/**
 * What `config print` shows for a value: a secret-looking key shows `****`, unless its value is a
 * ref (`env:NAME`, `file:/path`), which says where the secret lives and is not secret itself. A
 * connection URL is shown with its password masked, and so is any URL in any other value (a list
 * of worker base URLs, a coordinator URL): credentials can ride in whatever a URL is set in.
 */
export function displayValue(key: string, value: unknown): unknown {
  const isRef = typeof value === 'string' && /^(env|file):./.test(value);
  if (value === undefined || isRef) return value;
  if (urlSuffixes.some((suffix) => key.endsWith(suffix)))
    return typeof value === 'string' ? redactUrl(value) : '****';
  if (secretSuffixes.some((suffix) => key.endsWith(suffix))) return '****';
  return typeof value === 'string' ? redactUrlsIn(value) : value;
}

/** `capstan config print`: the effective configuration, from the same sources `serve` reads. */
export function configPrintCommand(program: Command): void {
  program
    .command('config')
    .description('Inspect the configuration')
    .command('print')
    .description('Print the effective configuration (key, value, source) with secrets masked')
    .option('--config <file>', 'a .yaml, .yml or .properties config file (env CAPSTAN_CONFIG)')
    .option('--port <port>', 'HTTP port (env PORT)')
    .option('--host <host>', 'address to listen on')
    .option('--metrics-port <port>', 'serve GET /metrics without a token on this port (capstan.metrics.port)')
    .option('--tracing', 'send OpenTelemetry traces (capstan.tracing.enabled)')
    .option('--data-dir <dir>', 'data directory (env CAPSTAN_DATA_DIR)')
    .option('--node-id <id>', 'this node’s id (env CAPSTAN_NODE_ID)')
    .option('--set <key=value...>', 'any configuration key, e.g. pipeline.orchestrator.max-retries=0')
    .option('--json', 'print {key: {value, source}} as JSON instead of a table')
    .action(async (options: ConfigPrintOptions) => {
      // Loaded on demand: the configuration schema (zod, yaml) is not what `capstan --version` needs.
      const { loadConfig } = await import('../../config/load-config.ts');
      printConfig(options, loadConfig);
    });
}

function printConfig(options: ConfigPrintOptions, loadConfig: typeof LoadConfig): void {
  const { values, sources, warnings } = loadConfig({ file: options.config, flags: flagsOf(options) });
  // Warnings go to stderr so that `--json` output stays parseable.
  for (const warning of warnings) console.error(`warning: ${warning}`);
  const valueOf = new Map<string, unknown>(Object.entries(values));
  const rows = Object.entries(sources)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, source]) => ({ key, value: displayValue(key, valueOf.get(key)), source }));
  if (options.json) {
    const json = Object.fromEntries(rows.map((r) => [r.key, { value: r.value ?? null, source: r.source }]));
    console.log(JSON.stringify(json, null, 2));
    return;
  }
  console.log(
    renderTable(rows, [
      { header: 'key', value: (r) => r.key },
      { header: 'value', value: (r) => r.value },
      { header: 'source', value: (r) => r.source },
    ]),
  );
}
