/**
 * The client's backup-target commands (issue 12 item 8) against a real server, human and --json:
 * mb --with-lock / --with-versioning, version enable|suspend|info, ls --versions, rm --version-id,
 * tag set|list|remove, retention set|clear|info (and --default), legalhold set|clear|info.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.js';
import { Cli } from './cli-harness.js';

let server: TestServer;
let cli: Cli;

beforeAll(async () => {
  server = await TestServer.start();
  cli = await Cli.create(server);
});

afterAll(async () => {
  await cli?.destroy();
  await server?.destroy();
});

const put = async (target: string, body: string): Promise<void> => {
  const file = join(cli.dir, 'body.txt');
  await writeFile(file, body);
  await cli.ok(['cp', file, target]);
};

describe('versions', () => {
  it('version enable|suspend|info; ls --versions shows every version newest first; rm --version-id removes one for good', async () => {
    await cli.ok(['mb', 'local/docs']);
    expect((await cli.ok(['version', 'info', 'local/docs'])).stdout).toBe('local/docs: versioning never enabled.\n');
    expect((await cli.ok(['version', 'enable', 'local/docs'])).stdout).toBe('local/docs: versioning enabled.\n');
    expect(await cli.json(['version', 'info', 'local/docs'])).toEqual([{ bucket: 'local/docs', versioning: 'Enabled' }]);
    await put('local/docs/report.txt', 'first');
    await put('local/docs/report.txt', 'second, longer');
    const versions = await cli.json<{ versionId: string; isLatest: boolean; size: number; type: string }>(['ls', '--versions', 'local/docs']);
    expect(versions.map((v) => [v.type, v.isLatest, v.size])).toEqual([
      ['version', true, 14],
      ['version', false, 5],
    ]);
    expect((await cli.ok(['ls', '--versions', 'local/docs'])).stdout).toMatch(/v-latest .*report\.txt/);
    await cli.ok(['rm', '--version-id', versions[0].versionId, 'local/docs/report.txt']);
    expect((await cli.ok(['cat', 'local/docs/report.txt'])).stdout).toBe('first');
    expect((await cli.fails(['rm', '-r', '--force', '--version-id', versions[1].versionId, 'local/docs/'])).line).toMatch(/--version-id names one version/);
    expect((await cli.ok(['version', 'suspend', 'local/docs'])).stdout).toBe('local/docs: versioning suspended.\n');
  });
});

describe('tags', () => {
  it('tag set|list|remove on an object, a version and a bucket', async () => {
    await cli.ok(['mb', '--with-versioning', 'local/tags']);
    await put('local/tags/k', 'one');
    const [first] = await cli.json<{ versionId: string }>(['ls', '--versions', 'local/tags']);
    await put('local/tags/k', 'two');
    expect((await cli.ok(['tag', 'set', 'local/tags/k', 'project=x&owner=me too'])).stdout).toBe('Tags set on local/tags/k.\n');
    expect((await cli.ok(['tag', 'list', 'local/tags/k'])).stdout).toBe('project : x\nowner : me too\n');
    await cli.ok(['tag', 'set', '--version-id', first.versionId, 'local/tags/k', 'old=yes']);
    expect(await cli.json(['tag', 'list', '--version-id', first.versionId, 'local/tags/k'])).toEqual([{ target: 'local/tags/k', tags: { old: 'yes' } }]);
    await cli.ok(['tag', 'remove', 'local/tags/k']);
    expect((await cli.ok(['tag', 'list', 'local/tags/k'])).stdout).toBe('local/tags/k has no tags.\n');
    await cli.ok(['tag', 'set', 'local/tags', 'team=storage']);
    expect(await cli.json(['tag', 'list', 'local/tags'])).toEqual([{ target: 'local/tags', tags: { team: 'storage' } }]);
    expect((await cli.fails(['tag', 'set', 'local/tags/k', ''])).line).toMatch(/holds no tags/);
  });
});

describe('Object Lock', () => {
  it('mb --with-lock; retention set|info|clear with --default and by version; legalhold set|info|clear; a locked version is not removed', async () => {
    await cli.ok(['mb', '--with-lock', 'local/vault']);
    expect(await cli.json(['version', 'info', 'local/vault'])).toEqual([{ bucket: 'local/vault', versioning: 'Enabled' }]);
    expect((await cli.ok(['retention', 'info', '--default', 'local/vault'])).stdout).toBe('local/vault: Object Lock enabled, no default retention.\n');
    await cli.ok(['retention', 'set', '--default', 'governance', '30d', 'local/vault']);
    expect((await cli.ok(['retention', 'info', '--default', 'local/vault'])).stdout).toBe('local/vault: Object Lock enabled, default GOVERNANCE for 30 day(s).\n');
    await put('local/vault/backup.bin', 'precious');
    const [info] = await cli.json<{ mode: string; retainUntil: string }>(['retention', 'info', 'local/vault/backup.bin']);
    expect(info.mode).toBe('GOVERNANCE');
    expect(Date.parse(info.retainUntil)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const [version] = await cli.json<{ versionId: string }>(['ls', '--versions', 'local/vault']);
    expect((await cli.fails(['rm', '--version-id', version.versionId, 'local/vault/backup.bin'])).line).toMatch(/denied|lock/i);
    await cli.ok(['retention', 'set', 'compliance', '60d', 'local/vault/backup.bin']);
    expect((await cli.fails(['retention', 'clear', '--bypass', 'local/vault/backup.bin'])).line).toMatch(/denied|lock/i);
    expect((await cli.fails(['rm', '--bypass', '--version-id', version.versionId, 'local/vault/backup.bin'])).line).toMatch(/denied|lock/i);

    await cli.ok(['retention', 'clear', '--default', 'local/vault']);
    await put('local/vault/held.bin', 'evidence');
    const [held] = await cli.json<{ versionId: string; key: string }>(['ls', '--versions', 'local/vault/held.bin']);
    await cli.ok(['legalhold', 'set', 'local/vault/held.bin']);
    expect((await cli.ok(['legalhold', 'info', 'local/vault/held.bin'])).stdout).toBe('local/vault/held.bin: legal hold ON.\n');
    expect((await cli.fails(['rm', '--version-id', held.versionId, 'local/vault/held.bin'])).line).toMatch(/denied|lock/i);
    await cli.ok(['legalhold', 'clear', 'local/vault/held.bin']);
    await cli.ok(['rm', '--version-id', held.versionId, 'local/vault/held.bin']);
    expect((await cli.fails(['retention', 'set', 'forever', '1d', 'local/vault/backup.bin'])).line).toMatch(/not a retention mode/);
  });
});

describe('lifecycle rules', () => {
  it('ilm rule add|ls|rm', async () => {
    await cli.ok(['mb', 'local/ilm']);
    expect((await cli.ok(['ilm', 'rule', 'ls', 'local/ilm'])).stdout).toBe('local/ilm has no lifecycle rules.\n');
    await cli.ok(['ilm', 'rule', 'add', '--id', 'logs', '--prefix', 'logs/', '--expire-days', '90', 'local/ilm']);
    await cli.ok(['ilm', 'rule', 'add', '--id', 'old', '--noncurrent-expire-days', '30', '--noncurrent-expire-newer', '5', '--abort-incomplete-days', '7', 'local/ilm']);
    expect((await cli.ok(['ilm', 'rule', 'ls', 'local/ilm'])).stdout).toBe(
      'logs enabled prefix=logs/: expire after 90d\nold enabled: noncurrent versions after 30d (keep 5), abort uploads after 7d\n',
    );
    expect((await cli.fails(['ilm', 'rule', 'add', '--id', 'logs', '--expire-days', '1', 'local/ilm'])).line).toMatch(/already has a rule "logs"/);
    expect((await cli.fails(['ilm', 'rule', 'add', 'local/ilm'])).line).toMatch(/at least one action/);
    await cli.ok(['ilm', 'rule', 'rm', '--id', 'logs', 'local/ilm']);
    expect((await cli.json<{ rule: { ID: string } }>(['ilm', 'rule', 'ls', 'local/ilm'])).map((r) => r.rule.ID)).toEqual(['old']);
    expect((await cli.fails(['ilm', 'rule', 'rm', '--all', 'local/ilm'])).line).toMatch(/--force/);
    await cli.ok(['ilm', 'rule', 'rm', '--all', '--force', 'local/ilm']);
    expect((await cli.ok(['ilm', 'rule', 'ls', 'local/ilm'])).stdout).toBe('local/ilm has no lifecycle rules.\n');
  });
});
