import type { Command } from 'commander';

/** One command of the tree: its words (`release register`), subcommands and long options. */
interface Node {
  readonly path: string;
  readonly subcommands: readonly { name: string; description: string }[];
  readonly options: readonly { flag: string; description: string }[];
}

/** Every command of the tree, read from commander itself: nothing here lists commands by hand. */
export function commandNodes(program: Command): Node[] {
  const nodes: Node[] = [];
  const walk = (command: Command, path: string[]): void => {
    const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    nodes.push({
      path: path.join(' '),
      subcommands: visible.flatMap((c) =>
        [c.name(), ...c.aliases()].map((name) => ({ name, description: c.description() })),
      ),
      options: [
        ...command.options
          .filter((o) => o.long !== undefined && !o.hidden)
          .map((o) => ({ flag: o.long ?? '', description: o.description })),
        { flag: '--help', description: 'display help' },
      ],
    });
    for (const child of visible)
      for (const name of [child.name(), ...child.aliases()]) walk(child, [...path, name]);
  };
  walk(program, []);
  return nodes;
}

const words = (node: Node) => [...node.subcommands.map((s) => s.name), ...node.options.map((o) => o.flag)];
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** Bash (and zsh through bashcompinit): the command path so far picks the words to offer. */
export function bashScript(program: Command): string {
  const nodes = commandNodes(program);
  const paths = nodes.map((n) => n.path).join('|');
  const cases = nodes
    .map((n) => `    ${quote(n.path)}) candidates=${quote(words(n).join(' '))} ;;`)
    .join('\n');
  return `# capstan completion for bash: eval "$(capstan completion bash)" (generated from the command tree)
_capstan_complete() {
  local cur path word candidates i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    if [[ "|${paths}|" == *"|\${path:+$path }$word|"* ]]; then path="\${path:+$path }$word"; fi
  done
  case "$path" in
${cases}
    *) candidates="" ;;
  esac
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}
complete -o default -F _capstan_complete capstan
`;
}

/** Zsh: the bash function through zsh's bashcompinit. */
export function zshScript(program: Command): string {
  return `# capstan completion for zsh: eval "$(capstan completion zsh)" (generated from the command tree)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(program).split('\n').slice(1).join('\n')}`;
}

/** Fish: one `complete` line per subcommand and per option, under the path that leads to it. */
export function fishScript(program: Command): string {
  const lines = [
    '# capstan completion for fish: capstan completion fish | source (generated from the command tree)',
  ];
  for (const node of commandNodes(program)) {
    const parts = node.path === '' ? [] : node.path.split(' ');
    const condition =
      parts.length === 0
        ? '__fish_use_subcommand'
        : parts.map((p) => `__fish_seen_subcommand_from ${p}`).join('; and ');
    const leaf = node.subcommands.length === 0;
    for (const sub of node.subcommands)
      lines.push(`complete -c capstan -n ${quote(condition)} -a ${sub.name} -d ${quote(sub.description)}`);
    if (parts.length === 0 || leaf)
      for (const option of node.options)
        lines.push(
          `complete -c capstan -n ${quote(condition)} -l ${option.flag.replace(/^--/, '')} -d ${quote(option.description)}`,
        );
  }
  return `${lines.join('\n')}\n`;
}
