/**
 * The client side of `tessera`: mc-like commands against any S3 endpoint named by an alias.
 *
 * Layout: one module per command under commands/, each exporting a register function that adds
 * it to the program; shared concerns beside this file (config, targets, remote calls and their
 * error messages, listings, transfers, progress, output). A command group such as `admin` (info,
 * heal, users, groups, policies) is one more module that makes `program.command('admin')` and its
 * subcommands, using Remote for signed calls, run() for one-line errors and Output for --json,
 * and one more entry in COMMANDS.
 */
import type { Command } from 'commander';
import { registerAdmin } from './commands/admin.js';
import { registerAlias } from './commands/alias.js';
import { registerAnonymous } from './commands/anonymous.js';
import { registerCat } from './commands/cat.js';
import { registerCp } from './commands/cp.js';
import { registerDiff } from './commands/diff.js';
import { registerDu } from './commands/du.js';
import { registerFind } from './commands/find.js';
import { registerLs } from './commands/ls.js';
import { registerMb } from './commands/mb.js';
import { registerMirror } from './commands/mirror.js';
import { registerPing } from './commands/ping.js';
import { registerPipe } from './commands/pipe.js';
import { registerRb } from './commands/rb.js';
import { registerReady } from './commands/ready.js';
import { registerRm } from './commands/rm.js';
import { registerShare } from './commands/share.js';
import { registerStat } from './commands/stat.js';
import { registerTree } from './commands/tree.js';
import { registerVersion } from './commands/version.js';
import { registerTag } from './commands/tag.js';
import { registerLegalHold, registerRetention } from './commands/retention.js';
import { registerIlm } from './commands/ilm.js';
import { setInsecure } from './trust.js';

const COMMANDS: ((program: Command) => void)[] = [
  registerAlias,
  registerLs,
  registerMb,
  registerRb,
  registerCp, // cp and mv
  registerMirror,
  registerCat, // cat and head
  registerPipe,
  registerRm,
  registerStat,
  registerDu,
  registerFind,
  registerTree,
  registerDiff,
  registerShare,
  registerPing,
  registerReady,
  registerVersion, // version enable|suspend|info
  registerTag, // tag set|list|remove
  registerRetention, // retention set|clear|info
  registerLegalHold, // legalhold set|clear|info
  registerIlm, // ilm rule add|ls|rm
  registerAnonymous, // anonymous set|get|set-json|get-json|list
  registerAdmin, // admin heal, admin info
];

export function registerClientCommands(program: Command): void {
  program.option('--insecure', 'do not verify the TLS certificates of https endpoints (unsafe; says so on stderr)');
  program.hook('preAction', () => setInsecure(program.opts().insecure === true));
  for (const register of COMMANDS) register(program);
  program.addHelpText(
    'after',
    `
Targets are ALIAS/BUCKET/KEY (the first segment names an alias) or local paths.
Client commands take --json (one JSON object per line; cat stays raw); transfers show a progress bar on a terminal (--quiet hides it).

Examples:
  $ tessera alias set local http://127.0.0.1:9000 tesseraadmin          (asks for the secret key)
  $ tessera mb local/photos
  $ tessera cp -r ./pictures/ local/photos/
  $ tessera ls -r local/photos
  $ tessera mirror --remove ./site local/www
  $ tessera share download --expire 1d local/photos/cat.jpg

Run \`tessera COMMAND --help\` for a command's options and examples.`,
  );
}
