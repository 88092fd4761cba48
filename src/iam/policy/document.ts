/**
 * A policy document (identity or bucket policy), parsed and validated into the compiled, immutable form
 * evaluate() reads: actions expanded to the set of known actions they name, resources and condition values
 * compiled to matchers, principals to sets. Anything AWS (or S3, for bucket policies) would refuse is a
 * PolicyError saying what is wrong.
 */
import { ALL_ACTIONS, type Action } from '../actions.js';
import { compileConditions, isRecord, parseCidr, PolicyError, type CompiledCondition } from './conditions.js';
import { compilePattern, glob, globTest, type Pattern } from './wildcard.js';

export type PolicyKind = 'identity' | 'bucket';
export type Effect = 'Allow' | 'Deny';

export interface ActionMatch {
  /** NotAction: the statement applies to actions outside the set. */
  readonly negated: boolean;
  readonly actions: ReadonlySet<Action>;
}

export interface ResourceMatch {
  /** NotResource: the statement applies to resources none of the patterns match. */
  readonly negated: boolean;
  readonly patterns: readonly Pattern[];
}

export interface PrincipalMatch {
  /** NotPrincipal: the statement applies to everyone it does not name. */
  readonly negated: boolean;
  /** "*" or {"AWS": "*"}: every caller, anonymous ones too. */
  readonly everyone: boolean;
  readonly ids: ReadonlySet<string>;
}

export interface CompiledStatement {
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly actions: ActionMatch;
  readonly resources: ResourceMatch;
  /** Bucket policies only (identity policies apply to their holder). */
  readonly principals: PrincipalMatch | undefined;
  /** All must hold. */
  readonly conditions: readonly CompiledCondition[];
}

/** A parsed, validated, compiled policy. Immutable; cheap to evaluate many times. */
export interface Policy {
  readonly kind: PolicyKind;
  readonly statements: readonly CompiledStatement[];
  /** Lower-cased condition keys the policy's conditions (and policy variables) read. */
  readonly conditionKeys: ReadonlySet<string>;
  /** The document as given. */
  readonly text: string;
  /** The policy grants something to everyone, not narrowed to known sources (bucket policies only). */
  readonly isPublic: boolean;
}

/** S3's limit for bucket policies; MinIO's for the policies it stores for users and groups. */
const MAX_POLICY_BYTES: Readonly<Record<PolicyKind, number>> = { bucket: 20 * 1024, identity: 20 * 1024 };
/** The language version with policy variables; the other known one (and no Version at all) has none. */
const VARIABLES_VERSION = '2012-10-17';
const VERSIONS: ReadonlySet<unknown> = new Set([VARIABLES_VERSION, '2008-10-17']);
const POLICY_FIELDS: ReadonlySet<string> = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS: ReadonlySet<string> = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_TYPES: ReadonlySet<string> = new Set(['AWS', 'CanonicalUser', 'Service', 'Federated']);
const S3_ARN = 'arn:aws:s3:::';
const ACTION_SERVICES: ReadonlySet<string> = new Set(['s3', 'admin']);
const LOWER_CASE_ACTIONS = ALL_ACTIONS.map((action) => action.toLowerCase());

interface ParseContext {
  readonly kind: PolicyKind;
  readonly bucket: string | undefined;
  /** Policy variables are substituted (Version 2012-10-17). */
  readonly variables: boolean;
}

/**
 * Parses and validates `text`. A bucket policy names `bucket` (the bucket it is attached to) in every
 * Resource, and a Principal; an identity policy names no Principal.
 */
export function parsePolicy(text: string, kind: PolicyKind, bucket?: string): Policy {
  if (kind === 'bucket' && bucket === undefined) throw new TypeError('parsePolicy: a bucket policy needs the bucket it is attached to');
  const limit = MAX_POLICY_BYTES[kind];
  if (Buffer.byteLength(text, 'utf8') > limit) throw new PolicyError(`Policy is larger than the ${limit} bytes allowed`);
  const document = parseJson(text);
  checkFields(document, POLICY_FIELDS, 'the policy');
  if (document.Id !== undefined && typeof document.Id !== 'string') throw new PolicyError('Id must be a string');
  const context: ParseContext = { kind, bucket, variables: readVersion(document.Version) === VARIABLES_VERSION };
  const statements = statementList(document.Statement).map((statement, i) => compileStatementAt(statement, i, context));
  checkUniqueSids(statements);
  return Object.freeze({
    kind,
    statements: Object.freeze(statements),
    conditionKeys: keysRead(statements),
    text,
    isPublic: kind === 'bucket' && statements.some(grantsToEveryone),
  });
}

