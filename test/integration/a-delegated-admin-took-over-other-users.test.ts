/**
 * Regression: each narrow admin right was all of them. A user allowed only admin:CreateUser reset an
 * existing (more powerful) user's secret and signed in as it; one allowed admin:CreateServiceAccount
 * minted keys for any user; a service account with a narrowing policy made an unrestricted one under
 * its parent. And names every object inherits (`constructor`, `__proto__`) broke the state (500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError, AdminClient } from '../../src/admin/client.js';
import { TestServer } from '../helpers/server.js';
import { rootAdmin } from '../helpers/iam-fixtures.js';

let server: TestServer;
let root: AdminClient;

const adminAs = (accessKey: string, secretKey: string): AdminClient => new AdminClient({ url: server.endpoint, accessKey, secretKey });

/** The admin API's error code for `p`, or 'ok'. */
async function answer(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof AdminApiError) return `${err.status} ${err.code}`;
    throw err;
  }
}

const allowOnly = (...actions: string[]): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::*' }] });

beforeAll(async () => {
  server = await TestServer.start();
  root = rootAdmin(server);
  await root.addUser('opsadmin', 'opsadmin-secret');
  await root.attachPolicies(['consoleAdmin'], { user: 'opsadmin' });
  await root.addUser('helpdesk', 'helpdesk-secret');
  await root.putPolicy('create-users', allowOnly('admin:CreateUser'));
  await root.attachPolicies(['create-users'], { user: 'helpdesk' });
  await root.addUser('svcmaker', 'svcmaker-secret');
  await root.putPolicy('make-service-accounts', allowOnly('admin:CreateServiceAccount'));
  await root.attachPolicies(['make-service-accounts'], { user: 'svcmaker' });
  await root.addUser('carol', 'carol-secret-key');
  await root.attachPolicies(['readwrite'], { user: 'carol' });
});

afterAll(async () => {
  await server?.destroy();
});

describe('delegated admin rights stay narrow', () => {
  it('admin:CreateUser makes users but does not change an existing user\'s secret', async () => {
    const helpdesk = adminAs('helpdesk', 'helpdesk-secret');
    expect(await answer(helpdesk.addUser('opsadmin', 'taken-over-now'))).toBe('403 AccessDenied');
    expect(await answer(adminAs('opsadmin', 'opsadmin-secret').listUsers())).toBe('ok');
    expect(await answer(helpdesk.addUser('newcomer', 'newcomer-secret'))).toBe('ok');
    expect(await answer(root.addUser('opsadmin', 'opsadmin-secret-2'))).toBe('ok');
  });

  it('service accounts are made for oneself, or by the root user', async () => {
    expect(await answer(adminAs('svcmaker', 'svcmaker-secret').addServiceAccount('carol', {}))).toBe('403 AccessDenied');
    const own = await adminAs('carol', 'carol-secret-key').addServiceAccount('carol', { policy: allowOnly('s3:GetObject') });
    expect((await adminAs('carol', 'carol-secret-key').listServiceAccounts('carol')).map((a) => a.accessKey)).toContain(own.accessKey);
    expect(await answer(adminAs('carol', 'carol-secret-key').listServiceAccounts('opsadmin'))).toBe('403 AccessDenied');
    expect(await answer(root.addServiceAccount('carol', {}))).toBe('ok');
  });

  it('a service account makes no service account (it would shed its own policy)', async () => {
    const narrowed = await root.addServiceAccount('opsadmin', { policy: allowOnly('admin:CreateServiceAccount', 's3:GetObject') });
    expect(await answer(adminAs(narrowed.accessKey, narrowed.secretKey).addServiceAccount('opsadmin', {}))).toBe('403 AccessDenied');
  });
});

describe('names every object inherits', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('%s is refused as a group, policy or user name', async (name) => {
    expect(await answer(root.updateGroupMembers(name, { add: ['carol'] }))).toBe('400 InvalidArgument');
    expect(await answer(root.putPolicy(name, allowOnly('s3:GetObject')))).toBe('400 InvalidArgument');
    expect(await answer(root.addUser(name, 'long-enough-secret'))).toBe('400 InvalidArgument');
  });
});
