/** XML in and out: responses built from plain objects, request bodies parsed with hard limits. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from '../errors.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const ATTRIBUTE = '@_';
const TEXT = '#text';
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const NEEDS_ESCAPE = /[&<>"']/;

export function escapeXml(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]) : text;
}

function textOf(value: unknown): string {
  return escapeXml(value instanceof Date ? value.toISOString() : String(value));
}

/** Elements the caller wrote (and escaped) itself, placed as they are: for the long repeated lists of a listing. */
export class RawXml {
  constructor(readonly xml: string) {}
}

/**
 * One element per value: an array repeats the element, an object's `@_name` keys are attributes, its
 * `#text` its text and its other keys child elements in order; undefined is left out, null is empty;
 * RawXml stands for itself.
 */
function element(name: string, value: unknown): string {
  if (value === undefined) return '';
  if (value instanceof RawXml) return value.xml;
  if (value === null) return `<${name}/>`;
  if (Array.isArray(value)) {
    let out = '';
    for (const item of value) out += element(name, item);
    return out;
  }
  if (typeof value !== 'object' || value instanceof Date) return `<${name}>${textOf(value)}</${name}>`;
  let attributes = '';
  let content = '';
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith(ATTRIBUTE)) {
      if (child !== undefined && child !== null) attributes += ` ${key.slice(ATTRIBUTE.length)}="${textOf(child)}"`;
    } else if (key === TEXT) {
      if (child !== undefined && child !== null) content += textOf(child);
    } else content += element(key, child);
  }
  return `<${name}${attributes}>${content}</${name}>`;
}

/**
 * Serialises `{ Root: {...} }` as an XML document; the root gets the S3 namespace unless `namespace` is
 * false. Written here rather than with fast-xml-parser's builder: a ListObjects page of 1,000 keys is
 * the hottest XML there is, and the builder took about 3 ms of CPU per page to write it (npm run bench).
 */
export function toXml(root: string, body: Record<string, unknown>, namespace = true): string {
  const element_ = namespace ? { '@_xmlns': S3_XMLNS, ...body } : body;
  return `<?xml version="1.0" encoding="UTF-8"?>${element(root, element_)}`;
}

const parserOptions = {
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  // Numeric character references (&#34;) are what Go's encoding/xml writes for quotes (rclone, minio-go).
  htmlEntities: true,
  removeNSPrefix: true,
};
const parser = new XMLParser(parserOptions);
/** Keeps every text as sent; the whitespace between elements it also keeps goes in withoutLayout. */
const untrimmed = new XMLParser({ ...parserOptions, trimValues: false });

/** Largest XML request body accepted (DeleteObjects with 1,000 long keys fits well within it). */
export const MAX_XML_BODY = 2 * 1024 * 1024;

/** Removes the whitespace between elements that the untrimmed parser keeps as `#text`. */
function withoutLayout(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLayout);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    if (name === '#text' && typeof child === 'string' && child.trim() === '') continue;
    out[name] = withoutLayout(child);
  }
  return out;
}

/**
 * Parses a request body as XML; anything malformed is MalformedXML. `keepSpaces`: every value as
 * sent (keys, prefixes, tags may begin or end with spaces); an element holding only whitespace
 * then reads as that whitespace, which the caller tells from a value.
 */
export function parseXml(text: string, keepSpaces = false): Record<string, unknown> {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  try {
    return keepSpaces ? (withoutLayout(untrimmed.parse(text)) as Record<string, unknown>) : (parser.parse(text) as Record<string, unknown>);
  } catch {
    throw new S3Error('MalformedXML');
  }
}
