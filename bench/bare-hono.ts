/**
 * The baseline: a bare Hono app on @hono/node-server with one POST route that parses the JSON
 * body and answers a small JSON object. Usage: node bare-hono.js PORT. Prints "listening" when up.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.argv[2]);
const app = new Hono();

app.post('/api/v1/body/heartbeat', async (c) => {
  const body = (await c.req.json()) as { hostname?: unknown };
  return c.json({ ok: true, hostname: typeof body.hostname === 'string' ? body.hostname : null, server_time: new Date().toISOString() });
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => process.stdout.write('listening\n')) as Server;
server.keepAliveTimeout = 65_000; // as the real server sets it
process.once('SIGTERM', () => server.close(() => process.exit(0)));
