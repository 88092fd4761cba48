/**
 * A statement's Condition block, compiled: every operator AWS documents (String*, Numeric*, Date*, Bool,
 * BinaryEquals, IpAddress/NotIpAddress, Arn*, Null), each with `IfExists` (but Null) and the set
 * prefixes `ForAnyValue:` / `ForAllValues:`. Policy values are parsed once, here; a malformed one is a
 * PolicyError. Request values are read per request; one that cannot be read as the operator's type gives
 * no verdict, which satisfies neither a positive nor a negated operator.
 *
 * What a key missing from the request means follows the IAM user guide ("IAM JSON policy elements:
 * Condition operators"): false, except true for the negated operators (StringNotEquals, NotIpAddress, ...)
 * and for ...IfExists; Null tests presence itself. ForAllValues holds for a missing key and ForAnyValue does
 * not ("Single-valued vs. multivalued context keys").
 */
import { compilePattern, globTest, plainText, type Conditions, type ResolvedPiece, type TestBuilder } from './wildcard.js';

/** A policy refused: message says what is wrong, for S3's MalformedPolicy / the admin API. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

export type SetOperator = 'ForAnyValue' | 'ForAllValues';

/** One operator applied to one key. */
export interface CompiledCondition {
  /** The operator without set prefix or IfExists, e.g. 'StringLike'. */
  readonly base: string;
  readonly set: SetOperator | undefined;
  readonly ifExists: boolean;
  /** Lower-cased. */
  readonly key: string;
  /** The policy's values as written (numbers and booleans as their JSON text). */
  readonly values: readonly string[];
  /** Lower-cased keys the values' policy variables read. */
  readonly variables: readonly string[];
  holds(conditions: Conditions): boolean;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compiles a statement's Condition element; `variables` when the policy's Version substitutes them. */
export function compileConditions(block: unknown, variables: boolean): CompiledCondition[] {
  if (!isRecord(block)) throw new PolicyError('Condition must be an object of condition operators');
  const compiled: CompiledCondition[] = [];
  for (const [operator, keys] of Object.entries(block)) {
    if (!isRecord(keys) || Object.keys(keys).length === 0) {
      throw new PolicyError(`Condition operator ${operator} must map one or more condition keys to values`);
    }
    for (const [key, values] of Object.entries(keys)) {
      compiled.push(compileCondition(operator, key, conditionValues(operator, key, values), variables));
    }
  }
  return compiled;
}

function conditionValues(operator: string, key: string, value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new PolicyError(`Condition ${operator} on ${key} has an empty list of values`);
  return list.map((item) => {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw new PolicyError(`Condition ${operator} on ${key}: values must be strings, numbers or booleans`);
  });
}

/**
 * A request value against all of one condition's policy values: true when one matches, false when none
 * does, undefined for no verdict (the value unreadable as the operator's type, or a policy variable the
 * request cannot resolve: AWS then counts the statement as not matching, whichever the operator's sense).
 */
type ValuesTest = (requestValue: string, conditions: Conditions) => boolean | undefined;

interface CompiledValues {
  readonly test: ValuesTest;
  /** Lower-cased keys the values' policy variables read. */
  readonly variables: readonly string[];
}

interface Operator {
  readonly negated: boolean;
  compile(values: readonly string[], variables: boolean): CompiledValues;
}

function compileCondition(name: string, rawKey: string, values: readonly string[], variables: boolean): CompiledCondition {
  const key = rawKey.toLowerCase();
  if (!/^[^:]+:./.test(key)) throw new PolicyError(`Condition key "${rawKey}" is not of the form prefix:name`);
  const { base, set, ifExists } = splitOperatorName(name);
  if (base === 'Null') {
    if (set !== undefined || ifExists) throw new PolicyError(`Condition operator ${name}: Null takes no set prefix or IfExists`);
    return { base, set, ifExists, key, values, variables: [], holds: nullTest(key, values) };
  }
  const operator = OPERATORS.get(base);
  if (!operator) throw new PolicyError(`Unknown condition operator ${name}`);
  const compiled = compileValues(operator, name, rawKey, values, variables);
  const every = set === undefined ? operator.negated : set === 'ForAllValues';
  const whenAbsent = ifExists || (set === undefined ? operator.negated : set === 'ForAllValues');
  return {
    base,
    set,
    ifExists,
    key,
    values,
    variables: compiled.variables,
    holds: requestValuesTest(key, compiled.test, operator.negated, every, whenAbsent),
  };
}

function compileValues(operator: Operator, name: string, key: string, values: readonly string[], variables: boolean): CompiledValues {
  try {
    return operator.compile(values, variables);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(`Condition ${name} on ${key}: ${err.message}`);
    throw err;
  }
}

function splitOperatorName(name: string): { base: string; set: SetOperator | undefined; ifExists: boolean } {
  let rest = name;
  let set: SetOperator | undefined;
  for (const prefix of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  const ifExists = rest.length > 'IfExists'.length && rest.endsWith('IfExists');
  return { base: ifExists ? rest.slice(0, -'IfExists'.length) : rest, set, ifExists };
}

/**
 * Without a set prefix a positive operator holds when some request value matches, a negated one when
 * none does (every value passes the negation); ForAnyValue asks some value to pass, ForAllValues every one.
 */
function requestValuesTest(key: string, test: ValuesTest, negated: boolean, every: boolean, whenAbsent: boolean) {
  return (conditions: Conditions): boolean => {
    const values = conditions.get(key);
    if (values === undefined || values.length === 0) return whenAbsent;
    for (const value of values) {
      const verdict = test(value, conditions);
      const passes = negated ? verdict === false : verdict === true;
      if (passes !== every) return passes;
    }
    return every;
  };
}

function nullTest(key: string, values: readonly string[]): (conditions: Conditions) => boolean {
  const expected = values.map((value) => required(readBool(value), value, 'true or false'));
  return (conditions) => {
    const absent = (conditions.get(key)?.length ?? 0) === 0;
    return expected.includes(absent);
  };
}

function required<T>(parsed: T | undefined, text: string, what: string): T {
  if (parsed === undefined) throw new PolicyError(`"${text}" is not ${what}`);
  return parsed;
}

/** Operators on typed values (numbers, dates, ...): no policy variables, values parsed at compile time. */
function typed<P, R>(
  readPolicy: (text: string) => P | undefined,
  readRequest: (text: string) => R | undefined,
  what: string,
  matches: (request: R, policy: P) => boolean,
  negated: boolean,
): Operator {
  return {
    negated,
    compile(values) {
      const policy = values.map((value) => required(readPolicy(value), value, what));
      const test: ValuesTest = (text) => {
        const request = readRequest(text);
        if (request === undefined) return undefined;
        for (const value of policy) if (matches(request, value)) return true;
        return false;
      };
      return { test, variables: [] };
    },
  };
}

/** Operators on text patterns (String*, Arn*): policy variables allowed, as AWS allows them only here. */
function patterned(build: TestBuilder, negated: boolean, readable: (text: string) => boolean = () => true): Operator {
  return {
    negated,
    compile(values, variables) {
      const patterns = values.map((value) => compilePattern(value, variables, build));
      const test: ValuesTest = (text, conditions) => {
        if (!readable(text)) return undefined;
        let unresolved = false;
        for (const pattern of patterns) {
          const matches = pattern.resolve(conditions);
          if (matches === undefined) unresolved = true;
          else if (matches(text)) return true;
        }
        return unresolved ? undefined : false;
      };
      return { test, variables: [...new Set(patterns.flatMap((pattern) => pattern.variables))] };
    },
  };
}

const exactTest: TestBuilder = (pieces) => {
  const text = plainText(pieces);
  return (value) => value === text;
};

const ignoreCaseTest: TestBuilder = (pieces) => {
  const text = plainText(pieces).toLowerCase();
  return (value) => value.toLowerCase() === text;
};

const ARN_FIELDS = 6;

/** An ARN's six colon-separated fields (the last keeps any further colons); undefined when it has fewer. */
function arnFields(value: string): string[] | undefined {
  const fields: string[] = [];
  let start = 0;
  for (let i = 1; i < ARN_FIELDS; i++) {
    const colon = value.indexOf(':', start);
    if (colon < 0) return undefined;
    fields.push(value.slice(start, colon));
    start = colon + 1;
  }
  fields.push(value.slice(start));
  return fields;
}

/** The pattern's pieces per ARN field: only the policy's own colons separate fields, never a variable's. */
function arnPieceFields(pieces: readonly ResolvedPiece[]): ResolvedPiece[][] {
  const fields: ResolvedPiece[][] = [[]];
  for (const piece of pieces) {
    let rest = piece;
    for (let colon; typeof rest === 'string' && fields.length < ARN_FIELDS && (colon = rest.indexOf(':')) >= 0; ) {
      fields[fields.length - 1].push(rest.slice(0, colon));
      fields.push([]);
      rest = rest.slice(colon + 1);
    }
    fields[fields.length - 1].push(rest);
  }
  if (fields.length < ARN_FIELDS) throw new PolicyError(`"${plainText(pieces)}" is not an ARN (arn:partition:service:region:account:resource)`);
  return fields;
}

/** ArnEquals and ArnLike alike (as AWS documents them): each field matched on its own, with wildcards. */
const arnTest: TestBuilder = (pieces) => {
  const fieldTests = arnPieceFields(pieces).map(globTest);
  return (value) => {
    const fields = arnFields(value);
    return fields !== undefined && fieldTests.every((test, i) => test(fields[i]));
  };
};

const isArn = (value: string): boolean => arnFields(value) !== undefined;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function readNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

const EPOCH_SECONDS = /^\d+$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/** Milliseconds since the epoch of a W3C ISO 8601 date (UTC unless zoned) or of epoch seconds. */
function readDate(text: string): number | undefined {
  if (EPOCH_SECONDS.test(text)) return Number(text) * 1000;
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = m;
  if (+month < 1 || +month > 12 || +day < 1 || +day > daysIn(+year, +month)) return undefined;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  // Date.parse would read a zoneless time as local time, and takes at most milliseconds.
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${fraction.slice(0, 4)}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function readBool(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Base64 in one canonical spelling, so two encodings of the same bytes compare equal. */
function readBase64(text: string): string | undefined {
  return BASE64.test(text) ? Buffer.from(text, 'base64').toString('base64') : undefined;
}

/** An IPv4 address as one 32-bit word, an IPv6 address as four. */
type Address = readonly number[];

export interface Cidr {
  readonly words: Address;
  readonly masks: Address;
  readonly bits: number;
}

function readIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets.reduce((word, octet) => word * 256 + octet, 0);
}

/** 16-bit groups; the last may be a dotted IPv4 address (two groups) when `ipv4Tail`. */
function hexGroups(text: string, ipv4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    if (ipv4Tail && i === parts.length - 1 && part.includes('.')) {
      const word = readIpv4(part);
      if (word === undefined) return undefined;
      groups.push(Math.floor(word / 0x10000), word % 0x10000);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function readIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = hexGroups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? hexGroups(halves[1], true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return [0, 1, 2, 3].map((i) => groups[2 * i] * 0x10000 + groups[2 * i + 1]);
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address it maps. */
function isIpv4Mapped(words: Address): boolean {
  return words.length === 4 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

function readAddress(text: string): Address | undefined {
  const v4 = readIpv4(text);
  if (v4 !== undefined) return [v4];
  const v6 = readIpv6(text);
  return v6 && (isIpv4Mapped(v6) ? [v6[3]] : v6);
}

/** A CIDR block (an address alone is its own /32 or /128), host bits cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefix, extra] = text.split('/');
  if (extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) return undefined;
  const v4 = readIpv4(address);
  let words = v4 !== undefined ? [v4] : readIpv6(address);
  if (!words) return undefined;
  let bits = prefix === undefined ? words.length * 32 : Number(prefix);
  if (isIpv4Mapped(words) && bits >= 96) {
    words = [words[3]];
    bits -= 96;
  }
  if (bits > words.length * 32) return undefined;
  const masks = words.map((_, i) => {
    const kept = Math.min(32, Math.max(0, bits - 32 * i));
    return kept === 0 ? 0 : (0xffffffff << (32 - kept)) >>> 0;
  });
  return { words: words.map((word, i) => (word & masks[i]) >>> 0), masks, bits };
}

function inCidr(address: Address, cidr: Cidr): boolean {
  return address.length === cidr.words.length && address.every((word, i) => ((word & cidr.masks[i]) >>> 0) === cidr.words[i]);
}

/** The six comparisons of an ordered family (Numeric, Date), request value on the left. */
function ordered(family: string, read: (text: string) => number | undefined, what: string): [string, Operator][] {
  const op = (matches: (request: number, policy: number) => boolean, negated = false) => typed(read, read, what, matches, negated);
  const equal = (a: number, b: number) => a === b;
  return [
    [`${family}Equals`, op(equal)],
    [`${family}NotEquals`, op(equal, true)],
    [`${family}LessThan`, op((a, b) => a < b)],
    [`${family}LessThanEquals`, op((a, b) => a <= b)],
    [`${family}GreaterThan`, op((a, b) => a > b)],
    [`${family}GreaterThanEquals`, op((a, b) => a >= b)],
  ];
}

const same = <T>(a: T, b: T): boolean => a === b;

const OPERATORS: ReadonlyMap<string, Operator> = new Map([
  ['StringEquals', patterned(exactTest, false)],
  ['StringNotEquals', patterned(exactTest, true)],
  ['StringEqualsIgnoreCase', patterned(ignoreCaseTest, false)],
  ['StringNotEqualsIgnoreCase', patterned(ignoreCaseTest, true)],
  ['StringLike', patterned(globTest, false)],
  ['StringNotLike', patterned(globTest, true)],
  ...ordered('Numeric', readNumber, 'a number'),
  ...ordered('Date', readDate, 'an ISO 8601 date or epoch seconds'),
  ['Bool', typed(readBool, readBool, 'true or false', same, false)],
  ['BinaryEquals', typed(readBase64, readBase64, 'base64', same, false)],
  ['IpAddress', typed(parseCidr, readAddress, 'an IP address or CIDR block', inCidr, false)],
  ['NotIpAddress', typed(parseCidr, readAddress, 'an IP address or CIDR block', inCidr, true)],
  ['ArnEquals', patterned(arnTest, false, isArn)],
  ['ArnLike', patterned(arnTest, false, isArn)],
  ['ArnNotEquals', patterned(arnTest, true, isArn)],
  ['ArnNotLike', patterned(arnTest, true, isArn)],
]);
