/**
 * Whole decisions: AWS's rule across statements and policies (a Deny wins, else an Allow, else nothing),
 * then policies modelled on AWS's documented examples (the IAM user guide's identity-based policies for
 * S3, the S3 user guide's bucket policy examples), each with the requests that tell them apart.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/iam/actions.js';
import { evaluate, parsePolicy, type Decision, type Policy, type RequestContext } from '../../src/iam/policy/index.js';

const BUCKET = 'amzn-s3-demo-bucket';
const arn = (key?: string) => `arn:aws:s3:::${BUCKET}${key === undefined ? '' : `/${key}`}`;

interface Ask {
  action: Action;
  key?: string;
  ids?: string[];
  conditions?: Record<string, string | string[]>;
}

/** Condition keys may be written as AWS spells them: the map holds them lower-cased, as callers must. */
function request({ action, key, ids = [], conditions = {} }: Ask): RequestContext {
  const entries = Object.entries(conditions).map(([name, value]): [string, string[]] => [name.toLowerCase(), [value].flat()]);
  return { action, resource: arn(key), principal: { anonymous: ids.length === 0, ids }, conditions: new Map(entries) };
}

const identityPolicy = (statement: object | object[]): Policy =>
  parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statement }), 'identity');
const bucketPolicy = (statement: object | object[]): Policy =>
  parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statement }), 'bucket', BUCKET);

function decisions(policies: Policy[], rows: [string, Ask, Decision][]): void {
  it.each(rows)('%s', (_, ask, expected) => {
    expect(evaluate(policies, request(ask))).toBe(expected);
  });
}

