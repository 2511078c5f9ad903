import { brokerNames, openBrokerLink, type BrokerName } from '../config/broker-links.ts';
import { loadConfig } from '../config/load-config.ts';
import { CliError, localCodes } from '../errors/cli-error.ts';
import { createLogger } from '../runtime/create-logger.ts';
import { seededRandom, systemRandom } from '../runtime/random.ts';
import { ProviderMock, type ProviderProfile } from '../tools/provider-mock.ts';
import { flagsOf } from './command-options.ts';
import type { ProviderMockFlags } from './commands/provider-mock.ts';
import { stopOnSignals } from './stop-on-signals.ts';

/** How often the mock logs how many requests it answered, while it answers any. */
const PROGRESS_EVERY_MS = 5000;

/** Runs the provider mock until SIGINT or SIGTERM. */
export async function runProviderMock(flags: ProviderMockFlags): Promise<void> {
  const broker = brokerOf(flags.transport);
  const profile = profileOf(flags);
  const signals = stopOnSignals();
  const { values, warnings } = loadConfig({ file: flags.config, flags: flagsOf(flags) });
  const logger = createLogger({
    level: values['capstan.log-level'],
    format: values['capstan.log-format'],
    service: 'capstan-provider-mock',
  });
  for (const warning of warnings) logger.warn({}, warning);
  const link = await openBrokerLink(values, broker, { logger, env: process.env });
  const random = flags.seed === undefined ? systemRandom : seededRandom(number(flags.seed, '--seed', 0));
  const mock = new ProviderMock({ link, random, logger, ...profile });
  await mock.start();
  let reported = 0;
  const progress = setInterval(() => {
    if (mock.answered.size === reported) return;
    reported = mock.answered.size;
    logger.info({ answered: reported }, 'provider mock progress');
  }, PROGRESS_EVERY_MS);
  logger.info({ transport: broker, ...profile }, 'provider mock ready');
  signals.attach({
    logger,
    close: async () => {
      clearInterval(progress);
      await mock.stop();
      logger.info({ answered: mock.answered.size }, 'provider mock stopped');
    },
  });
}

function brokerOf(value: string): BrokerName {
  const broker = brokerNames.find((b) => b === value);
  if (!broker)
    throw new CliError(
      localCodes.invalidArgument,
      `--transport: '${value}' is not a broker (${brokerNames.join(', ')})`,
    );
  return broker;
}

function profileOf(flags: ProviderMockFlags): ProviderProfile {
  const rejectProbability = number(flags.rejectRate ?? '0', '--reject-rate', 0, 1);
  const delayMs = number(flags.delay ?? '0', '--delay', 0);
  const burst =
    flags.burst === undefined
      ? undefined
      : {
          size: Math.max(1, Math.floor(number(flags.burst, '--burst', 1))),
          maxWaitMs: number(flags.burstWait ?? '250', '--burst-wait', 0),
        };
  return { delayMs, rejectProbability, ...(burst ? { burst } : {}) };
}

/** A finite number within bounds, or a usage error naming the flag. */
function number(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new CliError(
      localCodes.invalidArgument,
      `${flag}: '${value}' is not a number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}`,
    );
  return n;
}
