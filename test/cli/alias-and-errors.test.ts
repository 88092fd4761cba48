/**
 * `tessera alias` and the client's failures: each one exits non-zero with one clear line on
 * stderr (unknown alias, wrong keys, missing bucket or object, unreachable endpoint, bad usage),
 * and every command's --help shows usage with examples.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';
import { Cli, hasTerminal } from './cli-harness.js';

let server: TestServer;
let cli: Cli;

beforeAll(async () => {
  server = await TestServer.start();
  cli = await Cli.create(server);
  await cli.ok(['mb', 'local/errors']);
  await cli.ok(['pipe', 'local/errors/present.txt'], { input: 'here\n' });
});

afterAll(async () => {
  await cli?.destroy();
  await server?.destroy();
});

describe('alias', () => {
  it('keeps aliases in TESSERA_CONFIG_DIR/config.json, mode 0600', async () => {
    const path = join(cli.configDir, 'config.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const config = JSON.parse(await readFile(path, 'utf8'));
    expect(config.aliases.local).toEqual({ url: server.endpoint, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
  });

  it('sets, lists (secret masked) and removes', async () => {
    const set = await cli.setAlias('extra', 'http://127.0.0.1:9000/', 'AK', 'a-long-secret');
    expect(set.stdout).toBe('Added alias "extra" for http://127.0.0.1:9000.\n');
    const ls = await cli.ok(['alias', 'ls', 'extra']);
    expect(ls.stdout).toContain('URL       : http://127.0.0.1:9000');
    expect(ls.stdout).toContain('AccessKey : AK');
    expect(ls.stdout).not.toContain('a-long-secret');
    const all = await cli.json(['alias', 'ls']);
    expect(all.map((a) => a.alias)).toEqual(['bad', 'down', 'extra', 'local']);
    expect(all.find((a) => a.alias === 'extra')).toMatchObject({ url: 'http://127.0.0.1:9000', accessKey: 'AK', region: 'us-east-1' });
    expect(String(all.find((a) => a.alias === 'extra')!.secretKey)).not.toContain('long-secret');
    expect(await cli.json(['alias', 'rm', 'extra'])).toEqual([{ status: 'success', alias: 'extra' }]);
    expect((await cli.json(['alias', 'ls'])).map((a) => a.alias)).toEqual(['bad', 'down', 'local']);
  });

  it('rejects bad names, URLs and unknown aliases', async () => {
    expect((await cli.fails(['alias', 'set', 'a/b', 'http://x:1', 'k', 's'])).line).toMatch(/^tessera: invalid alias name "a\/b"/);
    expect((await cli.fails(['alias', 'set', 'x', 'ftp://host', 'k', 's'])).line).toMatch(/^tessera: invalid URL "ftp:\/\/host"/);
    expect((await cli.fails(['alias', 'set', 'x', 'http://host:9000/some/path', 'k', 's'])).line).toContain('without a path');
    expect((await cli.fails(['alias', 'rm', 'nope'])).line).toBe('tessera: unknown alias "nope"');
    expect((await cli.fails(['alias', 'ls', 'nope'])).line).toBe('tessera: unknown alias "nope"');
  });

  it('reports a config file that is not JSON', async () => {
    const other = await Cli.create();
    try {
      await other.setAlias('x', 'http://127.0.0.1:1', 'k', 's');
      await writeFile(join(other.configDir, 'config.json'), '{ not json');
      const { line } = await other.fails(['ls', 'x/bucket']);
      expect(line).toMatch(/^tessera: .*config\.json is not valid JSON/);
    } finally {
      await other.destroy();
    }
  });
});

describe('alias set: the secret key stays out of argv', () => {
  let fresh: Cli;
  const url = 'http://127.0.0.1:9000';
  const secretOf = async (name: string): Promise<string> =>
    JSON.parse(await readFile(join(fresh.configDir, 'config.json'), 'utf8')).aliases[name].secretKey;

  beforeAll(async () => {
    fresh = await Cli.create();
  });
  afterAll(async () => {
    await fresh?.destroy();
  });

  it('reads it from the first line of stdin when it is omitted', async () => {
    const set = await fresh.ok(['alias', 'set', 'piped', url, 'AK'], { input: 'piped-secret\r\nsecond line\n' });
    expect(set.stdout).toBe(`Added alias "piped" for ${url}.\n`);
    expect(await secretOf('piped')).toBe('piped-secret');
    expect((await fresh.fails(['alias', 'set', 'empty', url, 'AK'], { input: '' })).line).toBe('tessera: no secret key on stdin (give it as its first line)');
    expect((await fresh.fails(['alias', 'set', 'empty', url, 'AK'], { input: '\n' })).line).toBe('tessera: no secret key on stdin (give it as its first line)');
  });

  it('still takes it in argv, with a warning on stderr', async () => {
    const set = await fresh.run(['alias', 'set', 'inline', url, 'AK', 'inline-secret']);
    expect(set.code).toBe(0);
    expect(set.stdout).toBe(`Added alias "inline" for ${url}.\n`);
    expect(set.stderr).toBe(
      'tessera: warning: a secret key on the command line shows in process listings and shell history; omit it to be prompted, or pipe it on stdin\n',
    );
    expect(await secretOf('inline')).toBe('inline-secret');
    expect((await fresh.run(['alias', 'set', 'inline', url, 'AK', 'inline-secret', '--quiet'])).stderr).toBe('');
  });

  it('prompts for it on a terminal without echoing it; Ctrl-C at the prompt interrupts', async () => {
    if (!hasTerminal) {
      console.warn('SKIPPED ASSERTION: script(1) from util-linux is not installed, so the prompt cannot be checked in a pseudo-terminal');
      return;
    }
    // Typed as keys: a backspace corrects the last character, Enter ends the line.
    const typed = await fresh.terminal(['alias', 'set', 'typed', url, 'AK'], { answer: { prompt: 'Enter secret key: ', keys: 'typed-secreX\u007ft\r' } });
    expect(typed.code).toBe(0);
    expect(typed.stdout).toContain('Enter secret key: ');
    expect(typed.stdout).toContain(`Added alias "typed" for ${url}.`);
    expect(typed.stdout).not.toContain('typed-secre');
    expect(await secretOf('typed')).toBe('typed-secret');

    // Raw mode turns Ctrl-C into a character; it must still interrupt, saving nothing.
    const interrupted = await fresh.terminal(['alias', 'set', 'stopped', url, 'AK'], { answer: { prompt: 'Enter secret key: ', keys: 'half\u0003' } });
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toContain('tessera: interrupted');
    expect(interrupted.stdout).not.toContain('half');
    expect((await fresh.json(['alias', 'ls'])).map((a) => a.alias)).not.toContain('stopped');
  });
});

/** Runs each command (a few at once); each must exit 1 with exactly `expected` as its one stderr line. */
async function allFail(commands: string[][], expected: string | RegExp): Promise<void> {
  const results = await Promise.all(commands.map(async (args) => ({ args, ...(await cli.fails(args)) })));
  for (const { args, code, line } of results) {
    expect({ args, code }).toEqual({ args, code: 1 });
    if (typeof expected === 'string') expect({ args, line }).toEqual({ args, line: expected });
    else expect(line, args.join(' ')).toMatch(expected);
  }
}

