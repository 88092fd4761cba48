/** XML in and out: responses built from plain objects, request bodies parsed with hard limits. */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from '../errors.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const builder = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: false, processEntities: true });

/** Serialises `{ Root: {...} }` as an XML document; the root gets the S3 namespace unless `namespace` is false. */
export function toXml(root: string, body: Record<string, unknown>, namespace = true): string {
  const element = namespace ? { '@_xmlns': S3_XMLNS, ...body } : body;
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, [root]: element }) as string;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  // Numeric character references (&#34;) are what Go's encoding/xml writes for quotes (rclone, minio-go).
  htmlEntities: true,
  removeNSPrefix: true,
});

/** Largest XML request body accepted (DeleteObjects with 1,000 long keys fits well within it). */
export const MAX_XML_BODY = 2 * 1024 * 1024;

/** Parses a request body as XML; anything malformed is MalformedXML. */
export function parseXml(text: string): Record<string, unknown> {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch {
    throw new S3Error('MalformedXML');
  }
}
