/**
 * `hydracluster shell <id>` driven the way an operator uses it: the real CLI in a PTY (node-pty in
 * the test), against the real server and the real agent. Typed keys reach the remote shell, a
 * resize of the local terminal reaches the remote PTY, Ctrl-C interrupts the remote program (not
 * the CLI), and when the session ends the local terminal is back in its cooked mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pty from 'node-pty';
import { ADMIN } from '../support/harness.js';
import { CLI, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { enrolledAgent, eventually, nodeWhen, stop, type AgentProcess } from '../agent/agent-process.js';

describe('interactive shell', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let id: string;

  beforeAll(async () => {
    server = await startServerProcess(makeHome((doc) => void (doc.server.heartbeat_interval_s = 1)));
    ({ id, agent } = await enrolledAgent(server.url, 'tty-node'));
    await eventually('node online', nodeWhen(server.url, id, (n) => n.state === 'online'));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when an operator types, resizes and presses Ctrl-C in `hydracluster shell`, then the remote shell sees each, and exit restores the terminal mode', async () => {
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = `${q(process.execPath)} ${q(CLI)} shell ${id} --server ${server.url} --admin-token ${ADMIN}; echo "CLI-EXIT=$?"; stty -a; echo STTY-DONE; sleep 1`;
    const term = pty.spawn('/bin/bash', ['--norc', '--noprofile', '-c', script], { cols: 80, rows: 24, env: { ...process.env, PS1: '$ ' } as Record<string, string> });
    let out = '';
    term.onData((d) => (out += d));
    const exited = new Promise<number>((r) => term.onExit((e) => r(e.exitCode)));
    const see = (re: RegExp, from = 0) =>
      eventually(`output matching ${re}`, async () => (re.test(out.slice(from)) ? true : undefined), 15_000, 20).catch((e: Error) => {
        throw new Error(`${e.message}; the terminal showed: ${JSON.stringify(out.slice(-2000))}`);
      });

    // The remote login shell's first prompt: typed-ahead input could be flushed by its start-up.
    await see(/\S/);
    term.write('echo h""i\r');
    await see(/[\r\n]hi\r*\n/);

    term.resize(120, 50);
    await eventually('the remote PTY resized', async () => {
      const from = out.length;
      term.write('stty size\r');
      await see(/\d+ \d+/, from);
      return /50 120/.test(out.slice(from)) ? true : undefined;
    }, 15_000, 50);

    let from = out.length;
    term.write('sleep 100; echo not-interrupted\r');
    await see(/sleep 100/, from);
    term.write('\x03');
    term.write('echo after-in""terrupt\r');
    await see(/after-interrupt/, from);
    expect(out.slice(from)).not.toContain('not-interrupted\r\n');

    from = out.length;
    term.write('exit 3\r');
    // node-pty can drop a program's last output once its PTY closes: the script stays up a moment
    // after `stty -a`, and the marker says its output has all arrived.
    await see(/STTY-DONE/, from);
    expect(await exited).toBe(0);
    const modes = out.slice(out.indexOf('CLI-EXIT=3'));
    expect(modes).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(modes).toMatch(/(^|\s)echo(\s|$)/m);
    expect(modes).not.toMatch(/-icanon/);
  });
});
