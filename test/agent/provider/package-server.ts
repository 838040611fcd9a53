/**
 * A loopback HTTP server for provider packages in tests: serves registered files with `Range`
 * support (206 and 416 as a static file server does), counts the requests per path, and can cut
 * one transfer part-way (to test resuming).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PackageServer {
  url: string;
  /** Serves `body` at `path`. */
  put(path: string, body: Buffer): void;
  /** Requests received per path, with their headers. */
  requests(path: string): IncomingHttpHeaders[];
  /** The next GET of `path` sends `bytes` bytes, then the connection is destroyed. */
  cutNext(path: string, bytes: number): void;
  close(): Promise<void>;
}

export async function startPackageServer(): Promise<PackageServer> {
  const files = new Map<string, Buffer>();
  const seen = new Map<string, IncomingHttpHeaders[]>();
  const cuts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.set(path, [...(seen.get(path) ?? []), req.headers]);
    const body = files.get(path);
    if (!body) return res.writeHead(404).end('not found');
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) return res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      status = 206;
    }
    const headers: Record<string, string | number> = { 'content-length': body.length - start, 'accept-ranges': 'bytes' };
    if (status === 206) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(status, headers);
    const cut = cuts.get(path);
    if (cut !== undefined) {
      cuts.delete(path);
      res.write(body.subarray(start, start + cut), () => res.socket?.end()); // FIN after the bytes: all of them arrive
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    put: (path, body) => void files.set(path, body),
    requests: (path) => seen.get(path) ?? [],
    cutNext: (path, bytes) => void cuts.set(path, bytes),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
