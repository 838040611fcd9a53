/**
 * `POST /api/v1/config/reload` (admin, audited; SIGHUP does the same): config.yaml is read again
 * and swapped in whole. An invalid file is a 400 naming the key, and the running config stays.
 */
import { Hono } from 'hono';
import { ConfigError } from '../config.js';
import { AppError } from '../errors.js';
import type { ReloadReport } from '../live-config.js';
import type { ConfigReloadReply } from '../wire/config.js';
import { requireAdmin } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';

export function configRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/config/reload', requireAdmin(d.auth), (c) => {
    const report = reloadConfig(d);
    c.set('auditNote', { ...report });
    return c.json(report satisfies ConfigReloadReply);
  });
  return app;
}

/** Reloads config.yaml: the report, or a 400 `invalid_config` naming the key (nothing changed). */
export function reloadConfig(d: Pick<RouteDeps, 'live' | 'log'>): ReloadReport {
  try {
    return d.live.reload();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    d.log.warn('config reload refused; the running config is kept', { error: e.message });
    throw new AppError('invalid_config', e.message);
  }
}
