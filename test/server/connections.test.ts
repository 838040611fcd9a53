/**
 * The node http server's socket limits, over real sockets on 127.0.0.1 port 0: the per-address
 * connection cap (closed at accept, logged at most every LOG_EVERY_MS), the first-byte timeout on
 * a FakeClock, and the header/request timeouts that must not cut long-polls or big result posts.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { LOG_EVERY_MS } from '../../src/http/connection-guard.js';
import { memoryLogger } from '../../src/log.js';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, startServer, type RunningServer } from '../../src/server.js';
import { makeHome } from '../support/process.js';

const HEALTH = 'GET /api/v1/health HTTP/1.1\r\nHost: test\r\n\r\n';

let srv: RunningServer | null = null;
afterEach(async () => {
  await srv?.stop();
  srv = null;
});

async function start(limit: number, clock = new FakeClock()) {
  const log = memoryLogger();
  srv = await startServer({ home: makeHome((d) => (d.server.max_connections_per_address = limit)), listen: '127.0.0.1:0', log, clock });
  return { srv, log, clock, port: Number(new URL(srv.url).port) };
}

/** A raw keep-alive socket from `localAddress`. */
async function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  const s = connect({ port, host: '127.0.0.1', localAddress });
  await once(s, 'connect');
  return s;
}

/** Sends one health request on `s` and resolves with the status line of its answer. */
async function ask(s: Socket): Promise<string> {
  s.write(HEALTH);
  const [chunk] = (await once(s, 'data')) as [Buffer];
  return chunk.toString().split('\r\n')[0]!;
}

/** Resolves with whatever `s` received before it was closed. */
async function closedWith(s: Socket): Promise<string> {
  let got = '';
  s.on('data', (d) => (got += d));
  s.on('error', () => {});
  if (!s.destroyed) await once(s, 'close');
  return got;
}

describe('connections per address', () => {
  it('when an address holds max_connections_per_address connections, then its next one is closed at accept, and another address is unaffected', async () => {
    const { srv, log, port } = await start(3);
    const held = [await open(port), await open(port), await open(port)];
    for (const s of held) expect(await ask(s)).toBe('HTTP/1.1 200 OK');
    expect(srv.connections.openFrom('127.0.0.1')).toBe(3);

    const refused = once(srv.connections, 'refused');
    const extra = await open(port);
    extra.write(HEALTH);
    expect(await closedWith(extra)).toBe('');
    expect(await refused).toEqual(['127.0.0.1']);
    const warn = log.lines.find((l) => l.level === 'warn' && /max_connections_per_address/.test(l.msg));
    expect(warn).toMatchObject({ address: '127.0.0.1', open: 3, limit: 3, refused: 1 });

    // 127.0.0.2 is another address (Linux routes all of 127/8 to loopback).
    const other = await open(port, '127.0.0.2');
    expect(await ask(other)).toBe('HTTP/1.1 200 OK');

    // A connection that closes makes room.
    const released = once(srv.connections, 'released');
    held[0]!.destroy();
    await released;
    const again = await open(port);
    expect(await ask(again)).toBe('HTTP/1.1 200 OK');
    for (const s of [...held, other, again]) s.destroy();
  });

  it('when connections keep being refused, then the warning is logged at most once per LOG_EVERY_MS, counting the refusals in between', async () => {
    const { srv, log, clock, port } = await start(1);
    const held = await open(port);
    expect(await ask(held)).toBe('HTTP/1.1 200 OK');
    const refuseOne = async () => {
      const refused = once(srv.connections, 'refused');
      await closedWith(await open(port));
      await refused;
    };
    for (let i = 0; i < 4; i++) await refuseOne();
    const warnings = () => log.lines.filter((l) => l.level === 'warn' && /max_connections_per_address/.test(l.msg));
    expect(warnings()).toHaveLength(1);
    clock.advance(LOG_EVERY_MS);
    await refuseOne();
    expect(warnings().map((w) => w.refused)).toEqual([1, 4]);
    held.destroy();
  });
});

describe('timeouts', () => {
  it('when a connection sends nothing for the headers timeout, then it is closed; one that sent a request is kept', async () => {
    const { srv, clock, port } = await start(100);
    const busy = await open(port);
    expect(await ask(busy)).toBe('HTTP/1.1 200 OK');
    const accepted = once(srv.connections, 'accepted');
    const silent = await open(port);
    await accepted;
    let idleClosed = 0;
    srv.connections.on('idle-closed', () => idleClosed++);
    clock.advance(HEADERS_TIMEOUT_MS - 1);
    expect(idleClosed).toBe(0);
    clock.advance(1);
    expect(idleClosed).toBe(1);
    expect(await closedWith(silent)).toBe('');
    expect(await ask(busy)).toBe('HTTP/1.1 200 OK');
    busy.destroy();
  });

  it('headers must arrive within 15 s, while a whole request may take 120 s: long-polls (30 s) and result waits (60 s) wait after their request, and a few-MB result post fits', async () => {
    const { srv } = await start(100);
    expect(srv.server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(HEADERS_TIMEOUT_MS).toBeLessThanOrEqual(15_000);
    expect(srv.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    expect(REQUEST_TIMEOUT_MS).toBeGreaterThanOrEqual(2 * 60_000);
  });
});
