import { canonicalJson } from '../util/canonical-json.ts';
import type { ContractStep, PipelineContract } from './pipeline-contract.ts';

const same = (a: unknown, b: unknown): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** What changed in one step kept by id: its kind, position, schemas, await settings. */
function stepChanges(before: ContractStep, after: ContractStep): string[] {
  const changes: string[] = [];
  if (before.kind !== after.kind) changes.push(`kind ${before.kind} → ${after.kind}`);
  if (before.index !== after.index) changes.push(`position ${before.index} → ${after.index}`);
  if (!same(before.outputSchema, after.outputSchema)) changes.push('output schema');
  if (!same(before.responseSchema, after.responseSchema)) changes.push('response schema');
  if (!same(before.await, after.await)) changes.push('await settings');
  return changes;
}

/**
 * What a person reads when a pipeline's contract changes: steps added (`+`), removed (`-`) and
 * changed (`~`, with what changed), and the input and result schemas. Empty when the contract is
 * the same (the code changed, not its shape). `before` undefined: a pipeline seen for the first time.
 */
export function contractChanges(before: PipelineContract | undefined, after: PipelineContract): string[] {
  if (!before) return [`new pipeline: ${after.steps.map((s) => s.stepId).join(' → ')}`];
  if (before.contractVersion === after.contractVersion) return [];
  const lines: string[] = [];
  if (!same(before.inputSchema, after.inputSchema)) lines.push('~ input schema');
  const old = new Map(before.steps.map((s) => [s.stepId, s]));
  const now = new Map(after.steps.map((s) => [s.stepId, s]));
  for (const step of before.steps) if (!now.has(step.stepId)) lines.push(`- step ${step.stepId}`);
  for (const step of after.steps) {
    const was = old.get(step.stepId);
    if (!was) lines.push(`+ step ${step.stepId} (${step.kind}, position ${step.index})`);
    else {
      const changes = stepChanges(was, step);
      if (changes.length > 0) lines.push(`~ step ${step.stepId}: ${changes.join(', ')}`);
    }
  }
  const result = (c: PipelineContract) => c.steps.at(-1)?.outputSchema;
  if (!same(result(before), result(after))) lines.push('~ result schema (the last step’s output)');
  // Anything else the contract holds (capabilities): still a change, said as such.
  if (lines.length === 0) lines.push('~ contract metadata');
  return lines;
}
