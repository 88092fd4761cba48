/**
 * boto3's generate_presigned_post against a real server: the fields it makes are sent as a
 * multipart form by urllib3 (a dependency of botocore, so present wherever boto3 is), as a browser
 * would send them, and the object is read back through boto3. Three clients sign the policy: a
 * default client (SigV2 fields today: AWSAccessKeyId, policy, signature), one asking for SigV2
 * explicitly (signature_version='s3') and one for SigV4 (signature_version='s3v4').
 *
 * The script runs under every distinct boto3 found (see compat.ts), and fails under CI=true when
 * there is none.
 */
import { expect, it } from 'vitest';
import { BOTO3_MISSING, boto3Interpreters, boto3Script, clientSuite, describeBoto3Runs, boto3Fixture } from './compat.js';

const found = boto3Interpreters();
const missing = found.length > 0 ? undefined : BOTO3_MISSING;

const SCRIPT = boto3Script(String.raw`
import re, urllib3

http = urllib3.PoolManager()
# S3's variable for the name of the uploaded file (spelled apart: this script sits in a JS template)
FILENAME = '$' + '{filename}'
CLIENTS = {
    'default': boto3.client('s3', endpoint_url=E['S3_ENDPOINT'], aws_access_key_id=E['S3_ACCESS_KEY'],
                            aws_secret_access_key=E['S3_SECRET_KEY'], region_name='us-east-1'),
    'sigv2': boto3.client('s3', endpoint_url=E['S3_ENDPOINT'], aws_access_key_id=E['S3_ACCESS_KEY'],
                          aws_secret_access_key=E['S3_SECRET_KEY'], region_name='us-east-1',
                          config=Config(signature_version='s3')),
    'sigv4': client(),
}

def upload(presigned, filename, data, **extra):
    # the fields as generated (plus any changed by the caller), then the file, as a browser form sends them
    fields = {**presigned['fields'], **extra, 'file': (filename, data, 'text/plain')}
    res = http.request('POST', presigned['url'], fields=fields, redirect=False)
    code = re.search(r'<Code>([^<]*)</Code>', res.data.decode('utf-8', 'replace'))
    return {'status': res.status, 'code': code.group(1) if code else None, 'body': res.data.decode('utf-8', 'replace')}

@step('create_bucket')
def _():
    s3.create_bucket(Bucket=bucket)

for name, signer in CLIENTS.items():
    @step('plain_' + name)
    def _(signer=signer, name=name):
        # The key boto3 users write most: a prefix and the file's own name.
        presigned = signer.generate_presigned_post(bucket, name + '/' + FILENAME, ExpiresIn=600)
        res = upload(presigned, 'hello.txt', b'hello from ' + name.encode())
        got = s3.get_object(Bucket=bucket, Key=name + '/hello.txt')
        return {'fields': sorted(presigned['fields']), 'upload': res, 'body': got['Body'].read().decode()}

    @step('conditions_' + name)
    def _(signer=signer, name=name):
        presigned = signer.generate_presigned_post(
            bucket, name + '/report.txt', ExpiresIn=600,
            Fields={'Content-Type': 'text/plain', 'success_action_status': '201', 'x-amz-meta-owner': 'alice'},
            Conditions=[['starts-with', '$Content-Type', 'text/'], {'success_action_status': '201'},
                        {'x-amz-meta-owner': 'alice'}, ['content-length-range', 1, 64]])
        created = upload(presigned, 'ignored.txt', b'report body')
        head = s3.head_object(Bucket=bucket, Key=name + '/report.txt')
        return {
            'created': created,
            'type': head['ContentType'],
            'metadata': head['Metadata'],
            'too_large': upload(presigned, 'big.txt', b'x' * 65),
            'other_type': upload(presigned, 'page.html', b'<p>', **{'Content-Type': 'image/png'}),
            'other_key': upload(presigned, 'x.txt', b'elsewhere', key='elsewhere/x.txt'),
            'forged': upload(presigned, 'x.txt', b'forged', **({'signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='}
                                                             if 'signature' in presigned['fields']
                                                             else {'x-amz-signature': '0' * 64})),
        }
`);

clientSuite('boto3 generate_presigned_post', missing, () => {
  const fixture = boto3Fixture('boto3-post', SCRIPT);

  describeBoto3Runs(
    found,
    {
      bigSize: 0,
      timeoutMs: 60_000,
      setup: fixture.setup('boto3-post'),
    },
    (boto3) => {
      it('create_bucket', () => {
        boto3.step('create_bucket');
      });

      it('signs with SigV2 fields when asked (signature_version="s3") and SigV4 fields when asked (s3v4)', () => {
        expect(boto3.step('plain_sigv2').fields).toEqual(['AWSAccessKeyId', 'key', 'policy', 'signature']);
        expect(boto3.step('plain_sigv4').fields).toEqual(['key', 'policy', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature']);
      });

      for (const client of ['default', 'sigv2', 'sigv4']) {
        it(`${client} client: a form with key prefix/\${filename} stores the file under its own name (204)`, () => {
          const s = boto3.step(`plain_${client}`);
          expect(s.upload.status, s.upload.body).toBe(204);
          expect(s.body).toBe(`hello from ${client}`);
        });

        it(`${client} client: Fields and Conditions (Content-Type, success_action_status 201, metadata, size) are met and enforced`, () => {
          const s = boto3.step(`conditions_${client}`);
          expect(s.created.status, s.created.body).toBe(201);
          expect(s.created.body).toContain(`<Key>${client}/report.txt</Key>`);
          expect([s.type, s.metadata]).toEqual(['text/plain', { owner: 'alice' }]);
          expect([s.too_large.status, s.too_large.code]).toEqual([400, 'EntityTooLarge']);
          expect([s.other_type.status, s.other_type.code]).toEqual([403, 'AccessDenied']);
          expect([s.other_key.status, s.other_key.code]).toEqual([403, 'AccessDenied']);
          expect([s.forged.status, s.forged.code]).toEqual([403, 'SignatureDoesNotMatch']);
        });
      }
    },
  );
});
