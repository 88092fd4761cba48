/**
 * Condition operators, one family per table: each row is a policy's values, the request's values for the
 * key (absent when undefined) and whether the condition holds. What a missing key, a negated operator, a
 * set prefix and a list of values mean follows the IAM user guide pages cited by each table.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, parsePolicy } from '../../src/iam/policy/index.js';

type Values = string | number | boolean | (string | number | boolean)[];
type RequestValues = Record<string, string | string[]>;

/** Whether an Allow with this Condition block allows a request carrying `conditions`. */
function allows(condition: object, conditions: RequestValues, version = '2012-10-17'): boolean {
  const policy = parsePolicy(
    JSON.stringify({ Version: version, Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: condition } }),
    'identity',
  );
  const entries = Object.entries(conditions).map(([key, value]): [string, string[]] => [key, [value].flat()]);
  const decision = evaluate([policy], {
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::b/k',
    principal: { anonymous: false, ids: [] },
    conditions: new Map(entries),
  });
  return decision === 'allow';
}

/** Whether `operator` on the key x:key with the policy's `values` holds for a request's `request` values. */
function holds(operator: string, values: Values, request: string | string[] | undefined, others: RequestValues = {}): boolean {
  return allows({ [operator]: { 'x:key': values } }, request === undefined ? others : { ...others, 'x:key': request });
}

type Row = [string, Values, string | string[] | undefined, boolean];

function table(rows: Row[]): void {
  it.each(rows)('%s %j on %j: %s', (operator, values, request, expected) => {
    expect(holds(operator, values, request)).toBe(expected);
  });
}

describe('string operators', () => {
  table([
    ['StringEquals', 'abc', 'abc', true],
    ['StringEquals', 'abc', 'ABC', false],
    ['StringEquals', 'a*', 'abc', false],
    ['StringEquals', 'a*', 'a*', true],
    ['StringEquals', ['a', 'b'], 'b', true],
    ['StringEquals', 'abc', undefined, false],
    ['StringEquals', 10, '10', true],
    ['StringEquals', true, 'true', true],
    ['StringNotEquals', 'abc', 'abc', false],
    ['StringNotEquals', 'abc', 'xyz', true],
    ['StringNotEquals', ['a', 'b'], 'b', false],
    ['StringNotEquals', ['a', 'b'], 'c', true],
    ['StringEqualsIgnoreCase', 'ABC', 'abc', true],
    ['StringEqualsIgnoreCase', 'ABC', 'abd', false],
    ['StringNotEqualsIgnoreCase', 'ABC', 'abc', false],
    ['StringNotEqualsIgnoreCase', 'ABC', 'abd', true],
    ['StringLike', 'home/*', 'home/a/b', true],
    ['StringLike', 'home/*', 'hom', false],
    ['StringLike', 'file-?.txt', 'file-1.txt', true],
    ['StringLike', 'file-?.txt', 'file-10.txt', false],
    ['StringLike', ['', 'home/'], '', true],
    ['StringNotLike', 'home/*', 'other/x', true],
    ['StringNotLike', 'home/*', 'home/x', false],
  ]);
});

describe('numeric operators', () => {
  table([
    ['NumericEquals', '10', '10', true],
    ['NumericEquals', '10', '10.0', true],
    ['NumericEquals', '10', '1e1', true],
    ['NumericEquals', 10, '10', true],
    ['NumericEquals', '10', '11', false],
    ['NumericEquals', '10', 'ten', false],
    ['NumericEquals', '10', '0x0a', false],
    ['NumericNotEquals', '10', '11', true],
    ['NumericNotEquals', '10', '10', false],
    ['NumericNotEquals', '10', 'ten', false],
    ['NumericLessThan', '10', '9', true],
    ['NumericLessThan', '10', '10', false],
    ['NumericLessThanEquals', '10', '10', true],
    ['NumericLessThanEquals', '10', '10.5', false],
    ['NumericGreaterThan', '10', '11', true],
    ['NumericGreaterThan', '10', '10', false],
    ['NumericGreaterThanEquals', '-2.5', '-2.5', true],
    ['NumericGreaterThanEquals', '-2.5', '-3', false],
  ]);
});

