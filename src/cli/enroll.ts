/**
 * `hydracluster enroll NAME [--os windows|linux|macos] [--kind body|flatscreen|windows] [--owner O]
 * [--ttl 15m]` (docs/api.md#exec): an enrollment issued with the admin token (`POST /enrollments`), and
 * the install commands to run on the machine — the one for its OS, or both when none is given.
 * A loopback `public_url` in them is warned about: they would only work on the server itself.
 */
import type { EnrollCommand } from './args.js';
import type { Api } from './client.js';
import { CliError } from './errors.js';
import type { Out } from './output.js';
import { printable, printableJson } from './printable.js';
import { EX_SOFTWARE } from '../sysexits.js';
import { isLoopbackUrl } from '../wire/constants.js';

/** The loopback warning, shared with `enroll-qr`. */
export const loopbackWarning = (url: string, what: string): string =>
  `hydracluster: warning: the server's public_url ${printable(url)} is a loopback address: ${what} only work on the server's own machine; set server.public_url to an address the nodes reach\n`;

export async function runEnroll(c: EnrollCommand, api: Api, io: { stdout: Out; stderr: Out }): Promise<number> {
  const body = { name: c.name, owner: c.owner, os: c.os, kind: c.kind, ttl_s: c.ttlS };
  const r = await api.call('POST', '/enrollments', body);
  const { enrollmentReply } = await import('../wire/agent.js');
  const reply = enrollmentReply.safeParse(r.body);
  if (!reply.success) throw new CliError(EX_SOFTWARE, 'the server answered the enrollment in an unexpected shape');
  const e = reply.data;
  if (e.server_url !== undefined && isLoopbackUrl(e.server_url)) io.stderr.write(loopbackWarning(e.server_url, 'these install commands'));
  if (c.json) {
    io.stdout.write(printableJson(r.body));
    return 0;
  }
  const out: string[] = [
    `Enrollment of ${printable(c.name)}: node ${e.node_id}. The token in these commands works once, until ${e.expires_at}.`,
  ];
  if (c.os !== 'linux' && c.os !== 'macos') out.push('', 'Windows (PowerShell, as Administrator):', e.install.powershell);
  if (c.os !== 'windows') out.push('', `${c.os === 'macos' ? 'macOS' : 'Linux'} (bash, as root):`, e.install.bash);
  io.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
