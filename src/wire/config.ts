import { z } from 'zod';

/** `POST /api/v1/config/reload` → 200: the changed keys, in force now or at the next start. */
export const configReloadReply = z.object({
  applied: z.array(z.string()),
  restart_required: z.array(z.string()),
});
export type ConfigReloadReply = z.infer<typeof configReloadReply>;
