/** Runs a short system program (systemctl, schtasks) to its end; never rejects. */
import { execFile } from 'node:child_process';

const TIMEOUT_MS = 60_000;

export function runProgram(file: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(file, args, { timeout: TIMEOUT_MS, windowsHide: true }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}${error && typeof error.code !== 'number' ? error.message : ''}` });
    });
  });
}
