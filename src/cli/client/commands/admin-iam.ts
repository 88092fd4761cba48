/**
 * `tessera admin user|group|policy ...` (mc's names and shapes): the deployment's users, their
 * service accounts, groups and policies, through the admin API's IAM routes (src/admin/iam-api.ts)
 * signed with the alias's keys. Every command takes --json (one JSON object per line); a refusal
 * is one line with the server's code and message, e.g. `NoSuchUser: no user "bob"` or
 * `AccessDenied: this needs the admin:CreateUser permission`.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AdminClient, PolicyTarget, ServiceAccountOptions, UserStatus } from '../../../admin/client.js';
import type { GroupSummary, PolicySummary, ServiceAccountSummary, UserSummary } from '../../../iam/summaries.js';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { adminOf, explain, withAdmin } from '../admin-access.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { readSecret } from '../secret-input.js';

const SECRET_IN_ARGV = 'warning: a secret key on the command line shows in process listings and shell history; omit it to be prompted, or pipe it on stdin';

async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`no ${what} file "${path}"`);
    if (code === 'EISDIR') throw new CliError(`"${path}" is a directory, not a ${what} file`);
    throw err;
  }
}

/** Rows as columns padded to their widest cell (the last column is not padded). */
function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** `Label : value` lines with the colons aligned; empty values shown as "-". */
function fields(pairs: [string, string | undefined][]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)} : ${value === undefined || value === '' ? '-' : value}`).join('\n');
}

const list = (items: string[]): string => items.join(', ');

function statusWord(enable: boolean): UserStatus {
  return enable ? 'enabled' : 'disabled';
}

// Users

interface StatusCommands {
  /** What is enabled or disabled, as the output names it. */
  noun: string;
  /** The parent command's words, for the examples ('admin user'). */
  command: string;
  argument: [string, string];
  /** The enable and the disable command's descriptions. */
  descriptions: [string, string];
  example: string;
  set(client: AdminClient, name: string, status: UserStatus): Promise<void>;
  json(name: string, status: UserStatus): Record<string, unknown>;
}

/** `enable` and `disable` under `parent` (users, service accounts and groups have both). */
function registerStatusCommands(parent: Command, spec: StatusCommands): void {
  for (const enable of [true, false]) {
    const verb = enable ? 'enable' : 'disable';
    withOutputOptions(parent.command(verb).description(spec.descriptions[enable ? 0 : 1]).argument('<alias>', 'the alias').argument(...spec.argument))
      .addHelpText('after', `\nExamples:\n  $ tessera ${spec.command} ${verb} local ${spec.example}`)
      .action(
        run(async (alias: string, name: string, options: OutputOptions) => {
          const status = statusWord(enable);
          await withAdmin(alias, (c) => spec.set(c, name, status));
          new Output(options).result(`${enable ? 'Enabled' : 'Disabled'} ${spec.noun} "${name}".`, { status: 'success', ...spec.json(name, status) });
        }),
      );
  }
}

function userInfoText(user: UserSummary): string {
  return fields([
    ['AccessKey', user.accessKey],
    ...(user.email !== undefined ? ([['Email', user.email]] as [string, string][]) : []),
    ['Status', user.status],
    ['Policies', list(user.policies)],
    ['Groups', list(user.groups)],
    ['Created', user.created],
    ['Updated', user.updated],
  ]);
}

function registerUser(admin: Command): void {
  const user = admin.command('user').description('manage users (and, with svcacct, their service accounts)');

  withOutputOptions(
    user
      .command('add')
      .description('add a user, or give an existing one a new secret key')
      .argument('<alias>', 'the alias')
      .argument('<access-key>', "the user's access key (its name)")
      .argument('[secret-key]', 'its secret key; omit it to type it at a prompt or pipe it on stdin (on the command line it shows in process listings)')
      .option('--email <address>', "the user's e-mail address (ACL grants can name users by it)"),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera admin user add local alice                  (asks for the secret key)
  $ printf '%s\\n' "$SECRET" | tessera admin user add local alice`,
    )
    .action(
      run(async (alias: string, accessKey: string, givenSecret: string | undefined, options: OutputOptions & { email?: string }) => {
        const out = new Output(options);
        const { remote, client } = await adminOf(alias);
        if (givenSecret !== undefined) out.warn(SECRET_IN_ARGV);
        const secretKey = givenSecret ?? (await readSecret(`Enter secret key for ${accessKey}: `));
        try {
          await client.addUser(accessKey, secretKey, options.email);
        } catch (err) {
          throw explain(err, remote);
        }
        out.result(`Added user "${accessKey}".`, { status: 'success', accessKey });
      }),
    );

  withOutputOptions(user.command('ls').alias('list').description('list the users').argument('<alias>', 'the alias'), false)
    .addHelpText('after', '\nEach line: status, access key, policies, groups.\n\nExamples:\n  $ tessera admin user ls local')
    .action(
      run(async (alias: string, options: OutputOptions) => {
        const out = new Output(options);
        const users = await withAdmin(alias, (c) => c.listUsers());
        if (users.length === 0) out.text('No users.');
        const rows = users.map((u) => [u.status, u.accessKey, list(u.policies), u.groups.length > 0 ? `groups: ${list(u.groups)}` : '']);
        const lines = table(rows).split('\n');
        users.forEach((u, i) => out.result(lines[i], u));
      }),
    );

  withOutputOptions(user.command('info').description("show a user's status, policies and groups").argument('<alias>', 'the alias').argument('<access-key>', 'the user'), false)
    .addHelpText('after', '\nExamples:\n  $ tessera admin user info local alice')
    .action(
      run(async (alias: string, accessKey: string, options: OutputOptions) => {
        const info = await withAdmin(alias, (c) => c.userInfo(accessKey));
        new Output(options).result(userInfoText(info), info);
      }),
    );

  registerStatusCommands(user, {
    noun: 'user',
    command: 'admin user',
    argument: ['<access-key>', 'the user'],
    descriptions: ['let a disabled user (and its service accounts) sign requests again', 'refuse the requests of a user and its service accounts'],
    example: 'alice',
    set: (c, accessKey, status) => c.setUserStatus(accessKey, status),
    json: (accessKey, status) => ({ accessKey, userStatus: status }),
  });

  withOutputOptions(
    user
      .command('rm')
      .alias('remove')
      .description('remove a user with its service accounts and group memberships')
      .argument('<alias>', 'the alias')
      .argument('<access-key>', 'the user'),
  )
    .addHelpText('after', '\nExamples:\n  $ tessera admin user rm local alice')
    .action(
      run(async (alias: string, accessKey: string, options: OutputOptions) => {
        await withAdmin(alias, (c) => c.removeUser(accessKey));
        new Output(options).result(`Removed user "${accessKey}".`, { status: 'success', accessKey });
      }),
    );

  registerServiceAccounts(user);
}