describe('errors: one line, non-zero exit', () => {
  it('unknown alias', async () => {
    await allFail(
      [['ls', 'nope/bucket'], ['cat', 'nope/bucket/key'], ['stat', 'nope/b/k'], ['cp', 'nope/b/k', './x'], ['mb', 'nope/bucket']],
      /^tessera: unknown alias "nope" \(/,
    );
    await allFail([['rb', 'nope/bucket'], ['ping', 'nope'], ['ready', 'nope'], ['share', 'download', 'nope/b/k']], 'tessera: unknown alias "nope"');
    // A destination under a folder that exists nowhere is taken for a mistyped alias too.
    expect((await cli.fails(['cp', 'local/errors/present.txt', 'nope/bucket/'])).line).toMatch(/^tessera: unknown alias "nope"/);
  });

  it('wrong credentials', async () => {
    await allFail(
      [['ls', 'bad'], ['ls', 'bad/errors'], ['cat', 'bad/errors/present.txt'], ['stat', 'bad/errors/present.txt'], ['mb', 'bad/newbucket'], ['ping', 'bad']],
      'tessera: access denied (check the alias\'s keys)',
    );
  });

  it('missing bucket', async () => {
    await allFail(
      [
        ['ls', 'local/missing'], ['ls', 'local/missing/prefix/'], ['cat', 'local/missing/k'], ['stat', 'local/missing/k'], ['rb', 'local/missing'],
        ['cp', 'local/missing/k', './x'], ['rm', 'local/missing/k'], ['du', 'local/missing'], ['pipe', 'local/missing/k'],
        ['cp', join(cli.configDir, 'config.json'), 'local/missing/'],
      ],
      'tessera: bucket "missing" does not exist',
    );
  });

  it('missing object', async () => {
    await allFail(
      [['cat', 'local/errors/nothing'], ['stat', 'local/errors/nothing'], ['rm', 'local/errors/nothing'], ['cp', 'local/errors/nothing', './x'], ['share', 'download', 'local/errors/nothing']],
      'tessera: object "local/errors/nothing" does not exist',
    );
    expect((await cli.fails(['ls', 'local/errors/nothing'])).line).toBe('tessera: object or folder "local/errors/nothing" does not exist');
  });

  it('unreachable endpoint', async () => {
    await allFail(
      [['ls', 'down'], ['ls', 'down/bucket'], ['cat', 'down/b/k'], ['mb', 'down/bucket'], ['ping', 'down'], ['ready', 'down'], ['mirror', cli.configDir, 'down/bucket']],
      'tessera: cannot reach down (http://127.0.0.1:9): connection refused',
    );
  });

  it('bad usage', async () => {
    expect((await cli.fails(['rm', '-r', 'local/errors/'])).line).toBe('tessera: a recursive removal needs --force as well (rm -r --force TARGET)');
    expect((await cli.fails(['cp', 'local/errors/present.txt'])).line).toMatch(/^tessera: cp needs a source and a destination/);
    expect((await cli.fails(['find', 'local/errors', '--larger', '12 parsecs'])).line).toMatch(/invalid size "12 parsecs"/);
    expect((await cli.fails(['share', 'download', '--expire', '8d', 'local/errors/present.txt'])).line).toMatch(/^tessera: --expire must be at most 7d/);
    expect((await cli.fails(['cp', '--part-size', '1MiB', 'a', 'b'])).line).toMatch(/--part-size must be at least 5MiB/);
    expect((await cli.fails(['ls', '--no-such-flag'])).code).not.toBe(0);
    expect((await cli.fails(['cp', 'local/errors/', './x'])).line).toBe('tessera: "local/errors/" is a folder; use -r to copy it');
    expect((await cli.fails(['mb', 'local/errors'])).line).toBe('tessera: bucket "errors" already exists');
    expect((await cli.fails(['mb', 'local/Bad_Name'])).line).toMatch(/^tessera: invalid bucket name "Bad_Name"/);
    expect((await cli.fails(['rb', 'local/errors'])).line).toMatch(/^tessera: bucket "errors" is not empty \(use --force/);
  });

  it('refuses what would destroy or escape: --remove from an empty source, ".." in object names', async () => {
    const dir = join(cli.dir, 'keep');
    await mkdir(dir);
    await writeFile(join(dir, 'precious.txt'), 'keep me');
    expect((await cli.fails(['mirror', '--remove', 'local/errors/typo/', dir])).line).toBe(
      `tessera: refusing to remove everything at ${dir}: the source local/errors/typo/ is empty or does not exist`,
    );
    expect(await readFile(join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
    expect((await cli.fails(['cp', '-r', 'local/errors/typo/', dir])).line).toBe('tessera: folder "local/errors/typo/" does not exist');

    await cli.ok(['pipe', 'local/errors/evil/../../escaped.txt'], { input: 'x' });
    expect((await cli.fails(['cp', '-r', 'local/errors/evil/', `${dir}/`])).line).toBe(
      `tessera: refusing to write "../../escaped.txt" outside ${dir}/ (the object name has a ".." segment)`,
    );
    const mirror = await cli.run(['mirror', 'local/errors/evil/', dir]);
    expect(mirror.code).toBe(0);
    expect(mirror.stderr).toMatch(/^tessera: skipping local\/errors\/evil\/\.\.\/\.\.\/escaped\.txt: its name has a "\.\." segment/);
    await expect(stat(join(cli.dir, 'escaped.txt'))).rejects.toThrow();
    await expect(stat(join(dir, '..', '..', 'escaped.txt'))).rejects.toThrow();
    await cli.ok(['rm', 'local/errors/evil/../../escaped.txt']);
  });

  it('never prints a stack trace', async () => {
    const { stderr } = await cli.run(['cat', 'local/missing/k'], { env: {} });
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('help', () => {
  const commands = [
    ['alias'], ['alias', 'set'], ['alias', 'ls'], ['alias', 'rm'], ['ls'], ['mb'], ['rb'], ['cp'], ['mv'], ['mirror'], ['cat'], ['head'],
    ['pipe'], ['rm'], ['stat'], ['du'], ['find'], ['tree'], ['diff'], ['share'], ['share', 'download'], ['share', 'upload'], ['ping'], ['ready'],
  ];

  it('tessera --help lists the client commands with examples', async () => {
    const { stdout } = await cli.ok(['--help']);
    for (const name of ['alias', 'ls', 'mb', 'rb', 'cp', 'mv', 'mirror', 'cat', 'head', 'pipe', 'rm', 'stat', 'du', 'find', 'tree', 'diff', 'share', 'ping', 'ready']) {
      expect(stdout).toMatch(new RegExp(`\\n  ${name}[ |]`));
    }
    expect(stdout).toContain('Examples:');
  });

  it('every command\'s --help shows usage and examples', async () => {
    const results = await Promise.all(commands.map(async (args) => ({ args, ...(await cli.ok([...args, '--help'])) })));
    for (const { args, stdout } of results) {
      expect(stdout, args.join(' ')).toMatch(/^Usage: tessera /);
      expect(stdout, args.join(' ')).toContain('Examples:');
      expect(stdout, args.join(' ')).toMatch(new RegExp(`\\$ .*tessera ${args.join(' ')}`));
    }
  });
});
