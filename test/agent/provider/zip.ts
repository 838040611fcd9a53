/** Builds zip files for tests with yazl (the writing half of yauzl's author). */
import yazl from 'yazl';
import { createHash } from 'node:crypto';

export interface ZipItem {
  name: string;
  content?: string | Buffer;
  /** Unix mode with the file type bits (0o100755, 0o120777 for a symlink); directory when absent and name ends with /. */
  mode?: number;
}

export function makeZip(items: ZipItem[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const it of items) {
    if (it.name.endsWith('/')) zip.addEmptyDirectory(it.name);
    else zip.addBuffer(Buffer.from(it.content ?? ''), it.name, it.mode !== undefined ? { mode: it.mode } : {});
  }
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
