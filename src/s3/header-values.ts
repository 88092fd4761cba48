/**
 * Client values that become response headers (stored content headers and user metadata, POST form
 * fields, response-* overrides) are checked where they come in, so that a bad one is a 400 for the
 * request that sent it and never a 500 for every later read. A form's redirect that cannot be sent is
 * dropped instead, as S3 drops one it cannot interpret.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { S3Error } from '../errors.js';

export const USER_METADATA_PREFIX = 'x-amz-meta-';
/** S3's limit on user metadata: the bytes of every x-amz-meta-* name (without the prefix) and value together. */
const MAX_USER_METADATA_BYTES = 2048;
/**
 * The other headers of one object (or one set of overrides) together, names and values: AWS's limit on
 * a PUT's headers, and well within what HTTP clients accept in a response (16 KB for Node's).
 */
const MAX_CONTENT_HEADER_BYTES = 8192;

/** Header values travel as bytes that Node reads and writes as Latin-1, so a valid value's length is its size on the wire. */
function wireBytes(text: string): number {
  return text.length;
}

/** A valid HTTP token (RFC 9110), as Node requires of header names. */
export function isHeaderName(name: string): boolean {
  try {
    validateHeaderName(name);
    return true;
  } catch {
    return false;
  }
}

/** What Node can write as a header value: tab, printable ASCII and Latin-1 (obs-text); no CR, LF, NUL or other controls. */
function isHeaderValue(value: string): boolean {
  try {
    validateHeaderValue('x', value);
    return true;
  } catch {
    return false;
  }
}

/** A name for error messages, with control characters escaped rather than sent. */
function printable(name: string): string {
  return /[\x00-\x1f\x7f]/.test(name) ? JSON.stringify(name) : name;
}

function invalidArgument(argument: string, message: string): S3Error {
  return new S3Error('InvalidArgument', message, { ArgumentName: printable(argument) });
}

/** InvalidArgument for a header name that is not a token; `argument` may be unknown (a request Node could not parse). */
export function badHeaderName(argument?: string): S3Error {
  const rule = "may contain only letters, digits and !#$%&'*+-.^_`|~";
  if (argument === undefined) return new S3Error('InvalidArgument', `A header name ${rule}.`);
  return invalidArgument(argument, `${printable(argument)} is not a valid header name: a name ${rule}.`);
}

export function badHeaderValue(argument: string): S3Error {
  return invalidArgument(argument, `The value of ${printable(argument)} may contain only tab, printable ASCII and Latin-1 characters: no control characters such as CR, LF or NUL.`);
}

/** Bytes used so far by a set of headers, against the two limits. */
interface Usage {
  metadata: number;
  content: number;
}

/** Why header `name: value` cannot be kept, or undefined when it can (and is counted in `usage`); `argument` is what the client called it. */
function headerProblem(name: string, value: string, usage: Usage, argument: string): S3Error | undefined {
  if (!isHeaderName(name)) return badHeaderName(argument);
  if (!isHeaderValue(value)) return badHeaderValue(argument);
  if (name.startsWith(USER_METADATA_PREFIX)) {
    const bytes = wireBytes(name.slice(USER_METADATA_PREFIX.length)) + wireBytes(value);
    if (usage.metadata + bytes > MAX_USER_METADATA_BYTES) return new S3Error('MetadataTooLarge');
    usage.metadata += bytes;
    return undefined;
  }
  const bytes = wireBytes(name) + wireBytes(value);
  if (usage.content + bytes > MAX_CONTENT_HEADER_BYTES) {
    return invalidArgument(argument, `The value of ${printable(argument)} is too long: the headers stored or sent with an object may take at most ${MAX_CONTENT_HEADER_BYTES} bytes.`);
  }
  usage.content += bytes;
  return undefined;
}

/**
 * Checks headers about to be stored or sent (lower-cased names): InvalidArgument naming the first bad
 * one, or MetadataTooLarge. `argumentOf` maps a header to the request argument it came from.
 */
export function checkHeaders(headers: Record<string, string>, argumentOf: (name: string) => string = (name) => name): void {
  const usage: Usage = { metadata: 0, content: 0 };
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerProblem(name, value, usage, argumentOf(name));
    if (problem) throw problem;
  }
}

/** The headers that can be sent, and the names of those that cannot (records written before these checks). */
export function sendableHeaders(headers: Record<string, string>): { sendable: Record<string, string>; dropped: string[] } {
  const usage: Usage = { metadata: 0, content: 0 };
  const sendable: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (headerProblem(name, value, usage, name)) dropped.push(printable(name));
    else sendable[name] = value;
  }
  return { sendable, dropped };
}

/**
 * Where a form upload sends the browser (success_action_redirect): the absolute http(s) URL `value`
 * with `params` added to its query, form-encoded. Undefined when `value` is no such URL, or the result
 * is too long to send: S3 then answers as if the form had asked for no redirect.
 */
export function redirectLocation(value: string, params: Record<string, string>): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const added = new URLSearchParams(params).toString();
  url.search = url.search === '' ? added : `${url.search.slice(1)}&${added}`;
  const location = url.toString();
  return wireBytes('location') + wireBytes(location) <= MAX_CONTENT_HEADER_BYTES ? location : undefined;
}
