/**
 * Root credentials: read from the environment or from *_FILE files, never half-configured, and the
 * published defaults allowed only on loopback addresses unless TESSERA_REQUIRE_CREDENTIALS is set.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROOT_PASSWORD, DEFAULT_ROOT_USER, describeRootSource, rootCredentialsFromEnv } from '../../src/iam/root.js';
import { defaultCredentialsWarning, isLoopback, refuseDefaultCredentials } from '../../src/cli/default-credentials.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-root-'));
  await writeFile(join(dir, 'user'), 'file-admin\n');
  await writeFile(join(dir, 'password'), 'file-password-123\r\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rootCredentialsFromEnv', () => {
  it('uses the published defaults when neither variable is set, and says so', () => {
    const root = rootCredentialsFromEnv({});
    expect(root).toMatchObject({ accessKey: DEFAULT_ROOT_USER, secretKey: DEFAULT_ROOT_PASSWORD, isDefault: true, userSource: 'default' });
    expect(describeRootSource(root)).toBe('the built-in defaults (published: anyone can use them)');
  });

  it('takes both from the environment', () => {
    const root = rootCredentialsFromEnv({ TESSERA_ROOT_USER: 'admin', TESSERA_ROOT_PASSWORD: 'a-real-secret' });
    expect(root).toMatchObject({ accessKey: 'admin', secretKey: 'a-real-secret', isDefault: false });
    expect(describeRootSource(root)).toBe('from TESSERA_ROOT_USER and TESSERA_ROOT_PASSWORD');
  });

  it('takes them from files, without the trailing newline', () => {
    const root = rootCredentialsFromEnv({ TESSERA_ROOT_USER_FILE: join(dir, 'user'), TESSERA_ROOT_PASSWORD_FILE: join(dir, 'password') });
    expect(root).toMatchObject({ accessKey: 'file-admin', secretKey: 'file-password-123', isDefault: false });
    expect(describeRootSource(root)).toBe('from TESSERA_ROOT_USER_FILE and TESSERA_ROOT_PASSWORD_FILE');
    expect(rootCredentialsFromEnv({ TESSERA_ROOT_USER: 'admin', TESSERA_ROOT_PASSWORD_FILE: join(dir, 'password') }).secretKey).toBe('file-password-123');
  });

  it('counts the default password as default wherever it came from', () => {
    const root = rootCredentialsFromEnv({ TESSERA_ROOT_USER: 'admin', TESSERA_ROOT_PASSWORD: DEFAULT_ROOT_PASSWORD });
    expect(root.isDefault).toBe(true);
    expect(describeRootSource(root)).toBe('from TESSERA_ROOT_USER and TESSERA_ROOT_PASSWORD (the password is the published default)');
  });

  it('refuses half a configuration, both a variable and its file, unreadable files and short values', () => {
    expect(() => rootCredentialsFromEnv({ TESSERA_ROOT_USER: 'admin' })).toThrow(
      'TESSERA_ROOT_USER is set but TESSERA_ROOT_PASSWORD is not: set both, or neither for the defaults',
    );
    expect(() => rootCredentialsFromEnv({ TESSERA_ROOT_PASSWORD_FILE: join(dir, 'password') })).toThrow(
      'TESSERA_ROOT_PASSWORD_FILE is set but TESSERA_ROOT_USER is not',
    );
    expect(() => rootCredentialsFromEnv({ TESSERA_ROOT_USER: 'a', TESSERA_ROOT_USER_FILE: join(dir, 'user'), TESSERA_ROOT_PASSWORD: 'a-real-secret' })).toThrow(
      'both TESSERA_ROOT_USER and TESSERA_ROOT_USER_FILE are set: set one of them',
    );
    const missing = join(dir, 'missing');
    expect(() => rootCredentialsFromEnv({ TESSERA_ROOT_USER: 'admin', TESSERA_ROOT_PASSWORD_FILE: missing })).toThrow(
      `cannot read TESSERA_ROOT_PASSWORD_FILE (${missing}): ENOENT`,
    );
    expect(() => rootCredentialsFromEnv({ TESSERA_ROOT_USER: 'ab', TESSERA_ROOT_PASSWORD: 'a-real-secret' })).toThrow(
      'the root user (TESSERA_ROOT_USER) must be at least 3 characters',
    );
    expect(() => rootCredentialsFromEnv({ TESSERA_ROOT_USER: 'admin', TESSERA_ROOT_PASSWORD: 'short' })).toThrow(
      'the root password (TESSERA_ROOT_PASSWORD) must be at least 8 characters',
    );
  });
});

describe('the default credentials at start-up', () => {
  it('knows loopback addresses by their literal form only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', 'node1', 'tessera-0.tessera.default.svc.cluster.local', '127.example.com']) {
      expect(isLoopback(host), host).toBe(false);
    }
  });

  it('are allowed on loopback and refused elsewhere unless --allow-default-credentials', () => {
    expect(refuseDefaultCredentials({ host: '127.0.0.1', port: 9000, allowDefault: false, env: {} })).toBeUndefined();
    expect(refuseDefaultCredentials({ host: '0.0.0.0', port: 9000, allowDefault: false, env: {} })).toBe(
      'refusing to start with the published default root credentials on 0.0.0.0:9000, which other machines can reach: ' +
        'set TESSERA_ROOT_USER and TESSERA_ROOT_PASSWORD (or TESSERA_ROOT_USER_FILE and TESSERA_ROOT_PASSWORD_FILE), or pass --allow-default-credentials',
    );
    expect(refuseDefaultCredentials({ host: '::', port: 9000, allowDefault: false, env: {} })).toContain('on [::]:9000,');
    expect(refuseDefaultCredentials({ host: '0.0.0.0', port: 9000, allowDefault: true, env: {} })).toBeUndefined();
  });

  it('are refused everywhere, whatever the flag, when TESSERA_REQUIRE_CREDENTIALS is set', () => {
    const expected =
      'refusing to start with the published default root credentials (TESSERA_REQUIRE_CREDENTIALS is set): ' +
      'set TESSERA_ROOT_USER and TESSERA_ROOT_PASSWORD (or TESSERA_ROOT_USER_FILE and TESSERA_ROOT_PASSWORD_FILE)';
    for (const value of ['1', 'true', 'yes', 'on']) {
      expect(refuseDefaultCredentials({ host: '127.0.0.1', port: 9000, allowDefault: true, env: { TESSERA_REQUIRE_CREDENTIALS: value } })).toBe(expected);
    }
    expect(refuseDefaultCredentials({ host: '127.0.0.1', port: 9000, allowDefault: false, env: { TESSERA_REQUIRE_CREDENTIALS: '0' } })).toBeUndefined();
  });

  it('warn loudly, naming the endpoint and never the password', () => {
    const warning = defaultCredentialsWarning('127.0.0.1:9000');
    expect(warning.split('\n').every((line) => line.startsWith('WARNING: '))).toBe(true);
    expect(warning).toContain('anyone who can connect to 127.0.0.1:9000 can take over this server');
    expect(warning).not.toContain(DEFAULT_ROOT_PASSWORD);
  });
});
