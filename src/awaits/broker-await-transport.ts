import { encodeJson, requestMessage } from './await-messages.ts';
import type { AwaitRequest, AwaitTransport, CompletionReceiver } from './await-transport.ts';
import type { BrokerLink } from './broker-link.ts';

/**
 * An await transport over a broker: requests are published on the link's `requests` flow
 * (message id `request:<interactionId>`, so a broker that dedupes drops a repeat), completions
 * consumed from its `completions` flow.
 */
export class BrokerAwaitTransport implements AwaitTransport {
  readonly name: string;
  readonly link: BrokerLink;

  constructor(link: BrokerLink, name: string = link.broker) {
    this.link = link;
    this.name = name;
  }

  publish(request: AwaitRequest): Promise<void> {
    return this.link.publish(
      'requests',
      encodeJson(requestMessage(request)),
      `request:${request.interactionId}`,
    );
  }

  startConsumer(receive: CompletionReceiver): Promise<void> {
    return this.link.consume('completions', receive);
  }

  stop(): Promise<void> {
    return this.link.close();
  }
}
