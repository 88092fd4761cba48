/**
 * Full drives (issue 10: "drives turned read-only, full (ENOSPC) or wiped"). A drive keeps free space
 * back from new data (src/storage/free-space.ts); here every drive's reserve is set above its free
 * space, so every drive is "full": writes of data answer 507 XTesseraStorageFull (not a 503 the SDK
 * retries), reads and deletes go on, and the server stays up and healthy. The torture suite fills
 * real (tmpfs) drives to ENOSPC.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'full';

describe('full drives', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it('refuse new data with 507 XTesseraStorageFull, and still serve reads and deletes', async () => {
    server = await TestServer.start({ drives: 4 });
    let s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kept = randomBytes(3 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept', Body: kept }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small', Body: 'x' }));
    s3.destroy();
    await server.stop();

    server.env = { TESSERA_DRIVE_RESERVE_MB: String(1024 * 1024 * 1024) };
    await server.launch();
    s3 = server.client({ maxAttempts: 1 });
    for (const [key, body] of [['large', randomBytes(2 * 1024 * 1024)], ['inline', randomBytes(1000)]] as const) {
      const err = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body })).then(() => undefined, (e: unknown) => e);
      expect(err, key).toBeInstanceOf(S3ServiceException);
      expect((err as S3ServiceException).name, key).toBe('XTesseraStorageFull');
      expect((err as S3ServiceException).$metadata.httpStatusCode, key).toBe(507);
    }
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(kept)).toBe(true);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'small' }));
    expect(await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'small' })).then(() => 'found', (e: S3ServiceException) => e.name)).toBe('NoSuchKey');
    expect(server.proc?.exitCode).toBeNull();
    s3.destroy();
  });
});
