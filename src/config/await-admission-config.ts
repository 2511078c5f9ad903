import { budgetKey, type AwaitAdmissionConfig } from '../coordinator/await-admissions.ts';
import type { Settings } from './settings.ts';

/**
 * The await admission budgets the settings give (docs/await-admission.md): those of
 * `capstan.awaits.admission` by step, and, while TPF's `pipeline.await-admission.enabled` is
 * on, `pipeline.max-concurrency` for every other await step. The schema checked the list's shape.
 */
export function awaitAdmissionConfigOf(values: Settings): AwaitAdmissionConfig {
  const budgets = new Map<string, number>();
  for (const entry of values['capstan.awaits.admission'].split(',')) {
    const match = /^\s*([^/\s]+)\/([^=\s]+)=(\d+)\s*$/.exec(entry);
    if (match) budgets.set(budgetKey(match[1] as string, match[2] as string), Number(match[3]));
  }
  return {
    budgets,
    defaultBudget: values['pipeline.await-admission.enabled']
      ? values['pipeline.max-concurrency']
      : undefined,
  };
}