describe('the rule across statements and policies', () => {
  const allowAll = identityPolicy({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
  const denyDelete = identityPolicy({ Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' });
  const allowGet = identityPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: arn('*') });

  it.each<[string, Policy[], Action, Decision]>([
    ['no policies say nothing', [], 's3:GetObject', 'none'],
    ['an Allow allows', [allowAll], 's3:GetObject', 'allow'],
    ['a Deny wins over an Allow in another policy', [allowAll, denyDelete], 's3:DeleteObject', 'deny'],
    ['a Deny wins whichever policy comes first', [denyDelete, allowAll], 's3:DeleteObject', 'deny'],
    ['a Deny only denies what it names', [allowAll, denyDelete], 's3:PutObject', 'allow'],
    ['a Deny alone denies', [denyDelete], 's3:DeleteObject', 'deny'],
    ['nothing matching is an implicit deny', [allowGet], 's3:PutObject', 'none'],
    ['allows add up across policies', [allowGet, denyDelete], 's3:GetObject', 'allow'],
  ])('%s', (_, policies, action, expected) => {
    expect(evaluate(policies, request({ action, key: 'k' }))).toBe(expected);
  });

  it('finds a Deny in a later statement of the policy that allowed', () => {
    const policy = identityPolicy([
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', Resource: arn('private/*') },
    ]);
    expect(evaluate([policy], request({ action: 's3:GetObject', key: 'private/x' }))).toBe('deny');
    expect(evaluate([policy], request({ action: 's3:GetObject', key: 'public/x' }))).toBe('allow');
  });
});

describe('IAM user guide: a home folder per user (${aws:username} with s3:prefix)', () => {
  const policy = identityPolicy([
    { Sid: 'ListHomeFolders', Effect: 'Allow', Action: 's3:ListBucket', Resource: arn(), Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } } },
    { Sid: 'OwnFolderOnly', Effect: 'Allow', Action: 's3:*', Resource: [arn('home/${aws:username}'), arn('home/${aws:username}/*')] },
  ]);
  const alice = { 'aws:username': 'alice' };
  decisions(
    [policy],
    [
      ['alice lists the bucket root', { action: 's3:ListBucket', conditions: { ...alice, 's3:prefix': '' } }, 'allow'],
      ['alice lists home/', { action: 's3:ListBucket', conditions: { ...alice, 's3:prefix': 'home/' } }, 'allow'],
      ['alice lists her folder', { action: 's3:ListBucket', conditions: { ...alice, 's3:prefix': 'home/alice/docs/' } }, 'allow'],
      ["alice lists bob's folder", { action: 's3:ListBucket', conditions: { ...alice, 's3:prefix': 'home/bob/' } }, 'none'],
      ['alice lists without a prefix at all', { action: 's3:ListBucket', conditions: alice }, 'none'],
      ['alice writes in her folder', { action: 's3:PutObject', key: 'home/alice/a.txt', conditions: alice }, 'allow'],
      ["alice reads in bob's folder", { action: 's3:GetObject', key: 'home/bob/a.txt', conditions: alice }, 'none'],
      ['a caller with no user name', { action: 's3:GetObject', key: 'home/alice/a.txt' }, 'none'],
    ],
  );
});

describe('S3 user guide: restricting access to specific IP addresses (NotIpAddress aws:SourceIp)', () => {
  const policy = bucketPolicy([
    { Sid: 'ReadForAll', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: arn('*') },
    {
      Sid: 'IPAllow',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [arn(), arn('*')],
      Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24', '2001:DB8:1234:5678::/64'] } },
    },
  ]);
  decisions(
    [policy],
    [
      ['from an allowed IPv4 range', { action: 's3:GetObject', key: 'k', conditions: { 'aws:SourceIp': '192.0.2.7' } }, 'allow'],
      ['from outside the ranges', { action: 's3:GetObject', key: 'k', conditions: { 'aws:SourceIp': '198.51.100.1' } }, 'deny'],
      ['from the allowed IPv6 range', { action: 's3:GetObject', key: 'k', conditions: { 'aws:SourceIp': '2001:db8:1234:5678::9' } }, 'allow'],
      ['from outside the IPv6 range', { action: 's3:GetObject', key: 'k', conditions: { 'aws:SourceIp': '2001:db8:1234:9999::9' } }, 'deny'],
      ['from an IPv4-mapped IPv6 address in range', { action: 's3:GetObject', key: 'k', conditions: { 'aws:SourceIp': '::ffff:203.0.113.40' } }, 'allow'],
      // A negated operator on a missing key holds ("IAM JSON policy elements: Condition operators").
      ['with no source address known', { action: 's3:GetObject', key: 'k' }, 'deny'],
    ],
  );
});

describe('S3 user guide: deny requests that do not use HTTPS (aws:SecureTransport)', () => {
  const policy = bucketPolicy([
    { Effect: 'Allow', Principal: { AWS: 'alice' }, Action: 's3:*', Resource: [arn(), arn('*')] },
    { Sid: 'RestrictToTLSRequestsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arn(), arn('*')], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
  ]);
  decisions(
    [policy],
    [
      ['alice over HTTPS', { action: 's3:PutObject', key: 'k', ids: ['alice'], conditions: { 'aws:SecureTransport': 'true' } }, 'allow'],
      ['alice over HTTP', { action: 's3:PutObject', key: 'k', ids: ['alice'], conditions: { 'aws:SecureTransport': 'false' } }, 'deny'],
      ['anonymous over HTTP', { action: 's3:GetObject', key: 'k', conditions: { 'aws:SecureTransport': 'false' } }, 'deny'],
      ['anonymous over HTTPS', { action: 's3:GetObject', key: 'k', conditions: { 'aws:SecureTransport': 'true' } }, 'none'],
    ],
  );
});

describe('S3 user guide: tag-based access (s3:ExistingObjectTag, s3:RequestObjectTag, s3:RequestObjectTagKeys)', () => {
  const policy = identityPolicy([
    { Effect: 'Allow', Action: 's3:GetObject', Resource: arn('*'), Condition: { StringEquals: { 's3:ExistingObjectTag/environment': 'production' } } },
    {
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: arn('*'),
      Condition: {
        'ForAllValues:StringLike': { 's3:RequestObjectTagKeys': ['Owner', 'CreationDate'] },
        StringEquals: { 's3:RequestObjectTag/Owner': '${aws:username}' },
      },
    },
    { Effect: 'Deny', Action: 's3:PutObjectTagging', Resource: arn('*'), Condition: { 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': 'Project' } } },
    { Effect: 'Allow', Action: 's3:PutObjectTagging', Resource: arn('*') },
  ]);
  const alice = { 'aws:username': 'alice' };
  decisions(
    [policy],
    [
      ['reading a production object', { action: 's3:GetObject', key: 'k', conditions: { 's3:existingobjecttag/environment': 'production' } }, 'allow'],
      ['reading a staging object', { action: 's3:GetObject', key: 'k', conditions: { 's3:existingobjecttag/environment': 'staging' } }, 'none'],
      ['reading an untagged object', { action: 's3:GetObject', key: 'k' }, 'none'],
      [
        'writing tagged Owner=self only',
        { action: 's3:PutObject', key: 'k', conditions: { ...alice, 's3:requestobjecttagkeys': ['Owner'], 's3:requestobjecttag/owner': 'alice' } },
        'allow',
      ],
      [
        'writing with an extra tag key',
        { action: 's3:PutObject', key: 'k', conditions: { ...alice, 's3:requestobjecttagkeys': ['Owner', 'Project'], 's3:requestobjecttag/owner': 'alice' } },
        'none',
      ],
      [
        'writing tagged as someone else',
        { action: 's3:PutObject', key: 'k', conditions: { ...alice, 's3:requestobjecttagkeys': ['Owner'], 's3:requestobjecttag/owner': 'bob' } },
        'none',
      ],
      ['tagging with a Project key', { action: 's3:PutObjectTagging', key: 'k', conditions: { 's3:requestobjecttagkeys': ['Owner', 'Project'] } }, 'deny'],
      ['tagging without a Project key', { action: 's3:PutObjectTagging', key: 'k', conditions: { 's3:requestobjecttagkeys': ['Owner'] } }, 'allow'],
      ['tagging with no tags at all', { action: 's3:PutObjectTagging', key: 'k' }, 'allow'],
    ],
  );
});

describe('S3 user guide: a ceiling on Object Lock retention (s3:object-lock-remaining-retention-days)', () => {
  const policy = bucketPolicy([
    { Effect: 'Allow', Principal: { AWS: 'alice' }, Action: 's3:PutObjectRetention', Resource: arn('*') },
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObjectRetention',
      Resource: arn('*'),
      Condition: { NumericGreaterThan: { 's3:object-lock-remaining-retention-days': '10' } },
    },
  ]);
  decisions(
    [policy],
    [
      ['retention of 10 days', { action: 's3:PutObjectRetention', key: 'k', ids: ['alice'], conditions: { 's3:object-lock-remaining-retention-days': '10' } }, 'allow'],
      ['retention of 11 days', { action: 's3:PutObjectRetention', key: 'k', ids: ['alice'], conditions: { 's3:object-lock-remaining-retention-days': '11' } }, 'deny'],
      ['no retention in the request', { action: 's3:PutObjectRetention', key: 'k', ids: ['alice'] }, 'allow'],
    ],
  );
});

describe('IAM user guide: NotAction and NotResource', () => {
  const policy = identityPolicy([
    { Sid: 'AllowAllButOwnBucketDeletion', Effect: 'Allow', NotAction: ['s3:DeleteBucket', 's3:DeleteBucketPolicy'], Resource: '*' },
    { Sid: 'DenyOutsideBucket', Effect: 'Deny', Action: 's3:*', NotResource: [arn(), arn('*')] },
  ]);
  it.each<[string, Action, string, Decision]>([
    ['an action not excluded, in the bucket', 's3:PutObject', arn('k'), 'allow'],
    ['an excluded action', 's3:DeleteBucket', arn(), 'none'],
    ['a resource outside the bucket', 's3:GetObject', 'arn:aws:s3:::other/k', 'deny'],
    ['an admin action (outside s3:*, and NotAction takes it in)', 'admin:ServerInfo', 'arn:aws:s3:::*', 'allow'],
  ])('%s', (_, action, resource, expected) => {
    expect(evaluate([policy], { ...request({ action }), resource })).toBe(expected);
  });
});

describe('S3 user guide: refuse uploads without server-side encryption (Null)', () => {
  const policy = bucketPolicy([
    { Effect: 'Allow', Principal: { AWS: 'alice' }, Action: 's3:PutObject', Resource: arn('*') },
    { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: arn('*'), Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } } },
  ]);
  decisions(
    [policy],
    [
      ['an upload with the header', { action: 's3:PutObject', key: 'k', ids: ['alice'], conditions: { 's3:x-amz-server-side-encryption': 'AES256' } }, 'allow'],
      ['an upload without it', { action: 's3:PutObject', key: 'k', ids: ['alice'] }, 'deny'],
    ],
  );
});

describe('IAM user guide: access within a date range (DateGreaterThan / DateLessThan aws:CurrentTime)', () => {
  const policy = identityPolicy({
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: arn('*'),
    Condition: { DateGreaterThan: { 'aws:CurrentTime': '2026-04-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2026-06-30T23:59:59Z' } },
  });
  const at = (time: string): Ask => ({ action: 's3:GetObject', key: 'k', conditions: { 'aws:CurrentTime': time } });
  decisions(
    [policy],
    [
      ['inside the range', at('2026-05-15T12:00:00Z'), 'allow'],
      ['before it', at('2026-03-31T23:59:59Z'), 'none'],
      ['on its first instant (strictly after is asked)', at('2026-04-01T00:00:00Z'), 'none'],
      ['after it', at('2026-07-01T00:00:00Z'), 'none'],
      ['with no current time', { action: 's3:GetObject', key: 'k' }, 'none'],
    ],
  );
});

describe('IAM user guide: deny without MFA (BoolIfExists aws:MultiFactorAuthPresent)', () => {
  const policy = identityPolicy([
    { Effect: 'Allow', Action: 's3:*', Resource: '*' },
    { Sid: 'DenyAllUnlessMFA', Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } },
  ]);
  decisions(
    [policy],
    [
      ['a delete with MFA', { action: 's3:DeleteObject', key: 'k', conditions: { 'aws:MultiFactorAuthPresent': 'true' } }, 'allow'],
      ['a delete without MFA', { action: 's3:DeleteObject', key: 'k', conditions: { 'aws:MultiFactorAuthPresent': 'false' } }, 'deny'],
      ['a delete where MFA is not known (long-term keys)', { action: 's3:DeleteObject', key: 'k' }, 'deny'],
    ],
  );
});

describe('S3 user guide: granting read-only permission to anonymous users, and to one account', () => {
  const policy = bucketPolicy([
    { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: arn('public/*') },
    { Sid: 'AccountRead', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 's3:ListBucket', Resource: arn() },
  ]);
  decisions(
    [policy],
    [
      ['anonymous reads a public object', { action: 's3:GetObject', key: 'public/a.html' }, 'allow'],
      ['anonymous reads elsewhere', { action: 's3:GetObject', key: 'private/a' }, 'none'],
      ['anonymous lists', { action: 's3:ListBucket' }, 'none'],
      ['the account lists', { action: 's3:ListBucket', ids: ['arn:aws:iam::111122223333:root'] }, 'allow'],
      ['another account lists', { action: 's3:ListBucket', ids: ['arn:aws:iam::444455556666:root'] }, 'none'],
    ],
  );
});
