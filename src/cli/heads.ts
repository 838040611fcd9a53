/**
 * `hydracluster heads [list|show ID|assign HEAD BODY [--app APP]]` and `hydracluster enroll-qr
 * [--png FILE]` (docs/operations.md#the-cli): the head objects, the admin's assignment override (`assign HEAD none`
 * clears it), and the iPad enrollment QR — the JSON of `GET /enroll-qr`, drawn in the terminal or
 * written as a PNG. The QR library is loaded only by the command that draws.
 */
import { open } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { enrollQrReply, headView } from '../wire/heads.js';
import { HEADS_COMMANDS, UsageError, type ConnectionFlags } from './args.js';
import { seg, type Api } from './client.js';
import { CliError } from './errors.js';
import { resolveNode } from './node-names.js';
import { table } from './admin.js';
import type { Out } from './output.js';
import { printable, printableJson } from './printable.js';
import { EX_SOFTWARE } from '../sysexits.js';
import { isLoopbackUrl } from '../wire/constants.js';
import { loopbackWarning } from './enroll.js';

export type HeadsCommand =
  | { cmd: 'heads'; action: 'list'; json: boolean }
  | { cmd: 'heads'; action: 'show'; id: string; json: boolean }
  | { cmd: 'heads'; action: 'assign'; id: string; bodyId: string | null; app?: string; json: boolean }
  | { cmd: 'enroll-qr'; png?: string; json: boolean };

/** The commands this module parses and runs (named in ./args.ts, so that `main` need not load this). */
export { HEADS_COMMANDS };

/** `assign HEAD none` clears the assignment. */
const NO_BODY = 'none';

const OPTIONS = {
  server: { type: 'string' },
  'admin-token': { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
  app: { type: 'string' },
  png: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const need = (p: string[], i: number, what: string): string => {
  const v = p[i];
  if (v === undefined || v === '') throw new UsageError(`missing ${what}`);
  return v;
};

function noMore(p: string[], count: number): void {
  if (p.length > count) throw new UsageError(`unexpected argument ${JSON.stringify(p[count])}`);
}

/** Parses `heads …` or `enroll-qr …`; throws UsageError on bad usage. */
export function parseHeadsArgs(cmd: string, argv: string[]): { command: HeadsCommand; conn: ConnectionFlags } {
  const { values: v, positionals: p } = parse(argv);
  const conn = { server: v.server, adminToken: v['admin-token'], home: v.home };
  if (cmd === 'enroll-qr') {
    noMore(p, 0);
    if (v.app !== undefined) throw new UsageError('--app goes with heads assign');
    if (v.png === '') throw new UsageError('--png needs a file name');
    return { command: { cmd, png: v.png, json: v.json }, conn };
  }
  if (v.png !== undefined) throw new UsageError('--png goes with enroll-qr');
  const action = p[0] ?? 'list';
  if (v.app !== undefined && action !== 'assign') throw new UsageError('--app goes with heads assign');
  switch (action) {
    case 'list':
      noMore(p, 1);
      return { command: { cmd: 'heads', action, json: v.json }, conn };
    case 'show':
      noMore(p, 2);
      return { command: { cmd: 'heads', action, id: need(p, 1, 'head id: hydracluster heads show <headId>'), json: v.json }, conn };
    case 'assign': {
      noMore(p, 3);
      const id = need(p, 1, 'head id: hydracluster heads assign <headId> <bodyId|none> [--app APP]');
      const body = need(p, 2, 'body id (or none to clear)');
      return { command: { cmd: 'heads', action, id, bodyId: body === NO_BODY ? null : body, app: v.app, json: v.json }, conn };
    }
    default:
      throw new UsageError(`unknown heads action ${JSON.stringify(action)}`);
  }
}

function shaped<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new CliError(EX_SOFTWARE, 'the server answered in an unexpected shape');
  return r.data;
}

const json = (v: unknown): string => printableJson(v);

async function heads(c: Extract<HeadsCommand, { cmd: 'heads' }>, api: Api, out: Out): Promise<number> {
  if (c.action === 'list') {
    const r = await api.call('GET', '/heads');
    if (c.json) return (out.write(json(r.body)), 0);
    const rows = shaped(z.array(headView), r.body).map((h) => [
      h.id, h.name, h.kind, h.status, h.node_status, h.assigned_body_name ?? h.body_id ?? '-', `${h.district || '-'}/${h.venue || '-'}`, h.last_seen ?? '-',
    ]);
    out.write(table([['ID', 'NAME', 'KIND', 'STATUS', 'NODE', 'BODY', 'DISTRICT/VENUE', 'LAST SEEN'], ...rows]));
    return 0;
  }
  const id = await resolveNode(api, c.id);
  const path = `/heads/${seg(id)}`;
  if (c.action === 'show') return (out.write(json((await api.call('GET', path)).body)), 0);
  const bodyId = c.bodyId === null ? null : await resolveNode(api, c.bodyId);
  const r = await api.call('POST', `/nodes/${seg(id)}/head-assignment`, { body_id: bodyId, ...(c.app !== undefined ? { app_id: c.app } : {}) });
  if (c.json) return (out.write(json(r.body)), 0);
  const h = shaped(headView, r.body);
  out.write(printable(h.body_id === null ? `${c.id}: assignment cleared` : `${c.id} → ${h.assigned_body_name ?? h.body_id}${h.app_id ? ` (${h.app_id})` : ''}`) + '\n');
  return 0;
}

/** The QR's text: exactly the JSON `GET /enroll-qr` answers. */
export const qrText = (payload: z.output<typeof enrollQrReply>): string => JSON.stringify({ server_url: payload.server_url, enrollment_token: payload.enrollment_token });

/**
 * Writes the QR's PNG readable by its owner only (it holds the fleet token): an existing file is
 * made 0600 before a byte of the new one is written into it.
 */
async function writePrivate(path: string, bytes: Buffer): Promise<void> {
  const file = await open(path, 'w', 0o600);
  try {
    await file.chmod(0o600);
    await file.writeFile(bytes);
  } finally {
    await file.close();
  }
}

async function enrollQr(c: Extract<HeadsCommand, { cmd: 'enroll-qr' }>, api: Api, out: Out, err: Out): Promise<number> {
  const payload = shaped(enrollQrReply, (await api.call('GET', '/enroll-qr')).body);
  if (isLoopbackUrl(payload.server_url)) err.write(loopbackWarning(payload.server_url, 'iPads scanning this QR'));
  if (c.json) return (out.write(json(payload)), 0);
  const { default: QRCode } = await import('qrcode');
  const text = qrText(payload);
  if (c.png !== undefined) {
    try {
      await writePrivate(c.png, await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, width: 512 }));
    } catch (e) {
      throw new CliError(EX_SOFTWARE, `cannot write ${c.png}: ${(e as Error).message}`);
    }
    out.write(`wrote the iPad enrollment QR for ${printable(payload.server_url)} to ${c.png}\n`);
    return 0;
  }
  out.write(await QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
  out.write(`iPad enrollment QR for ${printable(payload.server_url)} (it holds the fleet enrollment token: show it to iPads only)\n`);
  return 0;
}

/** Runs `heads` or `enroll-qr`; the exit code (failures are thrown as CliError). `err`: warnings. */
export function runHeads(c: HeadsCommand, api: Api, out: Out, err: Out = out): Promise<number> {
  return c.cmd === 'heads' ? heads(c, api, out) : enrollQr(c, api, out, err);
}
