/**
 * Unpacking packages with yauzl: files, folders and Unix modes land under the destination; a zip
 * whose names climb out (zip-slip) or that holds a symbolic link is refused with nothing written
 * outside; a single top folder is what gets installed.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractZip, packageRoot } from '../../../src/agent/provider/extract.js';
import { StepError } from '../../../src/agent/provider/step-error.js';
import { tempDir } from '../agent-process.js';
import { makeZip } from './zip.js';

async function zipFile(items: Parameters<typeof makeZip>[0], patch?: [string, string]): Promise<string> {
  let buf = await makeZip(items);
  if (patch) buf = Buffer.from(buf.toString('latin1').replaceAll(patch[0], patch[1]), 'latin1');
  const path = join(tempDir('hn-zip-'), 'p.zip');
  writeFileSync(path, buf);
  return path;
}

describe('provider package extraction', () => {
  it('when the zip holds one top folder, then its files land with their modes and that folder is the install root', async () => {
    const zip = await zipFile([
      { name: 'larkxr/' },
      { name: 'larkxr/start.sh', content: 'echo hi', mode: 0o100755 },
      { name: 'larkxr/conf/app.ini', content: 'x=1' },
    ]);
    const dest = join(tempDir('hn-x-'), 'staging');
    expect(await extractZip(zip, dest)).toBe(2);
    expect(readFileSync(join(dest, 'larkxr/conf/app.ini'), 'utf8')).toBe('x=1');
    expect(statSync(join(dest, 'larkxr/start.sh')).mode & 0o777).toBe(0o755);
    expect(packageRoot(dest)).toBe(join(dest, 'larkxr'));
  });

  it('when files sit at the top of the zip, then the destination itself is the install root', async () => {
    const dest = join(tempDir('hn-x-'), 'staging');
    await extractZip(await zipFile([{ name: 'start.bat', content: '@echo off' }, { name: 'bin/x.exe', content: 'MZ' }]), dest);
    expect(packageRoot(dest)).toBe(dest);
  });

  it('when an entry climbs out of the destination (zip-slip), then extraction is refused and nothing lands outside', async () => {
    const root = tempDir('hn-x-');
    const zip = await zipFile([{ name: 'ok.txt', content: 'fine' }, { name: 'xx/evil.txt', content: 'pwned' }], ['xx/evil.txt', '../evil.txt']);
    const e = await extractZip(zip, join(root, 'staging')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepError);
    expect((e as StepError).message).toMatch(/\.\.\/evil\.txt/);
    expect(existsSync(join(root, 'evil.txt'))).toBe(false);
  });

  it('when the zip holds a symbolic link, then extraction is refused', async () => {
    const zip = await zipFile([{ name: 'link', content: '/etc/passwd', mode: 0o120777 }]);
    const e = await extractZip(zip, join(tempDir('hn-x-'), 'staging')).catch((x: unknown) => x);
    expect((e as StepError).message).toMatch(/symbolic link "link"/);
  });

  it('when the file is not a zip, then the install step says so', async () => {
    const path = join(tempDir('hn-x-'), 'bad.zip');
    writeFileSync(path, 'not a zip at all');
    const e = (await extractZip(path, join(tempDir('hn-x-'), 's')).catch((x: unknown) => x)) as StepError;
    expect(e.step).toBe('install');
    expect(e.message).toMatch(/not a readable zip/);
  });
});
