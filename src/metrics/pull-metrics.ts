import { Counter, type Registry } from 'prom-client';

/**
 * The pull worker API on this node: each poll's answer, by whether it carried segments and
 * what woke its last wait (`none` when it did not wait: work was due at once, or it asked
 * not to wait). `notify` means another node's NOTIFY woke it, `local` this node's own submit
 * or completion, `pass` the maintenance pass (the safety net), `deadline` its wait ran out.
 */
export class PullMetrics {
  readonly #polls: Counter<'answer' | 'woken_by'>;

  constructor(registry: Registry) {
    this.#polls = new Counter({
      name: 'capstan_pull_polls_total',
      help: 'Pull worker polls answered by this node, by answer (segments or empty) and what woke their last wait.',
      labelNames: ['answer', 'woken_by'],
      registers: [registry],
    });
  }

  pollAnswered(answer: { segments: number; wokenBy: string }): void {
    this.#polls.inc({ answer: answer.segments > 0 ? 'segments' : 'empty', woken_by: answer.wokenBy });
  }
}
