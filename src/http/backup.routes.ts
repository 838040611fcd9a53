/**
 * `POST /api/v1/backups` (admin, audited; docs/architecture.md#nodesyaml-and-its-journal): the server writes one consistent, compacted
 * nodes.yaml (0600) into `<home>/backups/` or to `out` on its own host, and answers its path, size
 * and SHA-256. The file holds token hashes: it never travels through the API.
 */
import { Hono } from 'hono';
import { writeBackup } from '../persist/backup.js';
import { backupRequest, type BackupReply } from '../wire/backup.js';
import { requireAdmin } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { readJson } from './validate.js';

export function backupRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/backups', requireAdmin(d.auth), async (c) => {
    const { out } = await readJson(c, backupRequest);
    const reply: BackupReply = await writeBackup(d.store, d.home, out, d.clock.now());
    c.set('auditNote', { ...reply });
    return c.json(reply, 201);
  });
  return app;
}
