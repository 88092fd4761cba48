/**
 * The policy language's parsing and validation: globs, what a document may hold (and the message when it
 * may not), actions, resources, principals, policy variables, the keys a policy reads, the "public" rule
 * for bucket policies, and the built-in policies.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_ACTIONS, ALL_ACTIONS, S3_ACTIONS, type Action } from '../../src/iam/actions.js';
import { BUILTIN_POLICIES, evaluate, parsePolicy, PolicyError, type Policy, type RequestContext } from '../../src/iam/policy/index.js';
import { glob } from '../../src/iam/policy/wildcard.js';

function request(action: Action, resource: string, conditions: Record<string, string | string[]> = {}, ids: string[] = []): RequestContext {
  const entries = Object.entries(conditions).map(([key, value]): [string, string[]] => [key, [value].flat()]);
  return { action, resource, principal: { anonymous: ids.length === 0, ids }, conditions: new Map(entries) };
}

/** `version` null: no Version field. */
function identity(statement: object | object[], version: string | null = '2012-10-17'): Policy {
  return parsePolicy(JSON.stringify({ ...(version ? { Version: version } : {}), Statement: statement }), 'identity');
}

function bucketPolicy(statement: object | object[]): Policy {
  return parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statement }), 'bucket', 'b');
}

describe('glob', () => {
  it.each([
    ['*', '', true],
    ['*', 'a/b/c', true],
    ['?', 'a', true],
    ['?', '', false],
    ['?', 'ab', false],
    ['a*', 'a', true],
    ['a*', 'ba', false],
    ['*a', 'ba', true],
    ['a*b', 'a/x/b', true],
    ['a*b', 'a/x/bc', false],
    ['a*b*c', 'abxbc', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['*.html', 'index.html', true],
    ['*.html', 'index.htm', false],
    ['a*?b', 'ab', false],
    ['a*?b', 'axb', true],
    ['*?b*', 'ab', true],
    ['ab*ba', 'aba', false],
    ['*aa*', 'aa', true],
    ['a?b*c?d', 'a-bzzc-d', true],
    ['a**b', 'ab', true],
    ['a***', 'a', true],
    ['(a+)$.[x]|^', '(a+)$.[x]|^', true],
    ['(a+)$.[x]|^', 'aa$.x', false],
    ['A*', 'a', false],
  ])('%j on %j is %s', (pattern, input, expected) => {
    expect(glob(pattern).test(input)).toBe(expected);
  });

  it('answers a hostile pattern of many stars without backtracking into every split', () => {
    const hostile = glob(`${'*a'.repeat(40)}*b`);
    expect(hostile.test('a'.repeat(20_000))).toBe(false);
    expect(hostile.test(`${'a'.repeat(20_000)}b`)).toBe(true);
  });
});

const allow = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };

