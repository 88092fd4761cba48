/** How a command prints: human text by default, one JSON object per line with --json, nothing with --quiet. */
import type { Command } from 'commander';

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;

  constructor(options: OutputOptions) {
    this.json = options.json === true;
    this.quiet = options.quiet === true;
  }

  /** A result: `human` as text, or `record` as a JSON line. */
  result(human: string | undefined, record: object): void {
    if (this.json) process.stdout.write(`${JSON.stringify(record)}\n`);
    else if (!this.quiet && human !== undefined) process.stdout.write(`${human}\n`);
  }

  /** Text for people only (headers, summaries); never in JSON mode. */
  text(human: string): void {
    if (!this.json && !this.quiet) process.stdout.write(`${human}\n`);
  }

  /** A JSON record only. */
  record(record: object): void {
    if (this.json) process.stdout.write(`${JSON.stringify(record)}\n`);
  }

  /** A warning on stderr (also in JSON mode, where stdout stays machine-readable). */
  warn(message: string): void {
    if (!this.quiet) process.stderr.write(`tessera: ${message}\n`);
  }
}

/** --json and --quiet, which every client command takes. */
export function withOutputOptions(cmd: Command, quiet = true): Command {
  cmd.option('--json', 'print one JSON object per line instead of text');
  if (quiet) cmd.option('-q, --quiet', 'print nothing but errors');
  return cmd;
}
