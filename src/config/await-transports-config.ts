import { AwaitTransports } from '../awaits/await-transports.ts';
import type { AwaitTransport } from '../awaits/await-transport.ts';
import { BrokerAwaitTransport } from '../awaits/broker-await-transport.ts';
import { CallbackSigner } from '../awaits/callback-signature.ts';
import { WebhookAwaitTransport } from '../awaits/webhook-transport.ts';
import type { Logger } from '../runtime/logger.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { ConfigError } from '../errors/config-error.ts';
import { brokerNames, openBrokerLink } from './broker-links.ts';
import { resolveSecretRef } from './secret-ref.ts';
import type { Settings } from './settings.ts';

const ms = (iso: string): number => parseIsoDuration(iso) ?? 0;

/**
 * The await transports `capstan.awaits.transports.*` enables, connected: a broker that cannot
 * be reached stops the start (an await step over it could never be answered). Nothing is
 * opened when none is enabled.
 */
export async function openAwaitTransports(
  values: Settings,
  options: { logger: Logger; defaultCallbackBaseUrl: string; env?: NodeJS.ProcessEnv },
): Promise<AwaitTransports> {
  const env = options.env ?? process.env;
  const p = 'capstan.awaits.transports.';
  const webhook = webhookSigner(values, options.defaultCallbackBaseUrl, env);
  const transports: AwaitTransport[] = [];
  try {
    for (const broker of brokerNames)
      if (values[`${p}${broker}.enabled`])
        transports.push(
          new BrokerAwaitTransport(await openBrokerLink(values, broker, { logger: options.logger, env })),
        );
  } catch (error) {
    for (const t of transports) await t.stop().catch(() => undefined);
    throw error;
  }
  if (webhook)
    transports.push(
      new WebhookAwaitTransport({
        url: webhook.url,
        signer: webhook.signer,
        timeoutMs: ms(values[`${p}webhook.timeout`]),
      }),
    );
  return new AwaitTransports(transports, options.logger, webhook?.signer);
}

function webhookSigner(
  values: Settings,
  defaultCallbackBaseUrl: string,
  env: NodeJS.ProcessEnv,
): { url: string; signer: CallbackSigner } | undefined {
  const p = 'capstan.awaits.transports.webhook.';
  if (!values[`${p}enabled`]) return undefined;
  const url = values[`${p}url`];
  const secretRef = values[`${p}secret-ref`];
  const problems = [
    ...(url ? [] : [`${p}url: required when the webhook transport is enabled`]),
    ...(secretRef ? [] : [`${p}secret-ref: required when the webhook transport is enabled`]),
  ];
  if (!url || !secretRef) throw new ConfigError(problems);
  let key: string;
  try {
    key = resolveSecretRef(secretRef, env);
  } catch (error) {
    throw new ConfigError([`${p}secret-ref: ${(error as Error).message}`]);
  }
  return { url, signer: new CallbackSigner(key, values[`${p}callback-base-url`] ?? defaultCallbackBaseUrl) };
}
