import type { BrokerLink } from '../awaits/broker-link.ts';
import { NatsLink } from '../awaits/nats-link.ts';
import { RabbitMqLink } from '../awaits/rabbitmq-link.ts';
import { SqsLink } from '../awaits/sqs-link.ts';
import type { Logger } from '../runtime/logger.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { resolveSecretRef } from './secret-ref.ts';
import type { Settings } from './settings.ts';

/** The brokers an await transport can run over. */
export const brokerNames = ['nats', 'rabbitmq', 'sqs'] as const;
export type BrokerName = (typeof brokerNames)[number];

const ms = (iso: string): number => parseIsoDuration(iso) ?? 0;
/** A URL setting may be a secret ref (it usually carries a password). */
const urlOf = (value: string, env: NodeJS.ProcessEnv) =>
  /^(env|file):/.test(value) ? resolveSecretRef(value, env) : value;

/**
 * Connects to the broker `capstan.awaits.transports.<broker>.*` describes, whether or not it is
 * enabled: the coordinator opens the enabled ones, and a provider on the other side (the
 * `capstan provider-mock` command) opens the one it serves from the same settings, so both
 * agree on streams and queues by construction.
 */
export async function openBrokerLink(
  values: Settings,
  broker: BrokerName,
  options: { logger: Logger; env: NodeJS.ProcessEnv },
): Promise<BrokerLink> {
  switch (broker) {
    case 'nats':
      return NatsLink.open({
        url: urlOf(values['capstan.awaits.transports.nats.url'], options.env),
        stream: values['capstan.awaits.transports.nats.stream'],
        subjectPrefix: values['capstan.awaits.transports.nats.subject-prefix'],
        ackWaitMs: ms(values['capstan.awaits.transports.nats.ack-wait']),
        maxInFlight: values['capstan.awaits.transports.nats.max-in-flight'],
        logger: options.logger,
      });
    case 'rabbitmq':
      return RabbitMqLink.open({
        url: urlOf(values['capstan.awaits.transports.rabbitmq.url'], options.env),
        queuePrefix: values['capstan.awaits.transports.rabbitmq.queue-prefix'],
        prefetch: values['capstan.awaits.transports.rabbitmq.prefetch'],
        logger: options.logger,
      });
    case 'sqs':
      return SqsLink.open({
        endpoint: values['capstan.awaits.transports.sqs.endpoint'],
        region: values['capstan.awaits.transports.sqs.region'],
        queuePrefix: values['capstan.awaits.transports.sqs.queue-prefix'],
        visibilityTimeoutMs: ms(values['capstan.awaits.transports.sqs.visibility-timeout']),
        maxInFlight: values['capstan.awaits.transports.sqs.max-in-flight'],
        logger: options.logger,
      });
  }
}