describe('parsePolicy refuses', () => {
  const doc = (statement: unknown, extra: object = {}) => JSON.stringify({ Version: '2012-10-17', Statement: statement, ...extra });
  it.each<[string, string, RegExp, ('identity' | 'bucket')?]>([
    ['text that is not JSON', '{"Version":', /not valid JSON/],
    ['JSON that is not an object', '[]', /must be a JSON object/],
    ['an unknown top-level field', doc(allow, { Extra: 1 }), /Unknown field "Extra"/],
    ['an unknown Version', doc(allow, { Version: '2013-01-01' }), /Version must be/],
    ['a Version that is not a string', doc(allow, { Version: 2012 }), /Version must be/],
    ['an Id that is not a string', doc(allow, { Id: 7 }), /Id must be a string/],
    ['a missing Statement', JSON.stringify({ Version: '2012-10-17' }), /no Statement/],
    ['an empty Statement list', doc([]), /no Statement/],
    ['a statement that is not an object', doc(['x']), /must be an object/],
    ['an unknown statement field', doc({ ...allow, Principals: '*' }), /Unknown field "Principals" in a statement/],
    ['a missing Effect', doc({ Action: 's3:GetObject', Resource: '*' }), /Effect must be/],
    ['an Effect in the wrong case', doc({ ...allow, Effect: 'allow' }), /Effect must be/],
    ['both Action and NotAction', doc({ ...allow, NotAction: 's3:PutObject' }), /exactly one of Action and NotAction/],
    ['neither Action nor NotAction', doc({ Effect: 'Allow', Resource: '*' }), /exactly one of Action and NotAction/],
    ['both Resource and NotResource', doc({ ...allow, NotResource: '*' }), /exactly one of Resource and NotResource/],
    ['an identity statement without Resource', doc({ Effect: 'Allow', Action: 's3:GetObject' }), /exactly one of Resource and NotResource/],
    ['an empty Action list', doc({ ...allow, Action: [] }), /Action must be a string or a non-empty array/],
    ['an Action that is not a string', doc({ ...allow, Action: [1] }), /Action must be a string or a non-empty array/],
    ['an action no known action matches', doc({ ...allow, Action: 's3:NoSuchThing' }), /invalid action: s3:NoSuchThing/],
    ['an action of another service', doc({ ...allow, Action: 'ec2:*' }), /invalid action/],
    ['an action without a service', doc({ ...allow, Action: 'GetObject' }), /invalid action/],
    ['a wildcard in the service', doc({ ...allow, Action: 's3*:GetObject' }), /invalid action/],
    ['a resource that is not an ARN', doc({ ...allow, Resource: 'b/key' }), /invalid resource: b\/key/],
    ['an ARN of another service', doc({ ...allow, Resource: 'arn:aws:ec2:::x' }), /invalid resource/],
    ['an S3 ARN naming nothing', doc({ ...allow, Resource: 'arn:aws:s3:::' }), /invalid resource/],
    ['a Principal in an identity policy', doc({ ...allow, Principal: '*' }), /identity policy cannot name a Principal/],
    ['a NotPrincipal in an identity policy', doc({ ...allow, NotPrincipal: '*' }), /identity policy cannot name a Principal/],
    ['duplicate Sids', doc([{ ...allow, Sid: 'One' }, { ...allow, Sid: 'One' }]), /duplicate Sid "One"/],
    ['a Condition that is not an object', doc({ ...allow, Condition: [] }), /Condition must be an object/],
    ['an operator mapping no keys', doc({ ...allow, Condition: { StringEquals: {} } }), /must map one or more condition keys/],
    ['an unknown condition operator', doc({ ...allow, Condition: { StringEqual: { 's3:prefix': 'a' } } }), /Unknown condition operator StringEqual/],
    ['an unknown set prefix', doc({ ...allow, Condition: { 'ForSomeValues:StringEquals': { 's3:prefix': 'a' } } }), /Unknown condition operator/],
    ['Null with IfExists', doc({ ...allow, Condition: { NullIfExists: { 's3:prefix': 'true' } } }), /Null takes no set prefix or IfExists/],
    ['a condition key without a prefix', doc({ ...allow, Condition: { StringEquals: { prefix: 'a' } } }), /not of the form prefix:name/],
    ['a condition value that is an object', doc({ ...allow, Condition: { StringEquals: { 's3:prefix': { a: 1 } } } }), /values must be strings, numbers or booleans/],
    ['a condition value that is null', doc({ ...allow, Condition: { StringEquals: { 's3:prefix': null } } }), /values must be strings, numbers or booleans/],
    ['an empty list of condition values', doc({ ...allow, Condition: { StringEquals: { 's3:prefix': [] } } }), /empty list of values/],
    ['a Numeric value that is no number', doc({ ...allow, Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } }), /"ten" is not a number/],
    ['a Date value that is no date', doc({ ...allow, Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } }), /not an ISO 8601 date/],
    ['a Date that does not exist', doc({ ...allow, Condition: { DateLessThan: { 'aws:CurrentTime': '2026-02-30' } } }), /not an ISO 8601 date/],
    ['a prefix longer than the address', doc({ ...allow, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } }), /not an IP address or CIDR/],
    ['an IPv4 octet over 255', doc({ ...allow, Condition: { IpAddress: { 'aws:SourceIp': '300.0.0.1' } } }), /not an IP address or CIDR/],
    ['an IPv6 address with two ::', doc({ ...allow, Condition: { NotIpAddress: { 'aws:SourceIp': '1::2::3' } } }), /not an IP address or CIDR/],
    ['a Bool value that is no boolean', doc({ ...allow, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }), /not true or false/],
    ['a Null value that is no boolean', doc({ ...allow, Condition: { Null: { 's3:prefix': 'absent' } } }), /not true or false/],
    ['a Binary value that is not base64', doc({ ...allow, Condition: { BinaryEquals: { 'x:bin': 'not base64!' } } }), /not base64/],
    ['an Arn value that is not an ARN', doc({ ...allow, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3' } } }), /not an ARN/],
    ['a bucket policy over 20 KiB', doc({ ...allow, Principal: '*', Resource: `arn:aws:s3:::b/${'k'.repeat(20_480)}` }), /larger than the 20480 bytes/, 'bucket'],
    ['an identity policy over 20 KiB', doc({ ...allow, Resource: `arn:aws:s3:::b/${'k'.repeat(20_480)}` }), /larger than the 20480 bytes/],
    ['a bucket statement without Principal', doc({ ...allow, Resource: 'arn:aws:s3:::b/*' }), /exactly one of Principal and NotPrincipal/, 'bucket'],
    ['a bucket statement with Principal and NotPrincipal', doc({ ...allow, Resource: 'arn:aws:s3:::b/*', Principal: '*', NotPrincipal: '*' }), /exactly one of Principal/, 'bucket'],
    ['an unknown principal type', doc({ ...allow, Resource: 'arn:aws:s3:::b/*', Principal: { Person: 'x' } }), /unknown principal type "Person"/, 'bucket'],
    ['a Principal that is neither "*" nor an object', doc({ ...allow, Resource: 'arn:aws:s3:::b/*', Principal: 'alice' }), /Principal must be "\*" or an object/, 'bucket'],
    ['a bucket resource "*"', doc({ ...allow, Principal: '*' }), /invalid resource: \*/, 'bucket'],
    ['a bucket resource in another bucket', doc({ ...allow, Principal: '*', Resource: 'arn:aws:s3:::other/*' }), /invalid resource/, 'bucket'],
    ['a bucket resource wildcarding the bucket', doc({ ...allow, Principal: '*', Resource: 'arn:aws:s3:::b*' }), /invalid resource/, 'bucket'],
    ['a bucket NotResource in another bucket', doc({ Effect: 'Deny', Action: '*', Principal: '*', NotResource: 'arn:aws:s3:::bb' }), /invalid resource/, 'bucket'],
  ])('%s', (_, text, message, kind = 'identity') => {
    const parse = () => parsePolicy(text, kind, kind === 'bucket' ? 'b' : undefined);
    expect(parse).toThrow(PolicyError);
    expect(parse).toThrow(message);
  });

  it('names the statement at fault', () => {
    expect(() => identity([allow, { ...allow, Effect: 'Maybe' }])).toThrow('Effect must be "Allow" or "Deny" (statement 2)');
  });
});

