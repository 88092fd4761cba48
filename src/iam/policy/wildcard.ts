/**
 * Text patterns as policies write them.
 *
 * A glob: `*` matches any run of characters (`/` and the empty run included), `?` exactly one, anything
 * else itself. Globs come from users, so matching never backtracks past one star: the glob is cut at its
 * stars into segments, and each middle segment is taken at its leftmost fit, which is always safe for `*`
 * (a later fit would only leave less room for the segments after it). At worst O(input × pattern).
 *
 * A pattern: policy text that may also hold policy variables (`${aws:username}`) and the escapes `${*}`
 * `${?}` `${$}`. A variable's value, like an escape, is taken literally: a user named `a*` is no wildcard.
 */

const STAR: unique symbol = Symbol('*');
const ONE: unique symbol = Symbol('?');
/** A piece of a glob: literal text, `*` or `?`. */
type GlobPiece = string | typeof STAR | typeof ONE;

export interface Glob {
  test(input: string): boolean;
}

/** Literal chunks with exactly one arbitrary character between each two (the `?`s). */
class Segment {
  readonly length: number;

  constructor(readonly chunks: readonly string[]) {
    this.length = chunks.reduce((sum, chunk) => sum + chunk.length, chunks.length - 1);
  }

  matchesAt(input: string, at: number): boolean {
    for (const chunk of this.chunks) {
      if (!input.startsWith(chunk, at)) return false;
      at += chunk.length + 1;
    }
    return true;
  }

  /** The leftmost start at or after `from` where the segment fits wholly before `end`; -1 when none. */
  find(input: string, from: number, end: number): number {
    const last = end - this.length;
    const first = this.chunks[0];
    for (let at = from; at <= last; at++) {
      if (first.length > 0) {
        at = input.indexOf(first, at);
        if (at < 0 || at > last) return -1;
      }
      if (this.matchesAt(input, at)) return at;
    }
    return -1;
  }
}

class ExactGlob implements Glob {
  constructor(private readonly segment: Segment) {}

  test(input: string): boolean {
    return input.length === this.segment.length && this.segment.matchesAt(input, 0);
  }
}

class StarGlob implements Glob {
  private readonly minLength: number;

  constructor(
    private readonly head: Segment,
    private readonly middles: readonly Segment[],
    private readonly tail: Segment,
  ) {
    this.minLength = middles.reduce((sum, segment) => sum + segment.length, head.length + tail.length);
  }

  test(input: string): boolean {
    if (input.length < this.minLength) return false;
    const end = input.length - this.tail.length;
    if (!this.head.matchesAt(input, 0) || !this.tail.matchesAt(input, end)) return false;
    let at = this.head.length;
    for (const segment of this.middles) {
      const found = segment.find(input, at, end);
      if (found < 0) return false;
      at = found + segment.length;
    }
    return true;
  }
}

function compileGlob(pieces: readonly GlobPiece[]): Glob {
  const segments: Segment[] = [];
  let chunks = [''];
  for (const piece of pieces) {
    if (piece === STAR) {
      segments.push(new Segment(chunks));
      chunks = [''];
    } else if (piece === ONE) {
      chunks.push('');
    } else {
      chunks[chunks.length - 1] += piece;
    }
  }
  const tail = new Segment(chunks);
  if (segments.length === 0) return new ExactGlob(tail);
  // Runs of stars leave empty segments between them: dropping them is what collapses `a**b` to `a*b`.
  const middles = segments.slice(1).filter((segment) => segment.length > 0);
  return new StarGlob(segments[0], middles, tail);
}

