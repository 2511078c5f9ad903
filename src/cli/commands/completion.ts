import { Argument, type Command } from 'commander';
import { bashScript, fishScript, zshScript } from '../completion-scripts.ts';

/** `capstan completion bash|zsh|fish`: a completion script, generated from the command tree. */
export function completionCommand(program: Command): void {
  program
    .command('completion')
    .description(
      'Print a shell completion script: eval "$(capstan completion bash)" (or zsh); fish: capstan completion fish | source',
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action((shell: 'bash' | 'zsh' | 'fish') => {
      const script = { bash: bashScript, zsh: zshScript, fish: fishScript }[shell](program);
      process.stdout.write(script);
    });
}