describe('parsePolicy accepts', () => {
  it.each<[string, object]>([
    ['a single statement object', allow],
    ['single strings and arrays alike', [{ ...allow, Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }]],
    ['actions in any case', { ...allow, Action: ['S3:GETOBJECT', 'admin:serverinfo'] }],
    ['action wildcards that match known actions', { ...allow, Action: ['s3:Get*', 's3:*Object', 'admin:*', 's3:?etObject'] }],
    ['condition values as numbers and booleans', { ...allow, Condition: { NumericLessThan: { 's3:max-keys': 10 }, Bool: { 'aws:SecureTransport': true } } }],
    ['an empty Condition', { ...allow, Condition: {} }],
    ['statements without Sid, and Sids that differ', [allow, { ...allow, Sid: 'A' }, { ...allow, Sid: 'B' }, allow]],
  ])('%s', (_, statement) => {
    expect(identity(statement).kind).toBe('identity');
  });

  it('accepts no Version, and "2008-10-17"', () => {
    expect(identity(allow, null).statements).toHaveLength(1);
    expect(identity(allow, '2008-10-17').statements).toHaveLength(1);
  });

  it('accepts a bucket policy naming the bucket, its keys, and principals of every form', () => {
    const policy = bucketPolicy([
      { ...allow, Principal: '*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*', 'arn:aws:s3:::b/home/${aws:username}/*'] },
      { ...allow, Principal: { AWS: ['arn:aws:iam::111122223333:root', 'alice'] }, Resource: 'arn:aws:s3:::b/x' },
      { ...allow, Principal: { CanonicalUser: '79a59df900b949e55d96a1e698fbaced' }, Resource: 'arn:aws:s3:::b/x' },
      { ...allow, Principal: { Service: 'logging.s3.amazonaws.com' }, Resource: 'arn:aws:s3:::b/logs/*' },
      { Effect: 'Deny', Action: 's3:*', NotPrincipal: { AWS: 'alice' }, NotResource: 'arn:aws:s3:::b/public/*' },
    ]);
    expect(policy.statements).toHaveLength(5);
  });

  it('keeps the text as given, and is frozen', () => {
    const text = '{ "Version": "2012-10-17",\n  "Statement": { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" } }';
    const policy = parsePolicy(text, 'identity');
    expect(policy.text).toBe(text);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.statements)).toBe(true);
    expect(Object.isFrozen(policy.statements[0])).toBe(true);
  });
});

