/** `tessera alias set|ls|rm`: the endpoints the client knows, by name. */
import type { Command } from 'commander';
import { run } from '../action.js';
import { ALIAS_NAME, configPath, loadConfig, saveConfig, type AliasConfig } from '../config.js';
import { CliError } from '../errors.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { readSecret } from '../secret-input.js';

function normalizeUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`invalid URL "${text}": expected e.g. http://127.0.0.1:9000 or https://s3.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`invalid URL "${text}": only http:// and https:// are supported`);
  if (url.pathname !== '/' || url.search || url.hash) throw new CliError(`invalid URL "${text}": give the endpoint only, without a path`);
  if (url.username || url.password) throw new CliError(`invalid URL "${text}": give the keys as arguments, not in the URL`);
  return url.origin;
}

function masked(secret: string): string {
  return secret.length <= 4 ? '****' : `${secret.slice(0, 2)}${'*'.repeat(Math.min(secret.length - 2, 12))}`;
}

export function registerAlias(program: Command): void {
  const alias = program
    .command('alias')
    .description('manage aliases: names for S3 endpoints and their keys')
    .addHelpText(
      'after',
      `
Aliases live in ~/.tessera/config.json (or $TESSERA_CONFIG_DIR/config.json), mode 0600.
https endpoints are verified against the system's CAs and those in certs/CAs/ beside it
(*.crt, *.pem); the global --insecure skips the check.

Examples:
  $ tessera alias set local http://127.0.0.1:9000 tesseraadmin
  $ tessera alias ls
  $ tessera alias rm local`,
    );

  withOutputOptions(
    alias
      .command('set')
      .description('add or replace an alias')
      .argument('<name>', 'the alias, used as the first segment of targets (NAME/BUCKET/KEY)')
      .argument('<url>', 'the S3 endpoint, e.g. http://127.0.0.1:9000')
      .argument('<access-key>', 'access key')
      .argument('[secret-key]', 'secret key; omit it to type it at a prompt, or pipe it on stdin (on the command line it shows in process listings and shell history)')
      .option('--region <region>', 'the region to sign requests for', 'us-east-1'),
  )
    .addHelpText(
      'after',
      `
Without SECRET-KEY the secret is read from a prompt that does not echo, or from the first line
of stdin when stdin is not a terminal.

Examples:
  $ tessera alias set local http://127.0.0.1:9000 tesseraadmin
  Enter secret key:
  $ printf '%s\n' "$SECRET" | tessera alias set aws https://s3.amazonaws.com AKIA... --region eu-west-1`,
    )
    .action(
      run(async (name: string, url: string, accessKey: string, givenSecret: string | undefined, options: OutputOptions & { region: string }) => {
        const out = new Output(options);
        if (!ALIAS_NAME.test(name)) throw new CliError(`invalid alias name "${name}": use letters, digits, '-', '_' and '.'`);
        const endpoint = normalizeUrl(url);
        if (!accessKey) throw new CliError('the access key must not be empty');
        if (givenSecret !== undefined) {
          out.warn('warning: a secret key on the command line shows in process listings and shell history; omit it to be prompted, or pipe it on stdin');
        }
        const secretKey = givenSecret ?? (await readSecret('Enter secret key: '));
        if (!secretKey) throw new CliError('the secret key must not be empty');
        const config = await loadConfig();
        const entry: AliasConfig = { url: endpoint, accessKey, secretKey };
        if (options.region && options.region !== 'us-east-1') entry.region = options.region;
        config.aliases[name] = entry;
        await saveConfig(config);
        out.result(`Added alias "${name}" for ${entry.url}.`, { status: 'success', alias: name, url: entry.url });
      }),
    );

  withOutputOptions(
    alias
      .command('ls')
      .alias('list')
      .description('list aliases (secret keys masked)')
      .argument('[name]', 'show only this alias'),
    false,
  )
    .addHelpText('after', '\nExamples:\n  $ tessera alias ls\n  $ tessera alias ls local --json')
    .action(
      run(async (name: string | undefined, options: OutputOptions) => {
        const out = new Output(options);
        const config = await loadConfig();
        const names = Object.keys(config.aliases).sort();
        if (name !== undefined && !names.includes(name)) throw new CliError(`unknown alias "${name}"`);
        const shown = name !== undefined ? [name] : names;
        if (shown.length === 0) out.text(`No aliases yet (${configPath()}); add one with \`tessera alias set NAME URL ACCESS_KEY\`.`);
        for (const n of shown) {
          const a = config.aliases[n];
          out.result(
            [`${n}`, `  URL       : ${a.url}`, `  AccessKey : ${a.accessKey}`, `  SecretKey : ${masked(a.secretKey)}`, `  Region    : ${a.region ?? 'us-east-1'}`].join('\n'),
            { alias: n, url: a.url, accessKey: a.accessKey, secretKey: masked(a.secretKey), region: a.region ?? 'us-east-1' },
          );
        }
      }),
    );

  withOutputOptions(alias.command('rm').alias('remove').description('remove an alias').argument('<name>', 'the alias'))
    .addHelpText('after', '\nExamples:\n  $ tessera alias rm local')
    .action(
      run(async (name: string, options: OutputOptions) => {
        const config = await loadConfig();
        if (!Object.hasOwn(config.aliases, name)) throw new CliError(`unknown alias "${name}"`);
        delete config.aliases[name];
        await saveConfig(config);
        new Output(options).result(`Removed alias "${name}".`, { status: 'success', alias: name });
      }),
    );
}
