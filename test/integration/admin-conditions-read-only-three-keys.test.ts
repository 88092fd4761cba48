/**
 * Regression: admin API decisions worked out only aws:SourceIp, aws:CurrentTime and aws:username, so a
 * policy denying admin actions over plain HTTP (aws:SecureTransport false) never took effect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError, AdminClient } from '../../src/admin/client.js';
import { TestServer } from '../helpers/server.js';
import { rootAdmin } from '../helpers/iam-fixtures.js';

let server: TestServer;

beforeAll(async () => {
  server = await TestServer.start();
  const root = rootAdmin(server);
  await root.addUser('tlsadmin', 'tlsadmin-secret');
  await root.putPolicy('admin-over-tls-only', JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'admin:*', Resource: 'arn:aws:s3:::*' },
      { Effect: 'Deny', Action: 'admin:*', Resource: 'arn:aws:s3:::*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ],
  }));
  await root.attachPolicies(['admin-over-tls-only'], { user: 'tlsadmin' });
});

afterAll(async () => {
  await server?.destroy();
});

describe('admin API conditions', () => {
  it('a Deny on aws:SecureTransport false refuses admin calls over plain http', async () => {
    const admin = new AdminClient({ url: server.endpoint, accessKey: 'tlsadmin', secretKey: 'tlsadmin-secret' });
    await expect(admin.listUsers()).rejects.toSatisfy((err: unknown) => err instanceof AdminApiError && err.status === 403 && err.code === 'AccessDenied');
  });
});
