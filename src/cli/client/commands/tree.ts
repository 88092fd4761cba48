/** `tessera tree`: the folders (and with -f, the files) under a target, drawn as a tree. */
import type { Command } from 'commander';
import { run } from '../action.js';
import { humanSize, parsePositiveInt } from '../format.js';
import { walkTarget } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { parseTarget } from '../target.js';

interface Node {
  children: Map<string, Node>;
  /** Set for files. */
  size?: number;
}

function insert(root: Node, rel: string, size: number, files: boolean, depth: number | undefined): void {
  const parts = rel.split('/');
  const folders = parts.slice(0, -1);
  let node = root;
  for (const [i, part] of folders.entries()) {
    if (depth !== undefined && i >= depth) return;
    const key = `${part}/`;
    if (!node.children.has(key)) node.children.set(key, { children: new Map() });
    node = node.children.get(key)!;
  }
  if (files && (depth === undefined || folders.length < depth)) node.children.set(parts[parts.length - 1], { children: new Map(), size });
}

export function registerTree(program: Command): void {
  withOutputOptions(
    program
      .command('tree')
      .description('show the folders under a target as a tree')
      .argument('<targets...>', 'ALIAS/BUCKET[/PREFIX] or local folders')
      .option('-f, --files', 'include files and objects, not just folders')
      .option('-d, --depth <n>', 'at most N levels', parsePositiveInt),
    false,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera tree local/photos
  $ tessera tree -f -d 2 local/photos
  $ tessera tree --json local/photos      # {"path","type","depth"} per node`,
    )
    .action(
      run(async (targets: string[], options: OutputOptions & { files?: boolean; depth?: number }) => {
        const out = new Output(options);
        for (const arg of targets) {
          const { base, entries } = await walkTarget(await parseTarget(arg, 'source'));
          const root: Node = { children: new Map() };
          for await (const e of entries) insert(root, e.rel, e.size, options.files === true, options.depth);
          out.text(base);
          const draw = (node: Node, indent: string, path: string, depth: number): void => {
            const names = [...node.children.keys()].sort();
            names.forEach((name, i) => {
              const child = node.children.get(name)!;
              const last = i === names.length - 1;
              const isFile = child.size !== undefined;
              out.result(`${indent}${last ? '└─ ' : '├─ '}${name}${isFile ? ` (${humanSize(child.size!)})` : ''}`, {
                path: base + path + name,
                type: isFile ? 'file' : 'folder',
                depth,
                ...(isFile ? { size: child.size } : {}),
              });
              draw(child, indent + (last ? '   ' : '│  '), path + name, depth + 1);
            });
          };
          draw(root, '', '', 1);
        }
      }),
    );
}