function parseJson(text: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`Policy is not valid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(document)) throw new PolicyError('Policy must be a JSON object');
  return document;
}

function checkFields(object: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  for (const field of Object.keys(object)) {
    if (!allowed.has(field)) throw new PolicyError(`Unknown field ${JSON.stringify(field)} in ${where}`);
  }
}

function readVersion(version: unknown): string {
  if (version === undefined) return '2008-10-17';
  if (!VERSIONS.has(version)) throw new PolicyError(`Version must be "2012-10-17" or "2008-10-17", not ${JSON.stringify(version)}`);
  return version as string;
}

function statementList(statement: unknown): unknown[] {
  const list = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  if (list.length === 0) throw new PolicyError('Policy has no Statement');
  return list;
}

function compileStatementAt(statement: unknown, index: number, context: ParseContext): CompiledStatement {
  try {
    return compileStatement(statement, context);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(`${err.message} (statement ${index + 1})`);
    throw err;
  }
}

function compileStatement(statement: unknown, context: ParseContext): CompiledStatement {
  if (!isRecord(statement)) throw new PolicyError('A statement must be an object');
  checkFields(statement, STATEMENT_FIELDS, 'a statement');
  const { Sid: sid, Effect: effect } = statement;
  if (sid !== undefined && typeof sid !== 'string') throw new PolicyError('Sid must be a string');
  if (effect !== 'Allow' && effect !== 'Deny') throw new PolicyError('Effect must be "Allow" or "Deny"');
  const actions = oneOf(statement, 'Action', 'NotAction');
  const resources = oneOf(statement, 'Resource', 'NotResource');
  return Object.freeze({
    sid,
    effect,
    actions: Object.freeze({ negated: actions.negated, actions: actionSet(actions.values) }),
    resources: Object.freeze({
      negated: resources.negated,
      patterns: Object.freeze(resources.values.map((resource) => compileResource(resource, context))),
    }),
    principals: compilePrincipals(statement, context.kind),
    conditions: Object.freeze(statement.Condition === undefined ? [] : compileConditions(statement.Condition, context.variables)),
  });
}

/** The element's strings, and whether it was the Not form; exactly one of the two must be there. */
function oneOf(statement: Record<string, unknown>, field: string, notField: string): { negated: boolean; values: string[] } {
  const negated = statement[notField] !== undefined;
  if (negated === (statement[field] !== undefined)) throw new PolicyError(`A statement needs exactly one of ${field} and ${notField}`);
  return { negated, values: stringList(negated ? statement[notField] : statement[field], negated ? notField : field) };
}

function stringList(value: unknown, field: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((item) => typeof item === 'string')) {
    throw new PolicyError(`${field} must be a string or a non-empty array of strings`);
  }
  return list;
}

function actionSet(patterns: readonly string[]): ReadonlySet<Action> {
  const actions = new Set<Action>();
  for (const pattern of patterns) {
    const named = actionsNamed(pattern);
    if (named.length === 0) throw new PolicyError(`Policy has invalid action: ${pattern}`);
    for (const action of named) actions.add(action);
  }
  return actions;
}

/** The known actions a pattern names; action names are case-insensitive, as AWS's are. */
function actionsNamed(pattern: string): readonly Action[] {
  if (pattern === '*') return ALL_ACTIONS;
  const colon = pattern.indexOf(':');
  if (colon < 0 || !ACTION_SERVICES.has(pattern.slice(0, colon).toLowerCase())) return [];
  const matcher = glob(pattern.toLowerCase());
  return ALL_ACTIONS.filter((_, i) => matcher.test(LOWER_CASE_ACTIONS[i]));
}

function compileResource(resource: string, context: ParseContext): Pattern {
  if (!isValidResource(resource, context)) throw new PolicyError(`Policy has invalid resource: ${resource}`);
  return compilePattern(resource, context.variables, globTest);
}

/** Bucket policies: the bucket itself or keys in it. Identity policies: "*" or any S3 ARN. */
function isValidResource(resource: string, { kind, bucket }: ParseContext): boolean {
  if (!resource.startsWith(S3_ARN)) return kind === 'identity' && resource === '*';
  const path = resource.slice(S3_ARN.length);
  if (kind === 'identity') return path.length > 0;
  const slash = path.indexOf('/');
  return (slash < 0 ? path : path.slice(0, slash)) === bucket;
}

function compilePrincipals(statement: Record<string, unknown>, kind: PolicyKind): PrincipalMatch | undefined {
  const { Principal: principal, NotPrincipal: notPrincipal } = statement;
  if (kind === 'identity') {
    if (principal !== undefined || notPrincipal !== undefined) throw new PolicyError('An identity policy cannot name a Principal or NotPrincipal');
    return undefined;
  }
  const negated = notPrincipal !== undefined;
  if (negated === (principal !== undefined)) throw new PolicyError('A bucket policy statement needs exactly one of Principal and NotPrincipal');
  return Object.freeze({ negated, ...principalSet(negated ? notPrincipal : principal, negated ? 'NotPrincipal' : 'Principal') });
}

function principalSet(value: unknown, field: string): { everyone: boolean; ids: ReadonlySet<string> } {
  if (value === '*') return { everyone: true, ids: new Set() };
  if (!isRecord(value) || Object.keys(value).length === 0) throw new PolicyError(`${field} must be "*" or an object such as {"AWS": [...]}`);
  let everyone = false;
  const ids = new Set<string>();
  for (const [type, names] of Object.entries(value)) {
    if (!PRINCIPAL_TYPES.has(type)) throw new PolicyError(`${field} has an unknown principal type ${JSON.stringify(type)}`);
    for (const name of stringList(names, `${field} ${type}`)) {
      if (type === 'AWS' && name === '*') everyone = true;
      else ids.add(name);
    }
  }
  return { everyone, ids };
}

function checkUniqueSids(statements: readonly CompiledStatement[]): void {
  const seen = new Set<string>();
  for (const { sid } of statements) {
    if (!sid) continue;
    if (seen.has(sid)) throw new PolicyError(`Policy has duplicate Sid ${JSON.stringify(sid)}`);
    seen.add(sid);
  }
}

function keysRead(statements: readonly CompiledStatement[]): ReadonlySet<string> {
  const keys = new Set<string>();
  for (const { resources, conditions } of statements) {
    for (const pattern of resources.patterns) for (const key of pattern.variables) keys.add(key);
    for (const condition of conditions) {
      keys.add(condition.key);
      for (const key of condition.variables) keys.add(key);
    }
  }
  return keys;
}

/**
 * Keys that, held to fixed values, confine a grant to known callers: S3's "The meaning of 'public'"
 * list (Blocking public access), with the principal keys MinIO's users name callers by.
 */
const KNOWN_SOURCE_KEYS: ReadonlySet<string> = new Set([
  'aws:sourcearn',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceowner',
  'aws:sourceaccount',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:principalorgid',
  'aws:userid',
  'aws:username',
  's3:x-amz-server-side-encryption-aws-kms-key-id',
  's3:dataaccesspointarn',
  's3:dataaccesspointaccount',
]);
/** Operators that hold only for the values listed (so, given fixed values, for known callers only). */
const MATCHING_OPERATORS: ReadonlySet<string> = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike']);

function grantsToEveryone({ effect, principals, conditions }: CompiledStatement): boolean {
  if (effect !== 'Allow' || principals === undefined) return false;
  const toEveryone = principals.negated ? !principals.everyone : principals.everyone;
  return toEveryone && !conditions.some(narrowsToKnownSources);
}

/**
 * The most addresses a set of ranges may cover together and still count as known sources: as many as
 * a /8 of IPv4, or a /32 of IPv6. Wider sets (two /1s, or 256 /8s) are as public as 0.0.0.0/0.
 */
const MAX_KNOWN_SOURCE_ADDRESSES: Record<number, number> = { 1: 2 ** 24, 4: 2 ** 96 };

function isNarrowCidrSet(values: readonly string[]): boolean {
  const covered: Record<number, number> = { 1: 0, 4: 0 };
  for (const value of values) {
    const cidr = parseCidr(value);
    if (!cidr) return false;
    const family = cidr.words.length;
    covered[family] += 2 ** (family * 32 - cidr.bits);
  }
  return covered[1] <= MAX_KNOWN_SOURCE_ADDRESSES[1] && covered[4] <= MAX_KNOWN_SOURCE_ADDRESSES[4];
}

/** A condition that a caller outside a fixed set of sources cannot meet (a missing key included). */
function narrowsToKnownSources({ key, base, set, ifExists, values }: CompiledCondition): boolean {
  if (ifExists || set === 'ForAllValues') return false;
  if (key === 'aws:sourceip') return base === 'IpAddress' && isNarrowCidrSet(values);
  return KNOWN_SOURCE_KEYS.has(key) && MATCHING_OPERATORS.has(base) && values.every((value) => !/[*?]|\$\{/.test(value));
}