/** Splits text into glob pieces: its `*` and `?` are wildcards. */
function globPieces(text: string): GlobPiece[] {
  const pieces: GlobPiece[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '*' && c !== '?') continue;
    if (i > start) pieces.push(text.slice(start, i));
    pieces.push(c === '*' ? STAR : ONE);
    start = i + 1;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

export function glob(text: string): Glob {
  return compileGlob(globPieces(text));
}

/** Condition values by lower-cased key, as a request carries them. */
export type Conditions = ReadonlyMap<string, readonly string[]>;

/** Text to take literally: an escape, or a variable's value. */
export interface Literal {
  readonly literal: string;
}
/** A piece of policy text once its variables are resolved: raw policy text (its wildcards live), or a Literal. */
export type ResolvedPiece = string | Literal;
/** A variable, by lower-cased key. */
interface Variable {
  readonly variable: string;
}
type TemplatePiece = ResolvedPiece | Variable;

/** Builds a test of request values from a pattern's resolved pieces (one per operator family). */
export type TestBuilder = (pieces: readonly ResolvedPiece[]) => (value: string) => boolean;

export interface Pattern {
  /** The test for this request; undefined when a variable it names has no single value in `conditions`. */
  resolve(conditions: Conditions): ((value: string) => boolean) | undefined;
  /** The lower-cased keys its variables read. */
  readonly variables: readonly string[];
}

/** `${*}`, `${?}` and `${$}`: the characters themselves, never wildcards or variables. */
const ESCAPES: ReadonlySet<string> = new Set(['*', '?', '$']);

/** Splits policy text into raw text, escapes and (when `variables`, i.e. Version 2012-10-17) variables. */
function templatePieces(text: string, variables: boolean): TemplatePiece[] {
  if (!variables) return [text];
  const pieces: TemplatePiece[] = [];
  let start = 0;
  for (let open = text.indexOf('${'); open >= 0; open = text.indexOf('${', start)) {
    const close = text.indexOf('}', open + 2);
    if (close < 0) break;
    const name = text.slice(open + 2, close);
    if (name.length === 0) {
      // `${}` names nothing: it stays text.
      pieces.push(text.slice(start, close + 1));
    } else {
      if (open > start) pieces.push(text.slice(start, open));
      pieces.push(ESCAPES.has(name) ? { literal: name } : { variable: name.toLowerCase() });
    }
    start = close + 1;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

function isVariable(piece: TemplatePiece): piece is Variable {
  return typeof piece === 'object' && 'variable' in piece;
}

/**
 * The variables' values as one key (each length-prefixed when there are several, so no two substitutions
 * share one); undefined when a variable has no single value in the request.
 */
function substitution(keys: readonly string[], conditions: Conditions): string | undefined {
  let substituted = '';
  for (const key of keys) {
    const values = conditions.get(key);
    if (values?.length !== 1) return undefined;
    substituted = keys.length === 1 ? values[0] : `${substituted}${values[0].length}:${values[0]}`;
  }
  return substituted;
}

/** The pieces with each variable's (single) value in its place. */
function substitute(pieces: readonly TemplatePiece[], conditions: Conditions): ResolvedPiece[] {
  return pieces.map((piece) => (isVariable(piece) ? { literal: (conditions.get(piece.variable) as readonly string[])[0] } : piece));
}

/** How many resolved tests a pattern keeps (per distinct substitution) before starting afresh. */
const RESOLVED_TESTS_KEPT = 256;

/**
 * Compiles policy text once. With variables, a request's test is built for its values on first use (then
 * kept). The builder runs here even then (variables standing in as empty text), so a malformed value is
 * refused now.
 */
export function compilePattern(text: string, variables: boolean, build: TestBuilder): Pattern {
  const pieces = templatePieces(text, variables);
  const keys = [...new Set(pieces.filter(isVariable).map((piece) => piece.variable))];
  const test = build(pieces.map((piece) => (isVariable(piece) ? { literal: '' } : piece)));
  if (keys.length === 0) return { resolve: () => test, variables: keys };
  // The same few callers ask again and again: their tests are kept, by the values substituted.
  const built = new Map<string, (value: string) => boolean>();
  return {
    resolve: (conditions) => {
      const substituted = substitution(keys, conditions);
      if (substituted === undefined) return undefined;
      let resolved = built.get(substituted);
      if (resolved === undefined) {
        if (built.size >= RESOLVED_TESTS_KEPT) built.clear();
        resolved = build(substitute(pieces, conditions));
        built.set(substituted, resolved);
      }
      return resolved;
    },
    variables: keys,
  };
}

/** The text the pieces stand for, wildcards read as plain characters. */
export function plainText(pieces: readonly ResolvedPiece[]): string {
  return pieces.map((piece) => (typeof piece === 'string' ? piece : piece.literal)).join('');
}

/** Test builder for glob families (Resource, StringLike, ArnLike): wildcards in raw text, literals as they are. */
export function globTest(pieces: readonly ResolvedPiece[]): (value: string) => boolean {
  const compiled = compileGlob(pieces.flatMap((piece) => (typeof piece === 'string' ? globPieces(piece) : [piece.literal])));
  return (value) => compiled.test(value);
}
