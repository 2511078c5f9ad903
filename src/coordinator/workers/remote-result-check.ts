import type { ContractValidators } from '../../releases/release-catalog.ts';
import type { SegmentCommand, SegmentResult, StepOutput } from '../../segment/transition-worker.ts';

/**
 * Checks a remote worker's answer against the segment it was sent, before anything of it is
 * committed. A signature proves who answered, not that the answer fits: outputs must be those
 * of the segment's steps (from the command's step up to, not including, the next await or the
 * end), each once and in order, each matching the pinned contract's output schema, and the
 * outcome must stop where such a run can stop (an await step's output is a human decision, which
 * no worker may supply). Returns the problem, or undefined when the answer may be committed.
 */
export function remoteResultProblem(
  result: SegmentResult,
  command: SegmentCommand,
  validators: ContractValidators | undefined,
): string | undefined {
  if (result.outcome !== 'COMPLETED' && result.outcome !== 'WAITING_EXTERNAL' && result.outcome !== 'FAILED')
    return undefined;
  if (!validators) return `release ${command.releaseVersion} has no contract to check the result against`;
  const steps = validators.contract.steps;
  const start = command.currentStepIndex;
  // An item's continuation stops before its aggregate; anything else may run to the end.
  const stop = Math.min(command.stopBeforeStepIndex ?? steps.length, steps.length);
  const next = steps.find((s) => s.index >= start && s.index < stop && s.kind === 'await');
  // A segment also ends at an expand step, whose output (its items) completes it.
  const expand = steps.find((s) => s.index >= start && s.index < (next?.index ?? stop) && s.kind === 'expand');
  // The segment's steps are [start, end): a worker runs them, and stops at `end` at the latest.
  const end = next?.index ?? expand?.index ?? stop;
  const outputs = result.outputs ?? [];
  const problem = outputsProblem(outputs, start, end, validators);
  if (problem) return problem;
  const reached = start + outputs.length;
  switch (result.outcome) {
    case 'COMPLETED': {
      const last = expand ? expand.index : stop - 1;
      if (next || result.stepIndex !== last || reached !== last)
        return `a completion at step ${result.stepIndex} after ${outputs.length} outputs does not end the segment from step ${start}`;
      return schemaProblem(validators, last, result.output);
    }
    case 'WAITING_EXTERNAL':
      if (!next || result.stepIndex !== end || reached !== end || result.suspension.stepId !== next.stepId)
        return `a suspension at step ${result.stepIndex} ('${result.suspension.stepId}') is not the segment's await`;
      return undefined;
    case 'FAILED':
      if (result.stepIndex !== reached || reached > Math.min(end, stop - 1))
        return `a failure at step ${result.stepIndex} after ${outputs.length} outputs is outside the segment`;
      return undefined;
  }
}

function outputsProblem(
  outputs: readonly StepOutput[],
  start: number,
  end: number,
  validators: ContractValidators,
): string | undefined {
  for (const [i, { stepIndex, output }] of outputs.entries()) {
    if (stepIndex !== start + i || stepIndex >= end)
      return `an output for step ${stepIndex} is outside the segment [${start}, ${end}) or out of order`;
    const problem = schemaProblem(validators, stepIndex, output);
    if (problem) return problem;
  }
  return undefined;
}

function schemaProblem(
  validators: ContractValidators,
  stepIndex: number,
  output: unknown,
): string | undefined {
  const validate = validators.outputs.get(stepIndex);
  if (!validate) return `step ${stepIndex} has no output schema in the contract`;
  if (validate(output)) return undefined;
  const issues = (validate.errors ?? [])
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`)
    .join('; ');
  return `the output of step ${stepIndex} does not match its schema: ${issues}`;
}