describe('date operators (ISO 8601 or epoch seconds, on both sides)', () => {
  table([
    ['DateLessThan', '2026-01-01T00:00:00Z', '2025-12-31T23:59:59Z', true],
    ['DateLessThan', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', false],
    ['DateLessThanEquals', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', true],
    ['DateGreaterThan', '1767225600', '2026-01-01T00:00:01Z', true],
    ['DateGreaterThan', '2026-01-01T00:00:00Z', '1767225599', false],
    ['DateGreaterThanEquals', 1767225600, '2026-01-01', true],
    ['DateEquals', '2026-01-01', '2026-01-01T00:00:00Z', true],
    ['DateEquals', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00+01:00', true],
    ['DateEquals', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z', true],
    ['DateEquals', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.001Z', false],
    ['DateEquals', '2024-02-29', '2024-02-29T00:00:00Z', true],
    ['DateNotEquals', '2026-01-01', '2026-01-02', true],
    ['DateNotEquals', '2026-01-01', '2026-01-01', false],
    ['DateLessThan', '2026-01-01T00:00:00Z', 'yesterday', false],
    ['DateNotEquals', '2026-01-01T00:00:00Z', 'yesterday', false],
  ]);

  it('reads a time without a zone as UTC, not as local time', () => {
    expect(holds('DateEquals', '2026-06-01T12:00:00Z', '2026-06-01T12:00')).toBe(true);
  });
});

describe('Bool and BinaryEquals', () => {
  table([
    ['Bool', 'true', 'true', true],
    ['Bool', 'true', 'TRUE', true],
    ['Bool', true, 'true', true],
    ['Bool', 'false', 'false', true],
    ['Bool', 'true', 'false', false],
    ['Bool', 'true', 'yes', false],
    ['BinaryEquals', 'QmluYXJ5VmFsdWU=', 'QmluYXJ5VmFsdWU=', true],
    ['BinaryEquals', 'QmluYXJ5VmFsdWU=', 'T3RoZXJWYWx1ZQ==', false],
    ['BinaryEquals', 'QQ==', 'QR==', true],
  ]);
});

describe('IP address operators (IPv4 and IPv6 CIDR)', () => {
  table([
    ['IpAddress', '203.0.113.0/24', '203.0.113.9', true],
    ['IpAddress', '203.0.113.0/24', '203.0.114.1', false],
    ['IpAddress', '203.0.113.5', '203.0.113.5', true],
    ['IpAddress', '203.0.113.5', '203.0.113.6', false],
    ['IpAddress', '10.1.2.3/8', '10.9.9.9', true],
    ['IpAddress', '0.0.0.0/0', '198.51.100.7', true],
    ['IpAddress', ['192.0.2.0/24', '203.0.113.0/24'], '203.0.113.1', true],
    ['IpAddress', '2001:DB8:1234:5678::/64', '2001:db8:1234:5678:abcd::1', true],
    ['IpAddress', '2001:DB8:1234:5678::/64', '2001:db8:1234:5679::1', false],
    ['IpAddress', '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', true],
    ['IpAddress', '::/0', '2001:db8::1', true],
    ['IpAddress', '10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['IpAddress', '10.0.0.0/8', '::ffff:a01:203', true],
    ['IpAddress', '::ffff:10.0.0.0/104', '10.200.0.1', true],
    ['IpAddress', '10.0.0.0/8', '2001:db8::1', false],
    ['IpAddress', '::/0', '10.0.0.1', false],
    ['IpAddress', '10.0.0.0/8', 'not-an-ip', false],
    ['IpAddress', '10.0.0.0/8', '10.0.0.1%eth0', false],
    ['NotIpAddress', '10.0.0.0/8', '11.0.0.1', true],
    ['NotIpAddress', '10.0.0.0/8', '10.0.0.1', false],
    ['NotIpAddress', '10.0.0.0/8', 'not-an-ip', false],
  ]);
});

describe('ARN operators', () => {
  table([
    ['ArnLike', 'arn:aws:iam::111122223333:user/*', 'arn:aws:iam::111122223333:user/alice', true],
    ['ArnLike', 'arn:aws:iam::111122223333:user/*', 'arn:aws:iam::444455556666:user/alice', false],
    ['ArnEquals', 'arn:aws:iam::*:root', 'arn:aws:iam::111122223333:root', true],
    ['ArnLike', 'arn:aws:s3:::*', 'arn:aws:s3:::bucket/key:with:colons', true],
    // Each field is matched on its own: the `*` in the partition cannot swallow "aws:extra".
    ['ArnLike', 'arn:*:iam::1:root', 'arn:aws:extra:iam::1:root', false],
    ['ArnLike', 'arn:*:iam::1:root', 'arn:aws-cn:iam::1:root', true],
    ['ArnLike', 'arn:aws:iam::1:root', 'not-an-arn', false],
    ['ArnNotEquals', 'arn:aws:iam::1:root', 'arn:aws:iam::2:root', true],
    ['ArnNotLike', 'arn:aws:iam::1:*', 'arn:aws:iam::1:user/alice', false],
    ['ArnNotLike', 'arn:aws:iam::1:*', 'not-an-arn', false],
  ]);
});

describe('a key missing from the request ("IAM JSON policy elements: Condition operators")', () => {
  // "If the key that you specify in a policy condition is not present in the request context, the values do
  // not match and the condition is false. If the policy condition requires that the key is not matched, such
  // as StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
  table([
    ['StringEquals', 'a', undefined, false],
    ['StringLike', '*', undefined, false],
    ['NumericLessThan', '10', undefined, false],
    ['DateLessThan', '2100-01-01', undefined, false],
    ['Bool', 'false', undefined, false],
    ['BinaryEquals', 'QQ==', undefined, false],
    ['IpAddress', '0.0.0.0/0', undefined, false],
    ['ArnLike', 'arn:*:*:*:*:*', undefined, false],
    ['StringNotEquals', 'a', undefined, true],
    ['StringNotEqualsIgnoreCase', 'a', undefined, true],
    ['StringNotLike', 'a*', undefined, true],
    ['NumericNotEquals', '10', undefined, true],
    ['DateNotEquals', '2026-01-01', undefined, true],
    ['NotIpAddress', '10.0.0.0/8', undefined, true],
    ['ArnNotEquals', 'arn:aws:iam::1:root', undefined, true],
    ['ArnNotLike', 'arn:aws:iam::1:*', undefined, true],
    ['StringEquals', 'a', [], false],
    ['StringNotEquals', 'a', [], true],
  ]);
});

describe('...IfExists: true when the key is missing, the operator otherwise', () => {
  table([
    ['StringEqualsIfExists', 'a', undefined, true],
    ['StringEqualsIfExists', 'a', 'a', true],
    ['StringEqualsIfExists', 'a', 'b', false],
    ['StringNotLikeIfExists', 'a*', undefined, true],
    ['StringNotLikeIfExists', 'a*', 'abc', false],
    ['NumericLessThanIfExists', '10', undefined, true],
    ['NumericLessThanIfExists', '10', '20', false],
    ['DateGreaterThanIfExists', '2026-01-01', undefined, true],
    ['BoolIfExists', 'true', undefined, true],
    ['BoolIfExists', 'true', 'false', false],
    ['BinaryEqualsIfExists', 'QQ==', undefined, true],
    ['IpAddressIfExists', '10.0.0.0/8', undefined, true],
    ['IpAddressIfExists', '10.0.0.0/8', '11.0.0.1', false],
    ['ArnLikeIfExists', 'arn:aws:iam::1:*', undefined, true],
    ['ForAnyValue:StringEqualsIfExists', 'a', undefined, true],
  ]);
});

describe('Null: whether the key is there at all', () => {
  table([
    ['Null', 'true', undefined, true],
    ['Null', 'true', 'x', false],
    ['Null', 'true', [], true],
    ['Null', 'false', 'x', true],
    ['Null', 'false', undefined, false],
    ['Null', true, undefined, true],
    ['Null', ['true', 'false'], 'x', true],
  ]);
});

describe('several request values ("Conditions with multiple context keys or values")', () => {
  // Without a set prefix: a positive operator holds when any request value matches any policy value; a
  // negated one when no request value matches any (the policy values are a NOR).
  table([
    ['StringEquals', 'a', ['x', 'a'], true],
    ['StringEquals', 'a', ['x', 'y'], false],
    ['StringNotEquals', 'a', ['x', 'a'], false],
    ['StringNotEquals', 'a', ['x', 'y'], true],
    ['NotIpAddress', '10.0.0.0/8', ['11.0.0.1', '10.0.0.1'], false],
  ]);
});

describe('ForAllValues / ForAnyValue ("Single-valued vs. multivalued context keys")', () => {
  table([
    ['ForAllValues:StringEquals', ['Owner', 'CreationDate'], ['Owner'], true],
    ['ForAllValues:StringEquals', ['Owner', 'CreationDate'], ['CreationDate', 'Owner'], true],
    ['ForAllValues:StringEquals', ['Owner', 'CreationDate'], ['Owner', 'Project'], false],
    // "It also returns true if there are no context keys in the request."
    ['ForAllValues:StringEquals', ['Owner'], undefined, true],
    ['ForAllValues:StringEquals', ['Owner'], [], true],
    ['ForAnyValue:StringEquals', 'Project', ['Owner', 'Project'], true],
    ['ForAnyValue:StringEquals', 'Project', ['Owner'], false],
    ['ForAnyValue:StringEquals', 'Project', undefined, false],
    ['ForAnyValue:StringEquals', 'Project', [], false],
    ['ForAnyValue:StringNotEquals', 'a', ['a', 'b'], true],
    ['ForAnyValue:StringNotEquals', 'a', ['a'], false],
    ['ForAnyValue:StringNotEquals', 'a', undefined, false],
    ['ForAllValues:StringLike', 'team-*', ['team-a', 'team-b'], true],
    ['ForAllValues:NumericLessThan', '5', ['1', '2'], true],
    ['ForAllValues:NumericLessThan', '5', ['1', '9'], false],
    ['ForAllValues:NumericLessThan', '5', ['1', 'x'], false],
  ]);

  // "Multivalued context key examples": Deny with ForAllValues:StringNotLike {"aws:TagKeys": "key1*"}.
  it.each<[string[] | undefined, boolean]>([
    [['key1:legal'], false],
    [['key1:hr', 'key1:personnel'], false],
    [['key2:audit'], true],
    [undefined, true],
  ])('ForAllValues:StringNotLike "key1*" on %j: %s (the AWS example table)', (tagKeys, matches) => {
    expect(holds('ForAllValues:StringNotLike', 'key1*', tagKeys)).toBe(matches);
  });
});

describe('a condition block', () => {
  it('holds only when every operator holds (AND)', () => {
    const block = { StringEquals: { 's3:prefix': 'home/' }, NumericLessThanEquals: { 's3:max-keys': '100' } };
    expect(allows(block, { 's3:prefix': 'home/', 's3:max-keys': '10' })).toBe(true);
    expect(allows(block, { 's3:prefix': 'home/', 's3:max-keys': '1000' })).toBe(false);
    expect(allows(block, { 's3:prefix': 'other/', 's3:max-keys': '10' })).toBe(false);
  });

  it('holds only when every key of an operator holds (AND)', () => {
    const block = { StringEquals: { 's3:prefix': 'home/', 's3:delimiter': '/' } };
    expect(allows(block, { 's3:prefix': 'home/', 's3:delimiter': '/' })).toBe(true);
    expect(allows(block, { 's3:prefix': 'home/' })).toBe(false);
  });

  it('reads condition keys case-insensitively', () => {
    expect(allows({ IpAddress: { 'AWS:SourceIP': '10.0.0.0/8' } }, { 'aws:sourceip': '10.1.1.1' })).toBe(true);
    expect(allows({ StringEquals: { 's3:ExistingObjectTag/Project': 'blue' } }, { 's3:existingobjecttag/project': 'blue' })).toBe(true);
  });
});

describe('policy variables in condition values ("IAM policy elements: Variables and tags")', () => {
  const prefix = (value: string, request: RequestValues, version?: string) =>
    allows({ StringLike: { 's3:prefix': value } }, request, version);

  it.each<[string, RequestValues, boolean]>([
    ['home/${aws:username}/*', { 's3:prefix': 'home/alice/x', 'aws:username': 'alice' }, true],
    ['home/${aws:username}/*', { 's3:prefix': 'home/bob/x', 'aws:username': 'alice' }, false],
    ['home/${aws:username}/*', { 's3:prefix': 'home/alice/x' }, false],
    ['home/${aws:username}/*', { 's3:prefix': 'home/abc/x', 'aws:username': 'a*' }, false],
    ['home/${aws:username}/*', { 's3:prefix': 'home/a*/x', 'aws:username': 'a*' }, true],
    ['${*}', { 's3:prefix': '*' }, true],
    ['${*}', { 's3:prefix': 'x' }, false],
    ['cost-${?}', { 's3:prefix': 'cost-?' }, true],
    ['cost-${?}', { 's3:prefix': 'cost-1' }, false],
  ])('StringLike %j with %j: %s', (value, request, expected) => {
    expect(prefix(value, request)).toBe(expected);
  });

  it('resolves variables in ARN values, within the field they stand in', () => {
    const block = { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::1:user/${aws:username}' } };
    expect(allows(block, { 'aws:principalarn': 'arn:aws:iam::1:user/alice', 'aws:username': 'alice' })).toBe(true);
    expect(allows(block, { 'aws:principalarn': 'arn:aws:iam::1:user/bob', 'aws:username': 'alice' })).toBe(false);
    expect(allows(block, { 'aws:principalarn': 'arn:aws:iam::1:user/a:b', 'aws:username': 'a:b' })).toBe(true);
  });

  it('fails a negated operator, too, when its variable cannot be resolved (the statement does not apply)', () => {
    expect(holds('StringNotEquals', '${aws:username}', 'anything')).toBe(false);
    expect(holds('StringNotEquals', '${aws:username}', 'anything', { 'aws:username': 'alice' })).toBe(true);
    expect(holds('StringEquals', ['${aws:username}', 'anything'], 'anything')).toBe(true);
  });

  it('takes variables literally without Version 2012-10-17', () => {
    expect(prefix('${aws:username}', { 's3:prefix': '${aws:username}', 'aws:username': 'alice' }, '2008-10-17')).toBe(true);
    expect(prefix('${aws:username}', { 's3:prefix': 'alice', 'aws:username': 'alice' }, '2008-10-17')).toBe(false);
  });
});
