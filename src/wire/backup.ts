import { z } from 'zod';
import { isAbsolutePath } from '../backup-path.js';

/** `POST /api/v1/backups` (docs/architecture.md#nodesyaml-and-its-journal): `out` is where the server writes it; absent: `<home>/backups/`. */
export const backupRequest = z
  .object({
    out: z.string().min(1).max(4096).refine(isAbsolutePath, 'must be an absolute path on the server\'s host').optional(),
  })
  .strict();
export type BackupRequest = z.infer<typeof backupRequest>;

/** → 201: the file the server wrote (on its own disk: it holds token hashes, which never travel). */
export const backupReply = z.object({
  path: z.string(),
  size: z.number().int(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BackupReply = z.infer<typeof backupReply>;
