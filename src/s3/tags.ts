/**
 * Tags as S3 takes them: a Tagging document (PutBucketTagging, PutObjectTagging, a POST form's
 * `tagging` field) or the URL-encoded `x-amz-tagging` header of object writes, checked against AWS's
 * limits and characters.
 */
import { S3Error } from '../errors.js';
import { firstValue, type HeaderSource } from './object-request.js';
import { parseXml } from './xml.js';

export interface TagLimits {
  count: number;
  keyLength: number;
  valueLength: number;
}

/** AWS's limits for object tags. */
export const OBJECT_TAG_LIMITS: TagLimits = { count: 10, keyLength: 128, valueLength: 256 };


/** What AWS allows in a tag's key and value: letters, digits and spaces in any script, and `+ - = . _ : / @`. */
const TAG_CHARACTERS = /^[\p{L}\p{N}\p{Zs}+\-=._:/@]*$/u;

/** Checks tags in the order given (keys unique, each key and value within the limits). */
function checkTags(tags: [string, string][], limits: TagLimits, duplicate: () => S3Error): [string, string][] {
  if (tags.length > limits.count) {
    throw limits === OBJECT_TAG_LIMITS ? new S3Error('BadRequest', `Object tags cannot be greater than ${limits.count}`) : new S3Error('InvalidTag', `Cannot provide more than ${limits.count} tags.`);
  }
  const keys = new Set<string>();
  for (const [key, value] of tags) {
    // Lengths in UTF-16 units, as AWS counts them (a character outside the BMP takes two).
    if (key.length === 0 || key.length > limits.keyLength || !TAG_CHARACTERS.test(key)) throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid.');
    if (value.length > limits.valueLength || !TAG_CHARACTERS.test(value)) throw new S3Error('InvalidTag', 'The TagValue you have provided is invalid.');
    if (key.toLowerCase().startsWith('aws:')) throw new S3Error('InvalidTag', 'Your TagKey cannot be prefixed with aws:');
    if (keys.has(key)) throw duplicate();
    keys.add(key);
  }
  return tags;
}

/** The tags a Tagging document holds, checked as AWS checks them. */
export function parseTagSet(xml: string, limits: TagLimits): [string, string][] {
  // Spaces at either end of a key or value are theirs (a space is a tag character).
  const tagging = parseXml(xml, true).Tagging as { TagSet?: unknown } | undefined;
  if (!tagging || typeof tagging !== 'object' || !('TagSet' in tagging)) throw new S3Error('MalformedXML');
  const set = typeof tagging.TagSet === 'string' && tagging.TagSet.trim() === '' ? '' : tagging.TagSet;
  if (set !== '' && (typeof set !== 'object' || set === null || Array.isArray(set))) throw new S3Error('MalformedXML');
  const listed = set === '' ? [] : (set as { Tag?: unknown }).Tag;
  const entries = listed === undefined ? [] : Array.isArray(listed) ? listed : [listed];
  const tags = entries.map((entry): [string, string] => {
    const { Key: key, Value: value } = (entry ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof key !== 'string' || typeof value !== 'string') throw new S3Error('MalformedXML');
    return [key, value];
  });
  return checkTags(tags, limits, () => new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key.'));
}

const BAD_TAGGING_HEADER = "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.";

/** The tags of an object write's `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded); undefined without one. */
export function tagsFromHeader(source: HeaderSource): [string, string][] | undefined {
  const header = firstValue(source['x-amz-tagging']);
  if (header === undefined) return undefined;
  const tags: [string, string][] = [];
  for (const pair of header.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const decode = (text: string): string => {
      try {
        return decodeURIComponent(text.replace(/\+/g, ' '));
      } catch {
        throw new S3Error('InvalidArgument', BAD_TAGGING_HEADER, { ArgumentName: 'x-amz-tagging', ArgumentValue: header });
      }
    };
    tags.push(at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))]);
  }
  return checkTags(tags, OBJECT_TAG_LIMITS, () => new S3Error('InvalidArgument', BAD_TAGGING_HEADER, { ArgumentName: 'x-amz-tagging', ArgumentValue: header }));
}