describe('actions and resources', () => {
  const decide = (statement: object, req: RequestContext) => evaluate([identity(statement)], req);

  it.each<[string | string[], Action, string]>([
    ['s3:getobject', 's3:GetObject', 'allow'],
    ['S3:GET*', 's3:GetObject', 'allow'],
    ['S3:GET*', 's3:PutObject', 'none'],
    ['s3:*', 's3:DeleteBucket', 'allow'],
    ['s3:*', 'admin:ServerInfo', 'none'],
    ['admin:*', 'admin:CreateUser', 'allow'],
    ['*', 'admin:CreateUser', 'allow'],
    [['s3:GetObject', 's3:PutObject'], 's3:PutObject', 'allow'],
  ])('Action %j on %s: %s', (action, requested, expected) => {
    expect(decide({ Effect: 'Allow', Action: action, Resource: '*' }, request(requested, 'arn:aws:s3:::b/k'))).toBe(expected);
  });

  it.each<[string, string, string]>([
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/k', 'allow'],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b', 'none'],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::bb/k', 'none'],
    ['arn:aws:s3:::b/Photos/*', 'arn:aws:s3:::b/photos/x', 'none'],
    ['arn:aws:s3:::b/*.jpg', 'arn:aws:s3:::b/a/b.jpg', 'allow'],
    ['arn:aws:s3:::b/?', 'arn:aws:s3:::b/xy', 'none'],
    ['arn:aws:s3:::*', 'arn:aws:s3:::*', 'allow'],
    ['*', 'arn:aws:s3:::anything/at/all', 'allow'],
  ])('Resource %j on %s: %s', (resource, requested, expected) => {
    expect(decide({ Effect: 'Allow', Action: 's3:GetObject', Resource: resource }, request('s3:GetObject', requested))).toBe(expected);
  });

  it('applies NotAction to every action but those listed, and NotResource to every resource but those', () => {
    const notAction = { Effect: 'Allow', NotAction: 's3:Delete*', Resource: '*' };
    expect(decide(notAction, request('s3:PutObject', 'arn:aws:s3:::b/k'))).toBe('allow');
    expect(decide(notAction, request('s3:DeleteObject', 'arn:aws:s3:::b/k'))).toBe('none');
    const notResource = { Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' };
    expect(decide(notResource, request('s3:GetObject', 'arn:aws:s3:::b/k'))).toBe('allow');
    expect(decide(notResource, request('s3:GetObject', 'arn:aws:s3:::secret/k'))).toBe('none');
  });
});

