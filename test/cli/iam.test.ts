/**
 * The IAM commands (admin user|svcacct|group|policy) and `anonymous`, driven through the real CLI
 * against a real server; what they set is checked by what S3 requests with the new keys (or
 * unsigned ones) are then allowed to do.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.js';
import { Cli } from './cli-harness.js';

let server: TestServer;
let cli: Cli;
let root: S3Client;

beforeAll(async () => {
  server = await TestServer.start();
  cli = await Cli.create(server);
  root = server.client();
});

afterAll(async () => {
  root?.destroy();
  await cli?.destroy();
  await server?.destroy();
});

function clientOf(accessKey: string, secretKey: string): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
  });
}

/** The S3 error code a call fails with (with its HTTP status), or 'ok'. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return `${e.name} ${e.$metadata?.httpStatusCode}`;
  }
}

const get = (client: S3Client, bucket: string, key: string): Promise<string> =>
  outcome(client.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then((r) => r.Body?.transformToString()));
const put = (client: S3Client, bucket: string, key: string): Promise<string> => outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'data' })));

async function seed(bucket: string, ...keys: string[]): Promise<void> {
  await cli.ok(['mb', `local/${bucket}`]);
  for (const key of keys) await root.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `content of ${key}` }));
}

async function file(name: string, content: unknown): Promise<string> {
  const path = join(cli.dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const allow = (actions: string[], resources: string[]): object => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: resources }],
});

describe('admin user', () => {
  it('add / ls / info / disable / enable / rm round trip; a disabled user is refused as InvalidAccessKeyId', async () => {
    await seed('users', 'o');
    expect((await cli.ok(['admin', 'user', 'add', 'local', 'alice'], { input: 'alice-secret-1\n' })).stdout).toBe('Added user "alice".\n');
    const alice = clientOf('alice', 'alice-secret-1');
    // A user without policies exists but may do nothing.
    expect(await get(alice, 'users', 'o')).toBe('AccessDenied 403');
    await cli.ok(['admin', 'policy', 'attach', 'local', 'readwrite', '--user', 'alice']);
    expect(await get(alice, 'users', 'o')).toBe('ok');

    expect((await cli.ok(['admin', 'user', 'ls', 'local'])).stdout).toBe('enabled  alice  readwrite\n');
    const listed = await cli.json<{ accessKey: string; status: string; policies: string[] }>(['admin', 'user', 'ls', 'local']);
    expect(listed.map((u) => [u.accessKey, u.status, u.policies])).toEqual([['alice', 'enabled', ['readwrite']]]);
    const info = (await cli.ok(['admin', 'user', 'info', 'local', 'alice'])).stdout;
    expect(info).toMatch(/^AccessKey : alice\nStatus {4}: enabled\nPolicies {2}: readwrite\nGroups {4}: -\n/);

    expect(await cli.json(['admin', 'user', 'disable', 'local', 'alice'])).toEqual([{ status: 'success', accessKey: 'alice', userStatus: 'disabled' }]);
    expect(await get(alice, 'users', 'o')).toBe('InvalidAccessKeyId 403');
    expect(await outcome(alice.send(new ListBucketsCommand({})))).toBe('InvalidAccessKeyId 403');
    expect((await cli.json<{ status: string }>(['admin', 'user', 'info', 'local', 'alice']))[0].status).toBe('disabled');
    expect((await cli.ok(['admin', 'user', 'enable', 'local', 'alice'])).stdout).toBe('Enabled user "alice".\n');
    expect(await get(alice, 'users', 'o')).toBe('ok');

    expect((await cli.ok(['admin', 'user', 'rm', 'local', 'alice'])).stdout).toBe('Removed user "alice".\n');
    expect(await get(alice, 'users', 'o')).toBe('InvalidAccessKeyId 403');
    const gone = await cli.fails(['admin', 'user', 'info', 'local', 'alice']);
    expect(gone.line).toBe('tessera: NoSuchUser: no user "alice"');
    expect(gone.code).not.toBe(0);
    expect((await cli.ok(['admin', 'user', 'ls', 'local'])).stdout).toBe('No users.\n');
    alice.destroy();
  });

  it('a secret on the command line works but warns; an empty stdin secret is refused', async () => {
    const given = await cli.run(['admin', 'user', 'add', 'local', 'erin', 'erin-secret-1']);
    expect(given.code).toBe(0);
    expect(given.stderr).toMatch(/warning: a secret key on the command line/);
    const erin = clientOf('erin', 'erin-secret-1');
    // Signed with the secret given: accepted (it lists no bucket: it may see none).
    expect(await outcome(erin.send(new ListBucketsCommand({})).then((r) => expect(r.Buckets ?? []).toEqual([])))).toBe('ok');
    erin.destroy();
    expect((await cli.fails(['admin', 'user', 'add', 'local', 'frank'], { input: '' })).line).toMatch(/no secret key on stdin/);
    expect((await cli.fails(['admin', 'user', 'add', 'local', 'frank'], { input: 'short\n' })).line).toMatch(/^tessera: InvalidArgument: a secret key is 8 to 128 characters/);
    await cli.ok(['admin', 'user', 'add', 'local', 'erin', '--email', 'erin@example.com'], { input: 'erin-secret-2\n' });
    expect((await cli.ok(['admin', 'user', 'info', 'local', 'erin'])).stdout).toMatch(/^AccessKey : erin\nEmail {5}: erin@example.com\nStatus {4}: enabled\n/);
    await cli.ok(['admin', 'user', 'rm', 'local', 'erin']);
  });

  it('a user without admin rights is told which permission it lacks', async () => {
    await cli.ok(['admin', 'user', 'add', 'local', 'gina'], { input: 'gina-secret-1\n' });
    await cli.ok(['admin', 'policy', 'attach', 'local', 'readwrite', '--user', 'gina']);
    await cli.setAlias('gina', server.endpoint, 'gina', 'gina-secret-1');
    expect((await cli.fails(['admin', 'user', 'ls', 'gina'])).line).toBe('tessera: AccessDenied: this needs the admin:ListUsers permission');
    expect((await cli.fails(['admin', 'policy', 'create', 'gina', 'p', await file('p.json', allow(['s3:GetObject'], ['arn:aws:s3:::x/*']))])).line).toBe(
      'tessera: AccessDenied: this needs the admin:CreatePolicy permission',
    );
    await cli.ok(['admin', 'policy', 'attach', 'local', 'consoleAdmin', '--user', 'gina']);
    expect((await cli.json<{ accessKey: string }>(['admin', 'user', 'ls', 'gina'])).map((u) => u.accessKey)).toContain('gina');
    expect((await cli.fails(['admin', 'user', 'ls', 'bad'])).line).toMatch(/^tessera: SignatureDoesNotMatch: /);
    expect((await cli.fails(['admin', 'user', 'ls', 'down'])).line).toMatch(/^tessera: cannot reach down .*connection refused/);
    await cli.ok(['admin', 'user', 'rm', 'local', 'gina']);
  });
});

describe('admin user svcacct', () => {
  it('a service account with a policy can do only what both its policy and its parent allow', async () => {
    await seed('sa1', 'o');
    await seed('sa2', 'o');
    await seed('sa3', 'o');
    await cli.ok(['admin', 'user', 'add', 'local', 'carol'], { input: 'carol-secret-1\n' });
    const parentPolicy = allow(['s3:GetObject', 's3:PutObject'], ['arn:aws:s3:::sa1/*', 'arn:aws:s3:::sa2/*']);
    expect((await cli.ok(['admin', 'policy', 'create', 'local', 'carol-rw', await file('carol.json', parentPolicy)])).stdout).toBe('Created policy "carol-rw".\n');
    await cli.ok(['admin', 'policy', 'attach', 'local', 'carol-rw', '--user', 'carol']);
    const narrowing = await file('narrow.json', allow(['s3:GetObject'], ['arn:aws:s3:::sa1/*', 'arn:aws:s3:::sa3/*']));

    const [created] = await cli.json<{ accessKey: string; secretKey: string; parent: string; expiresAt: string }>([
      'admin', 'user', 'svcacct', 'add', 'local', 'carol', '--policy', narrowing, '--name', 'reader', '--description', 'reads sa1', '--expiry', '2099-01-01',
    ]);
    expect(created.parent).toBe('carol');
    expect(created.accessKey).toMatch(/^[A-Z0-9]{20}$/);
    expect(created.expiresAt).toBe('2099-01-01T00:00:00.000Z');
    const account = clientOf(created.accessKey, created.secretKey);
    const carol = clientOf('carol', 'carol-secret-1');
    expect([await get(carol, 'sa1', 'o'), await put(carol, 'sa1', 'p'), await get(carol, 'sa2', 'o'), await get(carol, 'sa3', 'o')]).toEqual(['ok', 'ok', 'ok', 'AccessDenied 403']);
    expect([await get(account, 'sa1', 'o'), await put(account, 'sa1', 'q'), await get(account, 'sa2', 'o'), await get(account, 'sa3', 'o')]).toEqual([
      'ok',
      'AccessDenied 403',
      'AccessDenied 403',
      'AccessDenied 403',
    ]);

    const human = (await cli.ok(['admin', 'user', 'svcacct', 'ls', 'local', 'carol'])).stdout;
    expect(human).toBe(`enabled  ${created.accessKey}  2099-01-01T00:00:00.000Z  reader\n`);
    const info = (await cli.ok(['admin', 'user', 'svcacct', 'info', 'local', created.accessKey])).stdout;
    expect(info).toContain('ParentUser  : carol\n');
    expect(info).toContain('Policy      : embedded\n');
    expect(info).toContain('"arn:aws:s3:::sa3/*"');
    const [summary] = await cli.json<{ policy: string; name: string; description: string }>(['admin', 'user', 'svcacct', 'info', 'local', created.accessKey]);
    expect([summary.name, summary.description, JSON.parse(summary.policy)]).toEqual(['reader', 'reads sa1', JSON.parse(JSON.stringify(allow(['s3:GetObject'], ['arn:aws:s3:::sa1/*', 'arn:aws:s3:::sa3/*'])))]);

    // Given keys, no policy: the parent's rights.
    const second = await cli.run(['admin', 'user', 'svcacct', 'add', 'local', 'carol', '--access-key', 'carol-backup', '--secret-key', 'carol-backup-secret']);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('Access Key : carol-backup\nSecret Key : carol-backup-secret\n');
    const backup = clientOf('carol-backup', 'carol-backup-secret');
    expect([await get(backup, 'sa2', 'o'), await get(backup, 'sa3', 'o')]).toEqual(['ok', 'AccessDenied 403']);

    expect((await cli.ok(['admin', 'user', 'svcacct', 'disable', 'local', created.accessKey])).stdout).toBe(`Disabled service account "${created.accessKey}".\n`);
    expect(await get(account, 'sa1', 'o')).toBe('InvalidAccessKeyId 403');
    await cli.ok(['admin', 'user', 'svcacct', 'enable', 'local', created.accessKey]);
    expect(await get(account, 'sa1', 'o')).toBe('ok');
    // Disabling the parent stops its service accounts too.
    await cli.ok(['admin', 'user', 'disable', 'local', 'carol']);
    expect(await get(account, 'sa1', 'o')).toBe('InvalidAccessKeyId 403');
    await cli.ok(['admin', 'user', 'enable', 'local', 'carol']);

    await cli.ok(['admin', 'user', 'svcacct', 'rm', 'local', created.accessKey]);
    expect(await get(account, 'sa1', 'o')).toBe('InvalidAccessKeyId 403');
    expect((await cli.json<{ accessKey: string }>(['admin', 'user', 'svcacct', 'ls', 'local', 'carol'])).map((a) => a.accessKey)).toEqual(['carol-backup']);
    expect((await cli.fails(['admin', 'user', 'svcacct', 'info', 'local', created.accessKey])).line).toBe(`tessera: NoSuchServiceAccount: no service account "${created.accessKey}"`);
    expect((await cli.fails(['admin', 'user', 'svcacct', 'add', 'local', 'carol', '--policy', await file('bad.json', '{"Statement": 5}')])).line).toMatch(/^tessera: MalformedPolicy: /);
    expect((await cli.fails(['admin', 'user', 'svcacct', 'add', 'local', 'carol', '--expiry', 'someday'])).line).toMatch(/"someday" is not a date/);
    expect((await cli.fails(['admin', 'user', 'svcacct', 'add', 'local', 'nobody'])).line).toBe('tessera: NoSuchUser: no user "nobody"');

    // Removing the user removes its service accounts.
    await cli.ok(['admin', 'user', 'rm', 'local', 'carol']);
    expect(await get(backup, 'sa2', 'o')).toBe('InvalidAccessKeyId 403');
    for (const c of [account, carol, backup]) c.destroy();
  });
});

describe('admin group', () => {
  it('add / info / attach a policy to the group / members get access / disable / rm', async () => {
    await seed('grp1', 'doc');
    await cli.ok(['admin', 'user', 'add', 'local', 'dave'], { input: 'dave-secret-1\n' });
    await cli.ok(['admin', 'user', 'add', 'local', 'emma'], { input: 'emma-secret-1\n' });
    const dave = clientOf('dave', 'dave-secret-1');
    expect(await get(dave, 'grp1', 'doc')).toBe('AccessDenied 403');

    expect((await cli.ok(['admin', 'group', 'add', 'local', 'devs', 'dave', 'emma'])).stdout).toBe('Added dave, emma to group "devs".\n');
    await cli.ok(['admin', 'policy', 'create', 'local', 'read-grp1', await file('grp1.json', allow(['s3:GetObject'], ['arn:aws:s3:::grp1/*']))]);
    expect((await cli.ok(['admin', 'policy', 'attach', 'local', 'read-grp1', '--group', 'devs'])).stdout).toBe('Attached read-grp1 to group "devs".\n');
    expect(await get(dave, 'grp1', 'doc')).toBe('ok');

    expect((await cli.ok(['admin', 'group', 'info', 'local', 'devs'])).stdout).toMatch(/^Group {4}: devs\nStatus {3}: enabled\nPolicies : read-grp1\nMembers {2}: dave, emma\nCreated  : \S+\n$/);
    const [info] = await cli.json<{ name: string; members: string[]; policies: string[] }>(['admin', 'group', 'info', 'local', 'devs']);
    expect([info.name, info.members, info.policies]).toEqual(['devs', ['dave', 'emma'], ['read-grp1']]);
    expect((await cli.ok(['admin', 'group', 'ls', 'local'])).stdout).toBe('enabled  devs  2 member(s)  read-grp1\n');
    expect((await cli.json<{ groups: string[] }>(['admin', 'user', 'info', 'local', 'dave']))[0].groups).toEqual(['devs']);

    await cli.ok(['admin', 'group', 'disable', 'local', 'devs']);
    expect(await get(dave, 'grp1', 'doc')).toBe('AccessDenied 403');
    expect((await cli.json(['admin', 'group', 'enable', 'local', 'devs']))[0]).toEqual({ status: 'success', groupName: 'devs', groupStatus: 'enabled' });
    expect(await get(dave, 'grp1', 'doc')).toBe('ok');

    expect((await cli.fails(['admin', 'group', 'rm', 'local', 'devs'])).line).toMatch(/^tessera: GroupNotEmpty: group devs still has members/);
    expect((await cli.ok(['admin', 'group', 'rm', 'local', 'devs', 'dave'])).stdout).toBe('Removed dave from group "devs".\n');
    expect(await get(dave, 'grp1', 'doc')).toBe('AccessDenied 403');
    await cli.ok(['admin', 'group', 'rm', 'local', 'devs', 'emma']);
    expect((await cli.ok(['admin', 'group', 'rm', 'local', 'devs'])).stdout).toBe('Removed group "devs".\n');
    expect((await cli.fails(['admin', 'group', 'info', 'local', 'devs'])).line).toBe('tessera: NoSuchGroup: no group "devs"');
    expect((await cli.fails(['admin', 'group', 'add', 'local', 'devs', 'nobody'])).line).toBe('tessera: NoSuchUser: no user "nobody"');
    expect((await cli.ok(['admin', 'group', 'ls', 'local'])).stdout).toBe('No groups.\n');
    await cli.ok(['admin', 'user', 'rm', 'local', 'dave']);
    await cli.ok(['admin', 'user', 'rm', 'local', 'emma']);
    await cli.ok(['admin', 'policy', 'rm', 'local', 'read-grp1']);
    dave.destroy();
  });
});

describe('admin policy', () => {
  it('create refuses a malformed document; rm refuses an attached policy; info, ls and detach', async () => {
    const notJson = await cli.fails(['admin', 'policy', 'create', 'local', 'broken', await file('broken.json', '{"Version": "2012-10-17", "Statement": [')]);
    expect(notJson.line).toMatch(/^tessera: MalformedPolicy: /);
    expect(notJson.code).not.toBe(0);
    const unknownAction = await cli.fails(['admin', 'policy', 'create', 'local', 'broken', await file('broken2.json', allow(['s3:Fly'], ['arn:aws:s3:::x/*']))]);
    expect(unknownAction.line).toMatch(/^tessera: MalformedPolicy: .*s3:Fly/);
    expect((await cli.fails(['admin', 'policy', 'create', 'local', 'broken', join(cli.dir, 'missing.json')])).line).toMatch(/no policy file/);

    const document = allow(['s3:GetObject', 's3:ListBucket'], ['arn:aws:s3:::reports', 'arn:aws:s3:::reports/*']);
    await cli.ok(['admin', 'policy', 'create', 'local', 'reports-read', await file('reports.json', document)]);
    expect((await cli.ok(['admin', 'policy', 'info', 'local', 'reports-read'])).stdout).toBe(`${JSON.stringify(document, null, 2)}\n`);
    const [info] = await cli.json<{ name: string; builtin: boolean; policy: unknown }>(['admin', 'policy', 'info', 'local', 'reports-read']);
    expect([info.name, info.builtin, info.policy]).toEqual(['reports-read', false, document]);

    await cli.ok(['admin', 'user', 'add', 'local', 'hana'], { input: 'hana-secret-1\n' });
    await cli.ok(['admin', 'policy', 'attach', 'local', 'reports-read', 'readonly', '--user', 'hana']);
    expect((await cli.ok(['admin', 'policy', 'ls', 'local'])).stdout).toContain('reports-read  custom    attached to user:hana\n');
    const listed = await cli.json<{ policy: string; builtin: boolean; users: string[] }>(['admin', 'policy', 'ls', 'local']);
    expect(listed.find((p) => p.policy === 'reports-read')).toEqual({ policy: 'reports-read', builtin: false, users: ['hana'], groups: [] });
    expect(listed.filter((p) => p.builtin).map((p) => p.policy)).toEqual(expect.arrayContaining(['readonly', 'readwrite', 'writeonly', 'consoleAdmin']));

    const inUse = await cli.fails(['admin', 'policy', 'rm', 'local', 'reports-read']);
    expect(inUse.line).toBe('tessera: PolicyInUse: policy reports-read is attached to user hana: detach it first');
    expect((await cli.fails(['admin', 'policy', 'rm', 'local', 'readwrite'])).line).toMatch(/^tessera: BuiltinPolicy: /);
    expect((await cli.fails(['admin', 'policy', 'attach', 'local', 'nope', '--user', 'hana'])).line).toBe('tessera: NoSuchPolicy: no policy "nope"');
    expect((await cli.fails(['admin', 'policy', 'attach', 'local', 'readonly', '--user', 'hana', '--group', 'g'])).line).toMatch(/exactly one of --user USER and --group GROUP/);

    expect((await cli.ok(['admin', 'policy', 'detach', 'local', 'reports-read', '--user', 'hana'])).stdout).toBe('Detached reports-read from user "hana".\n');
    expect((await cli.json<{ policies: string[] }>(['admin', 'user', 'info', 'local', 'hana']))[0].policies).toEqual(['readonly']);
    expect(await cli.json(['admin', 'policy', 'rm', 'local', 'reports-read'])).toEqual([{ status: 'success', policy: 'reports-read' }]);
    expect((await cli.fails(['admin', 'policy', 'info', 'local', 'reports-read'])).line).toBe('tessera: NoSuchPolicy: no policy "reports-read"');
    await cli.ok(['admin', 'user', 'rm', 'local', 'hana']);
  });

  it('names that need percent-encoding reach the server intact', async () => {
    await cli.ok(['admin', 'user', 'add', 'local', 'ivy+ops@example.com'], { input: 'ivy-secret-1\n' });
    expect((await cli.json<{ accessKey: string }>(['admin', 'user', 'info', 'local', 'ivy+ops@example.com']))[0].accessKey).toBe('ivy+ops@example.com');
    await cli.ok(['admin', 'group', 'add', 'local', 'ops=team,a', 'ivy+ops@example.com']);
    expect((await cli.json<{ name: string }>(['admin', 'group', 'info', 'local', 'ops=team,a']))[0].name).toBe('ops=team,a');
    await cli.ok(['admin', 'user', 'rm', 'local', 'ivy+ops@example.com']);
    await cli.ok(['admin', 'group', 'rm', 'local', 'ops=team,a']);
  });
});

describe('anonymous', () => {
  const url = (bucket: string, key: string): string => `${server.endpoint}/${bucket}/${key}`;
  const unsignedGet = async (bucket: string, key: string): Promise<number> => (await fetch(url(bucket, key))).status;
  const unsignedPut = async (bucket: string, key: string): Promise<number> => (await fetch(url(bucket, key), { method: 'PUT', body: 'anonymous' })).status;

  it('set download lets everyone read, not write; set none takes it back; get shows the level', async () => {
    await seed('www', 'index.html', 'docs/a.txt');
    expect(await unsignedGet('www', 'index.html')).toBe(403);
    expect((await cli.ok(['anonymous', 'get', 'local/www'])).stdout).toBe('local/www: none\n');

    expect((await cli.ok(['anonymous', 'set', 'download', 'local/www'])).stdout).toBe('Access permission for local/www is set to download.\n');
    expect(await unsignedGet('www', 'index.html')).toBe(200);
    expect(await (await fetch(url('www', 'index.html'))).text()).toBe('content of index.html');
    expect(await unsignedPut('www', 'new.txt')).toBe(403);
    expect((await fetch(`${server.endpoint}/www?list-type=2`)).status).toBe(200);
    expect((await cli.ok(['anonymous', 'get', 'local/www'])).stdout).toBe('local/www: download\n');
    expect(await cli.json(['anonymous', 'get', 'local/www'])).toEqual([{ target: 'local/www', bucket: 'www', prefix: '', level: 'download' }]);

    const [{ policy }] = await cli.json<{ policy: { Statement: unknown[] } }>(['anonymous', 'get-json', 'local/www']);
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:GetBucketLocation', 's3:ListBucket'], Resource: ['arn:aws:s3:::www'] },
      { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::www/*'] },
    ]);

    expect((await cli.ok(['anonymous', 'set', 'none', 'local/www'])).stdout).toBe('Access permission for local/www is set to none.\n');
    expect(await unsignedGet('www', 'index.html')).toBe(403);
    expect((await cli.ok(['anonymous', 'get', 'local/www'])).stdout).toBe('local/www: none\n');
    expect((await cli.ok(['anonymous', 'get-json', 'local/www'])).stdout).toBe('local/www has no bucket policy.\n');
    expect(await cli.json(['anonymous', 'get-json', 'local/www'])).toEqual([{ target: 'local/www', policy: null }]);
  });

  it('prefixes keep their own levels; upload and public; list shows each; statements not written by it are kept', async () => {
    await seed('drop', 'pub/a.txt', 'in/b.txt', 'secret/c.txt');
    await cli.ok(['anonymous', 'set', 'download', 'local/drop/pub/']);
    await cli.ok(['anonymous', 'set', 'upload', 'local/drop/in/']);
    expect([await unsignedGet('drop', 'pub/a.txt'), await unsignedGet('drop', 'in/b.txt'), await unsignedGet('drop', 'secret/c.txt')]).toEqual([200, 403, 403]);
    expect([await unsignedPut('drop', 'in/new.txt'), await unsignedPut('drop', 'pub/new.txt'), await unsignedPut('drop', 'secret/new.txt')]).toEqual([200, 403, 403]);
    expect((await fetch(`${server.endpoint}/drop?list-type=2&prefix=pub/`)).status).toBe(200);
    expect((await fetch(`${server.endpoint}/drop?list-type=2&prefix=secret/`)).status).toBe(403);

    expect((await cli.ok(['anonymous', 'list', 'local/drop'])).stdout).toBe('local/drop/in/*   upload\nlocal/drop/pub/*  download\n');
    expect(await cli.json(['anonymous', 'list', 'local/drop'])).toEqual([
      { target: 'local/drop/in/*', prefix: 'in/', level: 'upload' },
      { target: 'local/drop/pub/*', prefix: 'pub/', level: 'download' },
    ]);
    expect((await cli.ok(['anonymous', 'get', 'local/drop/in/'])).stdout).toBe('local/drop/in/: upload\n');
    expect((await cli.ok(['anonymous', 'get', 'local/drop'])).stdout).toBe('local/drop: none\n');

    await cli.ok(['anonymous', 'set', 'public', 'local/drop/in/']);
    expect([await unsignedGet('drop', 'in/b.txt'), await unsignedPut('drop', 'in/other.txt')]).toEqual([200, 200]);
    expect((await cli.ok(['anonymous', 'get', 'local/drop/in/'])).stdout).toBe('local/drop/in/: public\n');

    // A statement written by hand (a Sid) survives the commands; get calls what it grants custom.
    const [{ policy }] = await cli.json<{ policy: { Version: string; Statement: object[] } }>(['anonymous', 'get-json', 'local/drop']);
    const handWritten = { Sid: 'ReadSecret', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::drop/secret/*' };
    const path = await file('drop-policy.json', { ...policy, Statement: [...policy.Statement, handWritten] });
    expect((await cli.ok(['anonymous', 'set-json', path, 'local/drop'])).stdout).toBe(`Access permission for local/drop is set from ${path}.\n`);
    expect(await unsignedGet('drop', 'secret/c.txt')).toBe(200);
    expect((await cli.ok(['anonymous', 'get', 'local/drop/secret/'])).stdout).toBe('local/drop/secret/: custom\n');
    expect((await cli.json<{ target: string; level: string }>(['anonymous', 'list', 'local/drop'])).map((r) => [r.target, r.level])).toEqual([
      ['local/drop/in/*', 'public'],
      ['local/drop/pub/*', 'download'],
      ['arn:aws:s3:::drop/secret/*', 'custom'],
    ]);

    await cli.ok(['anonymous', 'set', 'none', 'local/drop/pub/']);
    expect([await unsignedGet('drop', 'pub/a.txt'), await unsignedGet('drop', 'in/b.txt'), await unsignedGet('drop', 'secret/c.txt')]).toEqual([403, 200, 200]);
    await cli.ok(['anonymous', 'set', 'none', 'local/drop/in/']);
    expect([await unsignedGet('drop', 'in/b.txt'), await unsignedPut('drop', 'in/again.txt'), await unsignedGet('drop', 'secret/c.txt')]).toEqual([403, 403, 200]);
    const [left] = await cli.json<{ policy: { Statement: object[] } }>(['anonymous', 'get-json', 'local/drop']);
    expect(left.policy.Statement).toEqual([handWritten]);
  });

  it('explains what it refuses', async () => {
    await seed('plain');
    expect((await cli.fails(['anonymous', 'set', 'readonly', 'local/plain'])).line).toMatch(/"readonly" is not a level/);
    expect((await cli.fails(['anonymous', 'get', 'local'])).line).toMatch(/names no bucket/);
    expect((await cli.fails(['anonymous', 'get', 'local/no-such-bucket'])).line).toBe('tessera: bucket "no-such-bucket" does not exist');
    const bad = await cli.fails(['anonymous', 'set-json', await file('bad-bucket-policy.json', allow(['s3:GetObject'], ['arn:aws:s3:::plain/*'])), 'local/plain']);
    expect(bad.line).toMatch(/^tessera: MalformedPolicy: /);
  });
});
