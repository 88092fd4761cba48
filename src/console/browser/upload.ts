/**
 * Uploading one file: a single PUT below MULTIPART_FROM, otherwise a multipart upload of PART_SIZE
 * parts (larger for files of over MAX_PARTS of them), PARALLEL_PARTS at a time, its progress the sum
 * of its parts'; a failure or a cancel aborts the multipart upload so no parts are left behind. Also:
 * the files a drop carries, folders walked.
 */
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, putObject, uploadPart } from '../api/s3.js';
import type { Session } from '../api/session.js';

const MiB = 1024 * 1024;
export const MULTIPART_FROM = 16 * MiB;
export const PART_SIZE = 8 * MiB;
const PARALLEL_PARTS = 3;
/** S3's limit on a multipart upload's parts: a file over 78 GiB gets larger parts. */
const MAX_PARTS = 10_000;

export async function uploadFile(session: Session, bucket: string, key: string, file: Blob, onProgress: (sent: number) => void, signal: AbortSignal): Promise<void> {
  if (file.size < MULTIPART_FROM) return putObject(session, bucket, key, file, onProgress, signal);
  const uploadId = await createMultipartUpload(session, bucket, key, file.type);
  const partSize = Math.max(PART_SIZE, Math.ceil(file.size / MAX_PARTS));
  const count = Math.ceil(file.size / partSize);
  const sent = new Array<number>(count).fill(0);
  const etags = new Array<string>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !signal.aborted) {
      const index = next++;
      const part = file.slice(index * partSize, Math.min(file.size, (index + 1) * partSize));
      etags[index] = await uploadPart(session, bucket, key, uploadId, index + 1, part, (n) => {
        sent[index] = n;
        onProgress(sent.reduce((a, b) => a + b, 0));
      }, signal);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
    signal.throwIfAborted();
    await completeMultipartUpload(session, bucket, key, uploadId, etags);
  } catch (err) {
    await abortMultipartUpload(session, bucket, key, uploadId).catch(() => undefined);
    throw err;
  }
}

/** A file to upload and the path below the current prefix it goes to (a folder's files keep their folders). */
export interface PickedFile {
  file: File;
  path: string;
}

/** The files an <input type=file> holds; a webkitdirectory input's carry their paths in the folder. */
export function pickedFiles(files: FileList): PickedFile[] {
  return Array.from(files).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** The files a drop carries, folders walked to their files (each with its path from the dropped item). */
export async function droppedFiles(data: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(data.items)
    .filter((item) => item.kind === 'file')
    .map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
  const picked: PickedFile[] = [];
  for (const { entry, file } of entries) {
    if (entry) picked.push(...(await entryFiles(entry)));
    else if (file) picked.push({ file, path: file.webkitRelativePath || file.name });
  }
  return picked;
}

async function entryFiles(entry: FileSystemEntry): Promise<PickedFile[]> {
  const path = entry.fullPath.replace(/^\//, '');
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ file, path }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const found: PickedFile[] = [];
  // readEntries answers a batch at a time (100 in Chromium), an empty one at the end.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return found;
    for (const child of batch) found.push(...(await entryFiles(child)));
  }
}