describe('principals', () => {
  const decide = (principal: object, ids: string[], not = false) =>
    evaluate([bucketPolicy({ ...allow, Resource: 'arn:aws:s3:::b/*', [not ? 'NotPrincipal' : 'Principal']: principal })], request('s3:GetObject', 'arn:aws:s3:::b/k', {}, ids));

  it.each<[string, unknown, string[], boolean, string]>([
    ['"*" grants anonymous callers', '*', [], false, 'allow'],
    ['{"AWS": "*"} grants anonymous callers', { AWS: '*' }, [], false, 'allow'],
    ['a named principal matches its id exactly', { AWS: 'arn:aws:iam::1:user/alice' }, ['arn:aws:iam::1:user/alice', 'alice'], false, 'allow'],
    ['ids are case-sensitive', { AWS: 'Alice' }, ['alice'], false, 'none'],
    ['a named principal is not anonymous', { AWS: 'alice' }, [], false, 'none'],
    ['the root form is no special case', { AWS: 'arn:aws:iam::1:root' }, ['arn:aws:iam::1:user/alice'], false, 'none'],
    ['a CanonicalUser matches an id', { CanonicalUser: 'c0ffee' }, ['c0ffee'], false, 'allow'],
    ['NotPrincipal applies to those it does not name', { AWS: 'alice' }, ['bob'], true, 'allow'],
    ['NotPrincipal skips those it names', { AWS: 'alice' }, ['alice'], true, 'none'],
    ['NotPrincipal applies to anonymous callers', { AWS: 'alice' }, [], true, 'allow'],
    ['NotPrincipal "*" applies to no one', { AWS: '*' }, [], true, 'none'],
  ])('%s', (_, principal, ids, not, expected) => {
    expect(decide(principal as object, ids, not)).toBe(expected);
  });
});

