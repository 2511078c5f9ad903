import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The pull worker API on this node: each poll's answer, by whether it carried segments and
 * what woke its last wait (`none` when it did not wait: work was due at once, or it asked
 * not to wait). `notify` means another node's NOTIFY woke it, `local` this node's own submit
 * or completion, `pass` the maintenance pass (the safety net), `deadline` its wait ran out.
 */
export class PullMetrics {
  readonly #polls: Counter<'answer' | 'woken_by'>;
  #waiting: () => number = () => 0;

  constructor(registry: Registry) {
    const waiting = (): number => this.#waiting();
    new Gauge({
      name: 'capstan_pull_polls_waiting',
      help: 'Pull worker polls waiting on this node for work now.',
      registers: [registry],
      collect() {
        this.set(waiting());
      },
    });
    this.#polls = new Counter({
      name: 'capstan_pull_polls_total',
      help: 'Pull worker polls answered by this node, by answer (segments or empty) and what woke their last wait.',
      labelNames: ['answer', 'woken_by'],
      registers: [registry],
    });
  }

  /** Where the number of waiting polls is read at each scrape. */
  observeWaiting(waiting: () => number): void {
    this.#waiting = waiting;
  }

  pollAnswered(answer: { segments: number; wokenBy: string }): void {
    this.#polls.inc({ answer: answer.segments > 0 ? 'segments' : 'empty', woken_by: answer.wokenBy });
  }
}
