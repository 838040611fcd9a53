/**
 * `exec --shell` and `shell` arguments: usage mistakes are exit 64 with one line naming the
 * problem, before anything is opened; refusals of the upgrade map to the CLI's exit codes.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runShellCommand } from '../../src/cli/shell-command.js';
import { CrLfToLf, refusal, shellUrl } from '../../src/cli/shell.js';

function io() {
  const err = new PassThrough();
  let text = '';
  err.on('data', (d) => (text += d));
  const env = { HC_SERVER: 'http://127.0.0.1:1', HC_TOKEN: 'hca_x-0123456789abcdef' };
  return { io: { env, stdin: process.stdin, stdout: process.stdout, stderr: err }, stderr: () => text };
}

describe('shell CLI arguments', () => {
  it.each([
    [['exec', ['--shell', 'node-1']], 'missing command'],
    [['exec', ['--shell']], 'missing node id'],
    [['shell', []], 'missing node id'],
    [['exec', ['--shell', 'node-1', 'true', '--timeout', 'soon']], 'bad duration'],
    [['exec', ['--shell', 'node-1', 'true', 'extra']], 'unexpected argument'],
    [['shell', ['node-1', '--bogus']], 'Unknown option'],
  ] as const)('when %j is given, then it exits 64 naming the problem', async ([cmd, argv], text) => {
    const t = io();
    expect(await runShellCommand(cmd, [...argv], t.io as never)).toBe(64);
    expect(t.stderr()).toContain(text);
  });

  it('when the upgrade is refused, then 401/403 exit 77, 404 exits 66, 429 exits 69 with the server\'s message', () => {
    expect(refusal(403, '{"error":"forbidden","message":"nope"}', 'n').exitCode).toBe(77);
    expect(refusal(404, '{"error":"not_found","message":"no node"}', 'n').exitCode).toBe(66);
    const busy = refusal(429, '{"error":"too_many_sessions","message":"node n already has 4 open shell sessions"}', 'n');
    expect([busy.exitCode, busy.message]).toEqual([69, 'node n already has 4 open shell sessions']);
  });

  it('when a command and a size are given, then the session URL carries them, escaped', () => {
    expect(shellUrl('https://h:1/x', { nodeId: 'node-1', cols: 100, rows: 30, command: 'echo a&b' })).toBe('wss://h:1/x/api/v1/nodes/node-1/shell?cols=100&rows=30&command=echo+a%26b');
  });

  it('when PTY output has CR LF line ends split across chunks, then LF comes out and lone CRs stay', () => {
    const c = new CrLfToLf();
    const out = Buffer.concat([c.push(Buffer.from('a\r\nb\r')), c.push(Buffer.from('\nc\rd\r')), c.push(Buffer.from('x')), c.end()]).toString();
    expect(out).toBe('a\nb\nc\rd\rx');
  });
});
