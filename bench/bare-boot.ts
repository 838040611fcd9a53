/**
 * The boot baseline: the least any server can do with nodes.yaml — read it, JSON.parse every
 * record line, then answer GET /api/v1/health with the count. Usage: node bare-boot.js HOME PORT.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [home, port] = process.argv.slice(2);
const text = await readFile(join(home!, 'nodes.yaml'), 'utf8');
const records: unknown[] = [];
for (const line of text.split('\n')) if (line.startsWith('  - {')) records.push(JSON.parse(line.slice(4)));

const server = createServer((req, res) => {
  res.writeHead(req.url === '/api/v1/health' ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: 'ok', nodes: { total: records.length } }));
});
server.listen(Number(port), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
