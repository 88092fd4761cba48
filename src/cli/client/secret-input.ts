/**
 * Reads a secret without it passing through argv (where process listings and shell history keep
 * it): typed at a prompt that does not echo when stdin is a terminal, else the first line of stdin.
 */
import { CliError } from './errors.js';

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = new Set(['\u007f', '\b']);

function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Echo goes off before the prompt shows: whatever is typed after seeing it is never on the screen.
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let typed: string[] = [];
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ENTER.has(ch) || ch === CTRL_D) {
          done();
          resolve(typed.join(''));
          return;
        }
        if (ch === CTRL_C) {
          // Raw mode turned Ctrl-C into a character: act as the signal would (the command's handler, else exit 130).
          done();
          if (!process.emit('SIGINT', 'SIGINT')) process.exit(130);
          return;
        }
        if (BACKSPACE.has(ch)) typed = typed.slice(0, -1);
        else if (ch >= ' ') typed.push(ch);
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function firstLine(stream: NodeJS.ReadStream): Promise<string> {
  stream.setEncoding('utf8');
  let text = '';
  for await (const chunk of stream) {
    text += chunk as string;
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0].replace(/\r$/, '');
}

/** The secret, from a hidden prompt on a terminal or the first line of piped stdin; never empty. */
export async function readSecret(prompt: string): Promise<string> {
  const secret = process.stdin.isTTY ? await promptHidden(prompt) : await firstLine(process.stdin);
  if (secret === '') throw new CliError(process.stdin.isTTY ? 'no secret key entered' : 'no secret key on stdin (give it as its first line)');
  return secret;
}
