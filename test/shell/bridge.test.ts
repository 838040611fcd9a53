/**
 * The shell's byte pipe without a network: fake sockets whose send buffer the test controls. A
 * slow client pauses the agent's socket (nothing is buffered without bound) and the agent resumes
 * once the client's buffer drains; before an agent attaches the client's socket stays paused.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ShellBridge } from '../../src/actors/shell/bridge.js';
import { SHELL_HIGH_WATER_BYTES, SHELL_LOW_WATER_BYTES } from '../../src/wire/shell.js';
import type { CloseReason } from '../../src/actors/shell/machine.js';

class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  isPaused = false;
  sent: Array<Buffer | string> = [];
  private frames: Array<{ size: number; cb?: () => void }> = [];
  send(data: Buffer | string, _opts?: unknown, cb?: () => void): void {
    this.sent.push(data);
    const size = typeof data === 'string' ? 0 : data.length;
    this.bufferedAmount += size;
    this.frames.push({ size, cb });
  }
  /** The network took whole frames, `bytes` at most, from the send buffer; each frame's callback runs as it goes. */
  flush(bytes: number): void {
    while (this.frames.length > 0 && this.frames[0]!.size <= bytes) {
      const f = this.frames.shift()!;
      bytes -= f.size;
      this.bufferedAmount -= f.size;
      f.cb?.();
    }
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  close(): void {
    this.readyState = 3;
  }
  asWs(): WebSocket {
    return this as unknown as WebSocket;
  }
}

function bridge() {
  const client = new FakeSocket();
  const agent = new FakeSocket();
  const ended: CloseReason[] = [];
  const b = new ShellBridge(client.asWs(), { end: (r) => ended.push(r), activity: () => {} });
  return { client, agent, b, ended };
}

describe('shell bridge', () => {
  it('when no agent is attached, then the client socket is paused, and it resumes on attach', () => {
    const { client, agent, b } = bridge();
    expect(client.isPaused).toBe(true);
    b.attachAgent(agent.asWs());
    expect(client.isPaused).toBe(false);
  });

  it('when the client reads slower than the agent writes, then the agent socket is paused past the high water mark and resumed below the low one', () => {
    const { client, agent, b } = bridge();
    b.attachAgent(agent.asWs());
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    while (!agent.isPaused && sent < 64 * 1024 * 1024) {
      agent.emit('message', chunk, true);
      sent += chunk.length;
    }
    expect(agent.isPaused).toBe(true);
    expect(client.bufferedAmount).toBeLessThanOrEqual(SHELL_HIGH_WATER_BYTES + chunk.length);
    client.flush(client.bufferedAmount - SHELL_LOW_WATER_BYTES - chunk.length); // above the low mark: stays paused
    expect(agent.isPaused).toBe(true);
    client.flush(2 * chunk.length);
    expect(client.bufferedAmount).toBeLessThan(SHELL_LOW_WATER_BYTES);
    expect(agent.isPaused).toBe(false);
  });

  it('when a control frame is malformed or of the wrong direction, then it is dropped and only a valid resize reaches the agent', () => {
    const { client, agent, b } = bridge();
    b.attachAgent(agent.asWs());
    for (const t of ['{', '{"type":"exit","code":1}', '{"type":"resize","cols":"x","rows":1}', '{"type":"resize","cols":100,"rows":40}']) client.emit('message', Buffer.from(t), false);
    expect(agent.sent).toEqual([JSON.stringify({ type: 'resize', cols: 100, rows: 40 })]);
  });

  it('when either socket closes, then the session is told who left', () => {
    const { client, agent, b, ended } = bridge();
    b.attachAgent(agent.asWs());
    agent.emit('close');
    client.emit('close');
    expect(ended).toEqual(['agent_closed', 'client_closed']);
  });
});