describe('policy variables', () => {
  const home = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/home/${aws:username}/*' };
  const get = (policy: Policy, key: string, conditions: Record<string, string | string[]>) =>
    evaluate([policy], request('s3:GetObject', `arn:aws:s3:::b/${key}`, conditions));

  it.each<[string, Record<string, string | string[]>, string, string]>([
    ["the user's own folder", { 'aws:username': 'alice' }, 'home/alice/x', 'allow'],
    ["another user's folder", { 'aws:username': 'alice' }, 'home/bob/x', 'none'],
    ['no user name in the request', {}, 'home/alice/x', 'none'],
    ['a user name with several values', { 'aws:username': ['alice', 'bob'] }, 'home/alice/x', 'none'],
    ['a user name holding a wildcard, on another folder', { 'aws:username': 'a*' }, 'home/abc/x', 'none'],
    ['a user name holding a wildcard, on its own folder', { 'aws:username': 'a*' }, 'home/a*/x', 'allow'],
  ])('%s', (_, conditions, key, expected) => {
    expect(get(identity(home), key, conditions)).toBe(expected);
  });

  it('substitutes any single-valued request key, by a case-insensitive name', () => {
    const policy = identity({ ...home, Resource: 'arn:aws:s3:::b/${AWS:PrincipalTag/team}/*' });
    expect(get(policy, 'red/x', { 'aws:principaltag/team': 'red' })).toBe('allow');
    expect(get(policy, 'blue/x', { 'aws:principaltag/team': 'red' })).toBe('none');
  });

  it.each<[string, string, string]>([
    ['${*}', '*', 'allow'],
    ['${*}', 'x', 'none'],
    ['${?}', '?', 'allow'],
    ['${?}', 'x', 'none'],
    ['${$}{x}', '${x}', 'allow'],
    ['${}', '${}', 'allow'],
  ])('the escape %j matches %j: %s', (pattern, key, expected) => {
    expect(get(identity({ ...home, Resource: `arn:aws:s3:::b/${pattern}` }), key, {})).toBe(expected);
  });

  it('takes variables literally without Version 2012-10-17 (as AWS does)', () => {
    for (const version of [null, '2008-10-17']) {
      const policy = identity(home, version);
      expect(get(policy, 'home/alice/x', { 'aws:username': 'alice' })).toBe('none');
      expect(get(policy, 'home/${aws:username}/x', { 'aws:username': 'alice' })).toBe('allow');
    }
  });

  it('lets no statement apply through a NotResource whose variable the request cannot resolve', () => {
    const policy = identity([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      { Effect: 'Deny', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::b/home/${aws:username}/*' },
    ]);
    expect(get(policy, 'home/bob/x', { 'aws:username': 'alice' })).toBe('deny');
    expect(get(policy, 'home/alice/x', { 'aws:username': 'alice' })).toBe('allow');
    expect(get(policy, 'home/bob/x', {})).toBe('allow');
  });

  it('keeps each substitution apart when the same pattern serves many callers', () => {
    const policy = identity({ ...home, Resource: 'arn:aws:s3:::b/${aws:username}/${aws:PrincipalTag/team}/*' });
    const as = (username: string, team: string, key: string) => get(policy, key, { 'aws:username': username, 'aws:principaltag/team': team });
    expect(as('ab', 'c', 'ab/c/x')).toBe('allow');
    expect(as('a', 'bc', 'ab/c/x')).toBe('none');
    expect(as('a', 'bc', 'a/bc/x')).toBe('allow');
    for (let i = 0; i < 300; i++) as(`user${i}`, 'red', 'x');
    expect(as('ab', 'c', 'ab/c/x')).toBe('allow');
  });

  it('still matches the other resources of a list when one names an unresolved variable', () => {
    const policy = identity({ ...home, Resource: ['arn:aws:s3:::b/home/${aws:username}/*', 'arn:aws:s3:::b/public/*'] });
    expect(get(policy, 'public/x', {})).toBe('allow');
  });
});

describe('conditionKeys', () => {
  it('lists, lower-cased, every key the conditions and the policy variables read', () => {
    const policy = identity([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::b/${aws:username}/*',
        Condition: { StringEquals: { 's3:ExistingObjectTag/Project': 'blue' }, StringLike: { 's3:prefix': '${aws:userid}/*' } },
      },
      { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
    ]);
    expect([...policy.conditionKeys].sort()).toEqual(['aws:sourceip', 'aws:userid', 'aws:username', 's3:existingobjecttag/project', 's3:prefix']);
  });

  it('is empty when nothing is read', () => {
    expect(identity(allow).conditionKeys.size).toBe(0);
  });
});

describe('isPublic (S3 "The meaning of public")', () => {
  const statement = (principal: unknown, condition?: object, extra: object = {}) => ({
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: 'arn:aws:s3:::b/*',
    Principal: principal,
    ...(condition ? { Condition: condition } : {}),
    ...extra,
  });
  it.each<[string, boolean, object]>([
    ['Principal "*"', true, statement('*')],
    ['{"AWS": "*"}', true, statement({ AWS: '*' })],
    ['"*" among named principals', true, statement({ AWS: ['arn:aws:iam::1:root', '*'] })],
    ['a named principal', false, statement({ AWS: 'arn:aws:iam::1:root' })],
    ['a Deny to everyone', false, statement('*', undefined, { Effect: 'Deny' })],
    ['NotPrincipal in an Allow', true, { ...statement(undefined), Principal: undefined, NotPrincipal: { AWS: 'alice' } }],
    ['aws:SourceIp held to a CIDR', false, statement('*', { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32'] } })],
    ['aws:SourceIp held to 0.0.0.0/0', true, statement('*', { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } })],
    ['aws:SourceIp held to ::/0 among others', true, statement('*', { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '::/0'] } })],
    // Regression: two halves cover every address as /0 does (Block Public Access was bypassed so).
    ['aws:SourceIp held to 0.0.0.0/1 and 128.0.0.0/1', true, statement('*', { IpAddress: { 'aws:SourceIp': ['0.0.0.0/1', '128.0.0.0/1'] } })],
    ['aws:SourceIp held to a /7', true, statement('*', { IpAddress: { 'aws:SourceIp': '10.0.0.0/7' } })],
    ['aws:SourceIp held to a /8', false, statement('*', { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })],
    ['aws:SourceIp held to an IPv6 /31', true, statement('*', { IpAddress: { 'aws:SourceIp': '2001:db8::/31' } })],
    ['aws:SourceIp held to 256 /8s together', true, statement('*', { IpAddress: { 'aws:SourceIp': Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`) } })],
    ['aws:SourceIp held to two /9s (one /8 together)', false, statement('*', { IpAddress: { 'aws:SourceIp': ['10.0.0.0/9', '10.128.0.0/9'] } })],
    ['aws:SourceIp excluded (NotIpAddress)', true, statement('*', { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } })],
    ['aws:SourceIp only if present (IfExists)', true, statement('*', { IpAddressIfExists: { 'aws:SourceIp': '192.0.2.0/24' } })],
    ['a fixed aws:SourceVpce', false, statement('*', { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } })],
    ['a wildcarded aws:SourceVpce', true, statement('*', { StringLike: { 'aws:SourceVpce': 'vpce-*' } })],
    ['a fixed aws:PrincipalAccount', false, statement({ AWS: '*' }, { StringEquals: { 'aws:PrincipalAccount': '111122223333' } })],
    ['a fixed aws:SourceArn', false, statement('*', { ArnEquals: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' } })],
    ['aws:username held to a policy variable (no fixed value)', true, statement('*', { StringEquals: { 'aws:username': '${aws:userid}' } })],
    ['aws:SecureTransport alone', true, statement('*', { Bool: { 'aws:SecureTransport': 'true' } })],
    ['a key that names no source (s3:prefix)', true, statement('*', { StringEquals: { 's3:prefix': 'public/' } })],
    ['ForAllValues on a source key (true when absent)', true, statement('*', { 'ForAllValues:StringEquals': { 'aws:SourceVpc': 'vpc-1' } })],
  ])('%s: public %s', (_, expected, s) => {
    expect(bucketPolicy(s).isPublic).toBe(expected);
  });

  it('is public when any Allow statement is', () => {
    expect(bucketPolicy([statement({ AWS: 'alice' }), statement('*', undefined, { Sid: 'Public' })]).isPublic).toBe(true);
  });

  it('is never said of identity policies', () => {
    expect(identity(allow).isPublic).toBe(false);
  });
});

describe('BUILTIN_POLICIES', () => {
  const decide = (names: string[], action: Action, resource = 'arn:aws:s3:::b/k') =>
    evaluate(names.map((name) => BUILTIN_POLICIES.get(name) as Policy), request(action, resource, {}, ['alice']));

  it('holds the five policies mc users know, all identity policies', () => {
    expect([...BUILTIN_POLICIES.keys()]).toEqual(['readonly', 'readwrite', 'writeonly', 'diagnostics', 'consoleAdmin']);
    for (const policy of BUILTIN_POLICIES.values()) {
      expect(policy.kind).toBe('identity');
      expect(parsePolicy(policy.text, 'identity').statements.length).toBe(policy.statements.length);
    }
  });

  it.each<[string, Action, string]>([
    ['readonly', 's3:GetObject', 'allow'],
    ['readonly', 's3:GetBucketLocation', 'allow'],
    ['readonly', 's3:ListBucket', 'none'],
    ['readonly', 's3:PutObject', 'none'],
    ['readonly', 'admin:CreateUser', 'deny'],
    ['readwrite', 's3:PutObject', 'allow'],
    ['readwrite', 's3:DeleteBucket', 'allow'],
    ['readwrite', 'admin:ServerInfo', 'none'],
    ['writeonly', 's3:PutObject', 'allow'],
    ['writeonly', 's3:GetObject', 'none'],
    ['diagnostics', 'admin:ServerInfo', 'allow'],
    ['diagnostics', 'admin:Profiling', 'allow'],
    ['diagnostics', 'admin:ServerTrace', 'allow'],
    ['diagnostics', 'admin:ConsoleLog', 'allow'],
    ['diagnostics', 'admin:TopLocksInfo', 'allow'],
    ['diagnostics', 'admin:Prometheus', 'allow'],
    ['diagnostics', 'admin:Heal', 'none'],
    ['diagnostics', 's3:GetObject', 'none'],
  ])('%s on %s: %s', (name, action, expected) => {
    const resource = action.startsWith('admin:') ? 'arn:aws:s3:::*' : 'arn:aws:s3:::b/k';
    expect(decide([name], action, resource)).toBe(expected);
  });

  it('consoleAdmin allows every action there is', () => {
    for (const action of ALL_ACTIONS) {
      const resource = (ADMIN_ACTIONS as readonly string[]).includes(action) ? 'arn:aws:s3:::*' : 'arn:aws:s3:::b/k';
      expect(decide(['consoleAdmin'], action, resource), action).toBe('allow');
    }
    expect(S3_ACTIONS.length + ADMIN_ACTIONS.length).toBe(ALL_ACTIONS.length);
  });

  it("readonly's Deny of admin:CreateUser wins over consoleAdmin, as in MinIO", () => {
    expect(decide(['consoleAdmin', 'readonly'], 'admin:CreateUser', 'arn:aws:s3:::*')).toBe('deny');
    expect(decide(['consoleAdmin', 'readonly'], 'admin:DeleteUser', 'arn:aws:s3:::*')).toBe('allow');
  });
});
