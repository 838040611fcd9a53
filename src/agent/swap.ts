/**
 * The binary swap of a self-update (docs/api.md#agent-self-update) and `hydranode rollback`. Both Linux and Windows
 * let a running executable be renamed (Windows refuses to delete or overwrite it, not to rename
 * it), so the running file is renamed aside and the new one renamed into its place; the running
 * process keeps its (renamed) file until it exits and the service starts the new one.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

const EXECUTABLE_MODE = 0o755;

/** `name` + `tag` before a Windows `.exe`: `hydranode` → `hydranode.old`, `hydranode.exe` → `hydranode.old.exe`. */
function sibling(binary: string, tag: string): string {
  const ext = extname(binary).toLowerCase() === '.exe' ? extname(binary) : '';
  return join(dirname(binary), `${basename(binary, ext)}.${tag}${ext}`);
}

/** Where the previous binary is kept after a swap: next to the binary, `hydranode.old` / `hydranode.old.exe`. */
export const oldPathFor = (binary: string): string => sibling(binary, 'old');

/**
 * Puts `fresh` in place of `binary`: copied beside it first (its folder may be another filesystem
 * than the agent's data folder; from there on every step is a rename), the current file renamed to
 * `.old` (an earlier `.old` is replaced), the copy renamed into place. A failure on the way puts
 * the current file back and leaves no copy.
 */
export async function swapInto(binary: string, fresh: string): Promise<{ old: string }> {
  const old = oldPathFor(binary);
  const staged = sibling(binary, 'new');
  try {
    await copyFile(fresh, staged);
    await chmod(staged, EXECUTABLE_MODE);
    await rm(old, { force: true });
    await rename(binary, old);
  } catch (e) {
    await rm(staged, { force: true });
    throw e;
  }
  try {
    await rename(staged, binary);
  } catch (e) {
    await rename(old, binary).catch(() => {});
    await rm(staged, { force: true });
    throw e;
  }
  return { old };
}

/**
 * `hydranode rollback`: the binary and its `.old` change places, so the previous version is back
 * (and a second rollback goes forward again). The running agent keeps running the file it started
 * from until its service restarts it.
 */
export async function rollback(binary: string): Promise<{ restored: string; old: string }> {
  const old = oldPathFor(binary);
  if (!existsSync(old)) throw new Error(`${old} does not exist: there is no earlier version to go back to`);
  const aside = sibling(binary, 'rollback');
  await rm(aside, { force: true });
  await rename(binary, aside);
  try {
    await rename(old, binary);
  } catch (e) {
    await rename(aside, binary).catch(() => {});
    throw e;
  }
  await rename(aside, old);
  return { restored: binary, old };
}
