/**
 * GET /heads/{id}/experiences against a real fake hydraexperiencelibrary on loopback (port 0):
 * the list, the empty catalog, the allow-list intersection, a library error (502), a library
 * slower than 5 s (504: the timeout runs on the server's clock, advanced here, no sleeping), not
 * configured (503), an unknown head (404), and who may ask.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPERIENCE_TIMEOUT_MS } from '../../src/actors/head/experience-library.js';
import { FLEET, harness, testConfig, type Harness } from '../support/harness.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Library {
  url: string;
  requests: URL[];
  /** Resolves at the next request the library receives. */
  nextRequest(): Promise<void>;
  handle: Handler;
  close(): Promise<void>;
}

const CATALOG: Record<string, unknown[]> = {
  'bxl1/cloud-seven': [
    { id: 'mercator-talks', title: 'Mercator Talks' },
    { id: 'atomium', title: 'Atomium' },
    { id: 'manneken', title: 'Manneken' },
  ],
};

async function fakeLibrary(): Promise<Library> {
  const waiters: Array<() => void> = [];
  const lib: Library = {
    url: '',
    requests: [],
    nextRequest: () => new Promise<void>((r) => waiters.push(r)),
    handle(req, res) {
      const u = new URL(req.url!, 'http://x');
      if (u.pathname !== '/api/v1/experiences/live') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(CATALOG[`${u.searchParams.get('district')}/${u.searchParams.get('venue')}`] ?? []));
    },
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
  const server: Server = createServer((req, res) => {
    lib.requests.push(new URL(req.url!, 'http://x'));
    lib.handle(req, res);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  lib.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return lib;
}

let lib: Library | null = null;
afterEach(async () => {
  await lib?.close();
  lib = null;
});

async function setup(venue = 'cloud-seven'): Promise<{ h: Harness; head: string; token: string }> {
  lib = await fakeLibrary();
  const url = lib.url;
  const h = await harness({ config: testConfig((d) => (d.server.experience_library_url = url)) });
  const r = await h.json('POST', '/heads', { token: FLEET, body: { name: 'kiosk', district: 'bxl1', venue } });
  return { h, head: r.body.head_id, token: r.body.token };
}

describe('experience catalog proxy', () => {
  it('when the library has a catalog for the head’s district and venue, then the head gets it (200), asked with both', async () => {
    const { h, head, token } = await setup();
    const r = await h.json('GET', `/heads/${head}/experiences`, { token });
    expect(r.status).toBe(200);
    expect(r.body.map((e: { id: string }) => e.id)).toEqual(['mercator-talks', 'atomium', 'manneken']);
    expect(r.body[0].title).toBe('Mercator Talks');
    expect(lib!.requests.at(-1)!.searchParams.get('district')).toBe('bxl1');
    expect(lib!.requests.at(-1)!.searchParams.get('venue')).toBe('cloud-seven');
  });

  it('when nothing is planted at the venue, then the list is empty (200 [])', async () => {
    const { h, head } = await setup('empty-venue');
    expect(await h.json('GET', `/heads/${head}/experiences`)).toEqual({ status: 200, body: [] });
  });

  it('when the head has an allow-list, then only those experiences come back; [] lifts the filter', async () => {
    const { h, head } = await setup();
    await h.json('POST', `/nodes/${head}/allowed-experiences`, { body: { experiences: ['atomium', 'not-in-catalog'] } });
    expect((await h.json('GET', `/heads/${head}/experiences`)).body.map((e: { id: string }) => e.id)).toEqual(['atomium']);
    await h.json('POST', `/nodes/${head}/allowed-experiences`, { body: { experiences: [] } });
    expect((await h.json('GET', `/heads/${head}/experiences`)).body).toHaveLength(3);
  });

  it('when the library answers 500 or garbage, then 502', async () => {
    const { h, head } = await setup();
    lib!.handle = (_req, res) => res.writeHead(500).end('boom');
    expect((await h.json('GET', `/heads/${head}/experiences`)).status).toBe(502);
    lib!.handle = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"a list"}');
    const r = await h.json('GET', `/heads/${head}/experiences`);
    expect(r).toMatchObject({ status: 502, body: { error: 'bad_gateway' } });
  });

  it('when the library is slower than 5 s, then 504, and not a moment before', async () => {
    const { h, head } = await setup();
    lib!.handle = () => {}; // never answers
    const arrived = lib!.nextRequest();
    let settled = false;
    const pending = h.json('GET', `/heads/${head}/experiences`).finally(() => (settled = true));
    await arrived;
    h.clock.advance(EXPERIENCE_TIMEOUT_MS - 1);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); // room for an early 504 to arrive
    expect(settled).toBe(false);
    h.clock.advance(1);
    expect(await pending).toMatchObject({ status: 504, body: { error: 'gateway_timeout' } });
  });

  it('when no library is configured, then 503 experience_library_not_configured', async () => {
    const h = await harness();
    const head = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'kiosk', district: 'bxl1' } })).body.head_id;
    expect(await h.json('GET', `/heads/${head}/experiences`)).toMatchObject({ status: 503, body: { error: 'experience_library_not_configured' } });
  });

  it('when the head is unknown, then 404; another head’s token gets 403', async () => {
    const { h, head } = await setup();
    expect((await h.json('GET', '/heads/node-01ARZ3NDEKTSV4RRFFQ69G5FAV/experiences')).status).toBe(404);
    const other = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'other', district: 'bxl1' } })).body.token;
    expect((await h.json('GET', `/heads/${head}/experiences`, { token: other })).status).toBe(403);
  });
});
