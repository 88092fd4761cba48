/** The `tessera` program: the server and, later, the client commands. */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigurationError } from '../errors.js';
import { redactSecrets } from '../log.js';
import type { ServerOptions } from './server.js';
import { registerClientCommands } from './client/index.js';

function commaList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

const program = new Command();
program
  .name('tessera')
  .description('Tessera: a distributed, S3-compatible, erasure-coded object store')
  // Usage mistakes are one line, like every other failure; `--help` shows the rest.
  .configureOutput({ outputError: (message, write) => write(`tessera: ${message.replace(/^error: /, '').trim()} (see --help)\n`) });

program
  .command('server')
  .description('serve S3 from local drives (directories), every object erasure-coded across them')
  .argument('<drives...>', 'drive directories; {a...b} expands, e.g. /mnt/drive{1...4}')
  .option('--address <host:port>', 'where to listen', '127.0.0.1:9000')
  .option('--parity <M>', 'parity shards per erasure set (default: half the set); also EC:M')
  .option('--region <name>', 'the region this server answers for', 'us-east-1')
  .option('--domain <names>', 'comma-separated domains for virtual-host style requests (bucket.<domain>)', commaList, [])
  .option('--cors-allow-origin <origins>', 'comma-separated origins allowed to make cross-origin requests (* for any); off by default', commaList, [])
  .option('--allow-default-credentials', 'start with the published default credentials even on an address other machines can reach')
  .option('--certs-dir <dir>', 'serve https with DIR/public.crt and DIR/private.key; nodes trust the CAs in DIR/CAs/ (off by default)')
  .option('--max-connections <N>', 'client connections served at once; past them only health checks are answered (default 4096)')
  .option('--log-format <format>', 'json (one object per line) or pretty (human lines); default pretty on a terminal, else json (also TESSERA_LOG_FORMAT)')
  .option('--log-level <level>', 'least level logged: trace, debug, info, warn, error, fatal, silent (default info; also TESSERA_LOG_LEVEL)')
  .addHelpText(
    'after',
    `
Credentials come from TESSERA_ROOT_USER and TESSERA_ROOT_PASSWORD, or from the files named by
TESSERA_ROOT_USER_FILE and TESSERA_ROOT_PASSWORD_FILE. Unset, the published defaults
(tesseraadmin/tesseraadmin) are used on a loopback address only, with a warning at every start;
they are refused on other addresses (unless --allow-default-credentials) and whenever
TESSERA_REQUIRE_CREDENTIALS=1. The secret is never printed.

Examples:
  $ tessera server ./data/drive{1...4}
  $ tessera server --address 0.0.0.0:9000 --parity 2 /mnt/disk{1...8}
  $ tessera server --domain s3.example.com --cors-allow-origin https://app.example.com /mnt/disk{1...4}
  $ tessera server --certs-dir /etc/tessera/certs --address 10.0.0.1:9000 'https://10.0.0.{1...4}:9000/mnt/disk{1...4}'`,
  )
  .action(async (drives: string[], options: ServerOptions) => {
    // Loaded on demand: the client commands start faster without the server's modules.
    const { runServer } = await import('./server.js');
    await runServer(drives, options);
  });

registerClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigurationError || err instanceof InvalidArgumentError) {
    console.error(`tessera: ${err.message}`);
  } else {
    console.error(redactSecrets(`tessera: ${(err as Error)?.stack ?? String(err)}`));
  }
  process.exit(1);
});
