/**
 * Regression: boto3's default presigned URL for put_object with ContentType and Metadata is V2 and
 * carries those headers in its query (`content-type=...&x-amz-meta-owner=...`), signed there; S3
 * reads them from the query, so the URL is used with a plain PUT of the body alone. The server read
 * only headers: 403 SignatureDoesNotMatch (its StringToSign had an empty Content-Type and no
 * x-amz-meta-owner line), and nothing was stored.
 */
import { expect, it } from 'vitest';
import { BOTO3_MISSING, boto3Interpreters, boto3Script, clientSuite, describeBoto3Runs, boto3Fixture } from './compat.js';

const pythons = boto3Interpreters();

const SCRIPT = boto3Script(String.raw`
import http.client, urllib.parse

@step('presigned_put_without_headers')
def _():
    s3.create_bucket(Bucket=bucket)
    default = boto3.client('s3', endpoint_url=E['S3_ENDPOINT'], aws_access_key_id=E['S3_ACCESS_KEY'], aws_secret_access_key=E['S3_SECRET_KEY'],
                           region_name='us-east-1', config=Config(s3={'addressing_style': 'path'}))
    url = default.generate_presigned_url('put_object', Params={'Bucket': bucket, 'Key': 'up.txt', 'ContentType': 'text/x-v2',
                                                                 'Metadata': {'owner': 'ops'}}, ExpiresIn=300)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=30)
    conn.request('PUT', parts.path + '?' + parts.query, body=b'body only')
    res = conn.getresponse()
    answer = {'status': res.status, 'body': res.read().decode('utf-8', 'replace')[:1500]}
    head = s3.head_object(Bucket=bucket, Key='up.txt') if res.status == 200 else {}
    return {**answer, 'query': sorted(urllib.parse.parse_qs(parts.query)), 'type': head.get('ContentType'), 'metadata': head.get('Metadata')}
`);

clientSuite('boto3 V2 presigned PUT with its headers in the query', pythons.length > 0 ? undefined : BOTO3_MISSING, () => {
  const fixture = boto3Fixture('v2-query-headers', SCRIPT);

  describeBoto3Runs(
    pythons,
    { bigSize: 0, timeoutMs: 60_000, setup: fixture.setup('v2-query-headers') },
    (boto3) => {
      it('a plain PUT to the URL is accepted and stores the Content-Type and metadata the URL carries', () => {
        const s = boto3.step('presigned_put_without_headers');
        expect(s.query).toEqual(['AWSAccessKeyId', 'Expires', 'Signature', 'content-type', 'x-amz-meta-owner']);
        expect(s.status, s.body).toBe(200);
        expect(s.type).toBe('text/x-v2');
        expect(s.metadata).toEqual({ owner: 'ops' });
      });
    },
  );
});
