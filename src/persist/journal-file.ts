/**
 * nodes.journal on disk: created with its header and first lines, appended to (each append at the
 * end of what is known good, then fsynced), replaced whole after a compaction, removed by a clean
 * stop. A failed append may leave bytes past the known good end: they are cut off before the next
 * append, so a line never follows a torn one.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { replaceWith, syncDir, writeAll } from './snapshot-write.js';

export class JournalFile {
  private fh: FileHandle | null = null;
  private good = 0;
  /** A write failed: the file may hold bytes past `good`. */
  private torn = false;
  /** An existing journal (from the boot) is opened at the first append, cut to `resumeAt`. */
  private resumeAt: number | null;

  constructor(readonly path: string, existingGoodBytes: number | null) {
    this.resumeAt = existingGoodBytes;
    this.good = existingGoodBytes ?? 0;
  }

  /** The journal exists on disk (it was found at boot or created since). */
  get exists(): boolean {
    return this.fh !== null || this.resumeAt !== null;
  }

  /** Its bytes up to the end of the last complete line. */
  get bytes(): number {
    return this.good;
  }

  /** Appends `data` (whole lines) and fsyncs; `header` starts the file when there is none yet. */
  async append(data: Buffer, header: () => string): Promise<void> {
    if (!this.exists) return this.create(Buffer.concat([Buffer.from(header()), data]));
    const fh = await this.handle();
    try {
      if (this.torn) {
        await fh.truncate(this.good);
        this.torn = false;
      }
      await writeAll(fh, data, data.length, this.good);
      await fh.sync();
      this.good += data.length;
    } catch (e) {
      this.torn = true;
      await fh.truncate(this.good).then(() => void (this.torn = false), () => {});
      throw e;
    }
  }

  /** Replaces the journal with `content` (a new header and the lines it carries): temp, fsync, rename. */
  async replace(content: Buffer): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fh = await this.writeNew(tmp, content);
    try {
      await replaceWith(tmp, this.path);
    } catch (e) {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true }).catch(() => {});
      throw e;
    }
    await this.fh?.close().catch(() => {});
    [this.fh, this.good, this.torn, this.resumeAt] = [fh, content.length, false, null];
  }

  /** Removes the journal (a clean stop, after the final compaction); also a stale one never opened. */
  async remove(): Promise<void> {
    await this.fh?.close().catch(() => {});
    [this.fh, this.good, this.torn, this.resumeAt] = [null, 0, false, null];
    await rm(this.path, { force: true });
    await syncDir(dirname(this.path));
  }

  async close(): Promise<void> {
    await this.fh?.close().catch(() => {});
    this.fh = null;
  }

  private async create(content: Buffer): Promise<void> {
    const fh = await this.writeNew(this.path, content);
    try {
      await syncDir(dirname(this.path)); // the new file's name must survive a crash too
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
    [this.fh, this.good, this.torn, this.resumeAt] = [fh, content.length, false, null];
  }

  /** A new file holding `content`, fsynced; its handle stays open for appends. */
  private async writeNew(path: string, content: Buffer): Promise<FileHandle> {
    const fh = await open(path, 'w', 0o600);
    try {
      await writeAll(fh, content, content.length, 0);
      await fh.sync();
      return fh;
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
  }

  private async handle(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    const fh = await open(this.path, 'r+');
    if ((await fh.stat()).size !== this.resumeAt) this.torn = true; // a torn last line from the crash: cut first
    [this.fh, this.resumeAt] = [fh, null];
    return fh;
  }
}