// Service accounts

interface SvcacctAddOptions extends OutputOptions {
  accessKey?: string;
  secretKey?: string;
  policy?: string;
  name?: string;
  description?: string;
  expiry?: string;
}

function expiryOf(text: string): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CliError(`"${text}" is not a date: write it as ISO 8601, e.g. 2030-01-31 or 2030-01-31T12:00:00Z`);
  if (ms <= Date.now()) throw new CliError(`the expiry ${new Date(ms).toISOString()} is not in the future`);
  return new Date(ms).toISOString();
}

function prettyPolicy(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function serviceAccountText(account: ServiceAccountSummary): string {
  const summary = fields([
    ['AccessKey', account.accessKey],
    ['ParentUser', account.parent],
    ['Status', account.status],
    ['Name', account.name],
    ['Description', account.description],
    ['Expiration', account.expiresAt ?? 'no expiry'],
    ['Created', account.created],
    ['Policy', account.policy === undefined ? "implied (the parent user's)" : 'embedded'],
  ]);
  return account.policy === undefined ? summary : `${summary}\n${prettyPolicy(account.policy)}`;
}

function registerServiceAccounts(user: Command): void {
  const svcacct = user.command('svcacct').description("manage a user's service accounts: extra keys with the user's rights, or fewer");

  withOutputOptions(
    svcacct
      .command('add')
      .description('add a service account to a user; prints its keys')
      .argument('<alias>', 'the alias')
      .argument('<user>', 'the parent user')
      .option('--access-key <key>', 'the access key (default: generated)')
      .option('--secret-key <secret>', 'the secret key (default: generated; on the command line it shows in process listings)')
      .option('--policy <file>', "a policy file narrowing the account's rights (it can do only what both this and the user's policies allow)")
      .option('--name <name>', 'a name for the account')
      .option('--description <text>', 'a description')
      .option('--expiry <date>', 'when the account stops working (ISO 8601, e.g. 2030-01-31T12:00:00Z)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera admin user svcacct add local alice
  $ tessera admin user svcacct add local alice --policy ./read-photos.json --name backup --expiry 2030-01-01`,
    )
    .action(
      run(async (alias: string, parent: string, options: SvcacctAddOptions) => {
        const out = new Output(options);
        const { remote, client } = await adminOf(alias);
        if (options.secretKey !== undefined) out.warn(SECRET_IN_ARGV);
        const request: ServiceAccountOptions = {
          accessKey: options.accessKey,
          secretKey: options.secretKey,
          name: options.name,
          description: options.description,
        };
        if (options.policy !== undefined) request.policy = await readTextFile(options.policy, 'policy');
        if (options.expiry !== undefined) request.expiresAt = expiryOf(options.expiry);
        let keys: { accessKey: string; secretKey: string };
        try {
          keys = await client.addServiceAccount(parent, request);
        } catch (err) {
          throw explain(err, remote);
        }
        const lines = [
          ['Access Key', keys.accessKey],
          ['Secret Key', keys.secretKey],
          ...(request.expiresAt !== undefined ? [['Expiration', String(request.expiresAt)]] : []),
        ] as [string, string][];
        out.result(fields(lines), { status: 'success', parent, accessKey: keys.accessKey, secretKey: keys.secretKey, ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}) });
      }),
    );

  withOutputOptions(svcacct.command('ls').alias('list').description("list a user's service accounts").argument('<alias>', 'the alias').argument('<user>', 'the parent user'), false)
    .addHelpText('after', '\nEach line: status, access key, expiry, name.\n\nExamples:\n  $ tessera admin user svcacct ls local alice')
    .action(
      run(async (alias: string, parent: string, options: OutputOptions) => {
        const out = new Output(options);
        const accounts = await withAdmin(alias, (c) => c.listServiceAccounts(parent));
        if (accounts.length === 0) out.text(`User "${parent}" has no service accounts.`);
        const lines = table(accounts.map((a) => [a.status, a.accessKey, a.expiresAt ?? 'no-expiry', a.name ?? ''])).split('\n');
        accounts.forEach((a, i) => out.result(lines[i], a));
      }),
    );

  withOutputOptions(svcacct.command('info').description('show a service account (with its own policy, if it has one)').argument('<alias>', 'the alias').argument('<access-key>', 'the service account'), false)
    .addHelpText('after', '\nExamples:\n  $ tessera admin user svcacct info local 8J2QXW1R0C7Y4NSE5T3K')
    .action(
      run(async (alias: string, accessKey: string, options: OutputOptions) => {
        const account = await withAdmin(alias, (c) => c.serviceAccountInfo(accessKey));
        new Output(options).result(serviceAccountText(account), account);
      }),
    );

  registerStatusCommands(svcacct, {
    noun: 'service account',
    command: 'admin user svcacct',
    argument: ['<access-key>', 'the service account'],
    descriptions: ['enable a service account', 'disable a service account'],
    example: '8J2QXW1R0C7Y4NSE5T3K',
    set: (c, accessKey, status) => c.setServiceAccountStatus(accessKey, status),
    json: (accessKey, status) => ({ accessKey, accountStatus: status }),
  });

  withOutputOptions(svcacct.command('rm').alias('remove').description('remove a service account').argument('<alias>', 'the alias').argument('<access-key>', 'the service account'))
    .addHelpText('after', '\nExamples:\n  $ tessera admin user svcacct rm local 8J2QXW1R0C7Y4NSE5T3K')
    .action(
      run(async (alias: string, accessKey: string, options: OutputOptions) => {
        await withAdmin(alias, (c) => c.removeServiceAccount(accessKey));
        new Output(options).result(`Removed service account "${accessKey}".`, { status: 'success', accessKey });
      }),
    );
}

// Groups

function groupInfoText(group: GroupSummary): string {
  return fields([
    ['Group', group.name],
    ['Status', group.status],
    ['Policies', list(group.policies)],
    ['Members', list(group.members)],
    ['Created', group.created],
  ]);
}

function registerGroup(admin: Command): void {
  const group = admin.command('group').description('manage groups: users that share policies');

  withOutputOptions(
    group
      .command('add')
      .description('add users to a group (making the group if it does not exist)')
      .argument('<alias>', 'the alias')
      .argument('<group>', 'the group')
      .argument('<members...>', 'the users to add'),
  )
    .addHelpText('after', '\nExamples:\n  $ tessera admin group add local devs alice bob')
    .action(
      run(async (alias: string, name: string, members: string[], options: OutputOptions) => {
        await withAdmin(alias, (c) => c.updateGroupMembers(name, { add: members }));
        new Output(options).result(`Added ${list(members)} to group "${name}".`, { status: 'success', groupName: name, members });
      }),
    );

  withOutputOptions(
    group
      .command('rm')
      .alias('remove')
      .description('remove members from a group, or (naming none) the group itself, which must have no members')
      .argument('<alias>', 'the alias')
      .argument('<group>', 'the group')
      .argument('[members...]', 'the users to remove from it'),
  )
    .addHelpText('after', '\nExamples:\n  $ tessera admin group rm local devs bob       (bob leaves devs)\n  $ tessera admin group rm local devs           (removes the empty group)')
    .action(
      run(async (alias: string, name: string, members: string[], options: OutputOptions) => {
        const out = new Output(options);
        if (members.length > 0) {
          await withAdmin(alias, (c) => c.updateGroupMembers(name, { remove: members }));
          out.result(`Removed ${list(members)} from group "${name}".`, { status: 'success', groupName: name, members });
        } else {
          await withAdmin(alias, (c) => c.removeGroup(name));
          out.result(`Removed group "${name}".`, { status: 'success', groupName: name });
        }
      }),
    );

  withOutputOptions(group.command('ls').alias('list').description('list the groups').argument('<alias>', 'the alias'), false)
    .addHelpText('after', '\nEach line: status, group, member count, policies.\n\nExamples:\n  $ tessera admin group ls local')
    .action(
      run(async (alias: string, options: OutputOptions) => {
        const out = new Output(options);
        const groups = await withAdmin(alias, (c) => c.listGroups());
        if (groups.length === 0) out.text('No groups.');
        const lines = table(groups.map((g) => [g.status, g.name, `${g.members.length} member(s)`, list(g.policies)])).split('\n');
        groups.forEach((g, i) => out.result(lines[i], g));
      }),
    );

  withOutputOptions(group.command('info').description("show a group's status, policies and members").argument('<alias>', 'the alias').argument('<group>', 'the group'), false)
    .addHelpText('after', '\nExamples:\n  $ tessera admin group info local devs')
    .action(
      run(async (alias: string, name: string, options: OutputOptions) => {
        const info = await withAdmin(alias, (c) => c.groupInfo(name));
        new Output(options).result(groupInfoText(info), info);
      }),
    );

  registerStatusCommands(group, {
    noun: 'group',
    command: 'admin group',
    argument: ['<group>', 'the group'],
    descriptions: ["apply the group's policies to its members again", "stop applying the group's policies to its members"],
    example: 'devs',
    set: (c, name, status) => c.setGroupStatus(name, status),
    json: (name, status) => ({ groupName: name, groupStatus: status }),
  });
}

// Policies

interface AttachOptions extends OutputOptions {
  user?: string;
  group?: string;
}

function attachTarget(options: AttachOptions): PolicyTarget {
  if ((options.user === undefined) === (options.group === undefined)) throw new CliError('name exactly one of --user USER and --group GROUP');
  return options.user !== undefined ? { user: options.user } : { group: options.group! };
}

function policyLine(p: PolicySummary): string[] {
  const attached = [...p.users.map((u) => `user:${u}`), ...p.groups.map((g) => `group:${g}`)];
  return [p.name, p.builtin ? 'built-in' : 'custom', attached.length > 0 ? `attached to ${list(attached)}` : ''];
}

function registerPolicy(admin: Command): void {
  const policy = admin.command('policy').description('manage policies and attach them to users and groups');

  withOutputOptions(
    policy
      .command('create')
      .alias('add')
      .description('create (or replace) a policy from a JSON file')
      .argument('<alias>', 'the alias')
      .argument('<name>', 'the policy name')
      .argument('<file>', 'the policy document (IAM JSON)'),
  )
    .addHelpText('after', '\nExamples:\n  $ tessera admin policy create local read-photos ./read-photos.json')
    .action(
      run(async (alias: string, name: string, file: string, options: OutputOptions) => {
        const text = await readTextFile(file, 'policy');
        await withAdmin(alias, (c) => c.putPolicy(name, text));
        new Output(options).result(`Created policy "${name}".`, { status: 'success', policy: name });
      }),
    );

  withOutputOptions(policy.command('ls').alias('list').description('list the policies (built-in and custom)').argument('<alias>', 'the alias'), false)
    .addHelpText('after', '\nExamples:\n  $ tessera admin policy ls local')
    .action(
      run(async (alias: string, options: OutputOptions) => {
        const out = new Output(options);
        const policies = await withAdmin(alias, (c) => c.listPolicies());
        const lines = table(policies.map(policyLine)).split('\n');
        policies.forEach((p, i) => out.result(lines[i], { policy: p.name, builtin: p.builtin, users: p.users, groups: p.groups }));
      }),
    );

  withOutputOptions(policy.command('info').description('print a policy document').argument('<alias>', 'the alias').argument('<name>', 'the policy'), false)
    .addHelpText('after', '\nExamples:\n  $ tessera admin policy info local readwrite\n  $ tessera admin policy info local read-photos > read-photos.json')
    .action(
      run(async (alias: string, name: string, options: OutputOptions) => {
        const info = await withAdmin(alias, (c) => c.policyInfo(name));
        new Output(options).result(JSON.stringify(info.policy, null, 2), info);
      }),
    );

  withOutputOptions(policy.command('rm').alias('remove').description('remove a policy (detach it from every user and group first)').argument('<alias>', 'the alias').argument('<name>', 'the policy'))
    .addHelpText('after', '\nExamples:\n  $ tessera admin policy rm local read-photos')
    .action(
      run(async (alias: string, name: string, options: OutputOptions) => {
        await withAdmin(alias, (c) => c.removePolicy(name));
        new Output(options).result(`Removed policy "${name}".`, { status: 'success', policy: name });
      }),
    );

  for (const attach of [true, false]) {
    const verb = attach ? 'attach' : 'detach';
    withOutputOptions(
      policy
        .command(verb)
        .description(attach ? 'attach policies to a user or a group' : 'detach policies from a user or a group')
        .argument('<alias>', 'the alias')
        .argument('<policies...>', 'the policies')
        .option('--user <user>', 'the user')
        .option('--group <group>', 'the group'),
    )
      .addHelpText('after', `\nExamples:\n  $ tessera admin policy ${verb} local readwrite --user alice\n  $ tessera admin policy ${verb} local read-photos diagnostics --group devs`)
      .action(
        run(async (alias: string, policies: string[], options: AttachOptions) => {
          const target = attachTarget(options);
          await withAdmin(alias, (c) => (attach ? c.attachPolicies(policies, target) : c.detachPolicies(policies, target)));
          const whom = 'user' in target ? `user "${target.user}"` : `group "${target.group}"`;
          new Output(options).result(`${attach ? 'Attached' : 'Detached'} ${list(policies)} ${attach ? 'to' : 'from'} ${whom}.`, { status: 'success', policies, ...target });
        }),
      );
  }
}

/** Adds `user`, `group` and `policy` (with their subcommands) to `tessera admin`. */
export function registerAdminIam(admin: Command): void {
  registerUser(admin);
  registerGroup(admin);
  registerPolicy(admin);
}
