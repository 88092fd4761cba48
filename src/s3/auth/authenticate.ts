/** Who signed an S3 request: Signature Version 4 (header or URL), else Version 2 (header or URL). */
import { S3Error } from '../../errors.js';
import { sigV2Mechanism, verifySigV2, type SigV2Request } from './sigv2.js';
import { parseQuery, verifySigV4, type AuthResult } from './sigv4.js';

export function authenticate(req: SigV2Request, lookupSecret: (accessKey: string) => string | undefined, now: Date = new Date()): AuthResult {
  const v2 = sigV2Mechanism(req);
  if (v2 === undefined) return verifySigV4(req, lookupSecret, now);
  const names = new Set(parseQuery(req.rawQuery).map((p) => p.name));
  const v4Query = names.has('X-Amz-Algorithm') || names.has('X-Amz-Credential');
  const v2Query = v2 === 'header' && (names.has('Signature') || names.has('AWSAccessKeyId'));
  if (v4Query || v2Query) {
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { ArgumentName: 'Authorization', ArgumentValue: String(req.headers.authorization ?? '') },
    );
  }
  return verifySigV2(req, lookupSecret, now);
}
