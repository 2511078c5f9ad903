import type { Command } from 'commander';
import { configOptions } from '../command-options.ts';

export interface ProviderMockFlags {
  transport: string;
  delay?: string;
  rejectRate?: string;
  burst?: string;
  burstWait?: string;
  seed?: string;
  config?: string;
  set?: string[];
  logLevel?: string;
  logFormat?: string;
}

/** `capstan provider-mock`: a payment provider stand-in answering await requests over a broker. */
export function providerMockCommand(program: Command): void {
  program
    .command('provider-mock')
    .description(
      'Answer await requests over a broker like a payment provider would (for trying and testing broker await transports): the same capstan.awaits.transports.<broker>.* settings as the coordinator',
    )
    .requiredOption('--transport <broker>', 'nats, rabbitmq or sqs')
    .option('--delay <ms>', 'wait before answering each request', '0')
    .option('--reject-rate <p>', 'the chance (0..1) a request is rejected', '0')
    .option('--burst <size>', 'hold answers and send them this many at a time')
    .option('--burst-wait <ms>', 'send held answers after this long even if fewer', '250')
    .option('--seed <n>', 'seed the rejections, for a repeatable run')
    .option(...configOptions.config)
    .option(...configOptions.logLevel)
    .option(...configOptions.logFormat)
    .option(...configOptions.set)
    .action(async (options: ProviderMockFlags) => {
      const { runProviderMock } = await import('../run-provider-mock.ts');
      await runProviderMock(options);
    });
}
