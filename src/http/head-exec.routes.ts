/**
 * What a head is asked for beyond its own object (docs/api.md#heads-and-eligibility): its experience catalog (proxied from
 * hydraexperiencelibrary), and its screenshot and agent logs through its exec channel — a command
 * queued on the head's exec queue, answered by a result wait parked on that queue (the kernel's
 * Parking), not a polling loop. No answer in the budget: the exec is cancelled and the reply 504.
 */
import { Hono, type Context } from 'hono';
import { askExec } from '../actors/exec/queue-actor.js';
import { defaultInterpreter } from '../actors/exec/machine.js';
import type { ExecResultView } from '../wire/exec.js';
import type { Interpreter } from '../wire/constants.js';
import { headDiagnostics } from '../actors/head/view.js';
import type { HeadActor } from '../actors/head/actor.js';
import { logsCommand, readLogLines, readScreenshot, screenshotCommand } from '../actors/head/capture.js';
import { allowOnly, ExperienceLibrary } from '../actors/head/experience-library.js';
import { requireExecChannel } from '../actors/node/exec-channel.js';
import { AppError } from '../errors.js';
import type { HeadLogsReply } from '../wire/heads.js';
import { requireAdmin } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { PARK_ASK_MARGIN_MS } from './exec.routes.js';
import { headById, headFromPath, requireAdminOrHead } from './head-auth.js';

const MS_PER_S = 1000;

/** The experience library at the URL config.yaml names now (a reload may change it). */
const liveLibrary = (d: RouteDeps): ExperienceLibrary =>
  new ExperienceLibrary({
    get baseUrl() {
      return d.config.server.experience_library_url;
    },
    clock: d.clock,
  });

export function headExecRoutes(d: RouteDeps, library = liveLibrary(d)): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const adminOnly = requireAdmin(d.auth);
  const adminOrHead = requireAdminOrHead(d.auth);

  /** The head's node record and the interpreter its exec channel speaks. */
  const target = (c: Context<AppEnv>) => {
    const head = headById(d.heads, d.fleet, c.req.param('id') ?? '');
    const node = d.fleet.get(head.nodeId);
    if (!node) throw new AppError('not_found', `no head ${head.nodeId}`);
    const r = node.published;
    requireExecChannel(r); // an iPad: 409 at once, not a 504 after the budget
    const interpreter: Interpreter = r.kind === 'windows' ? 'powershell' : defaultInterpreter(r.reported.os);
    return { head, node, interpreter };
  };

  /** Runs `command` on the head within `budgetS`: the finished result, or 504 (exec cancelled). */
  const onHead = async (c: Context<AppEnv>, nodeId: string, command: string, interpreter: Interpreter, budgetS: number): Promise<ExecResultView> => {
    const waiter = c.get('inflight');
    const queue = d.execQueues.ensure(nodeId);
    const { id } = await askExec(queue, { type: 'submit', command, interpreter, os: null, timeoutS: budgetS }, { waiter });
    const waitMs = budgetS * MS_PER_S;
    const r = await askExec(queue, { type: 'get_result', id, waitMs, signal: c.req.raw.signal }, { waiter, timeoutMs: waitMs + PARK_ASK_MARGIN_MS });
    if (r?.finished && r.result.status === 'done') return r.result;
    // Nobody waits for it any more: a late screenshot must not run on a backed-up head.
    if (!r?.finished) await Promise.resolve(askExec(queue, { type: 'cancel', id }, { waiter })).catch(() => {});
    throw new AppError('gateway_timeout', `the head's exec channel gave no answer within ${budgetS} s (is its agent running and its exec queue moving?)`);
  };

  app.get('/heads/:id/experiences', adminOrHead, async (c) => {
    const head: HeadActor = headFromPath(d.heads, d.fleet, c);
    const r = d.fleet.get(head.nodeId)?.published;
    if (!r) throw new AppError('not_found', `no head ${head.nodeId}`);
    const catalog = await library.live(r.district, r.venue, c.req.raw.signal);
    return c.json(allowOnly(catalog, head.snapshot.allowed));
  });

  app.get('/heads/:id/screenshot', adminOnly, async (c) => {
    const { head, interpreter } = target(c);
    const shot = d.config.server.screenshot;
    const result = await onHead(c, head.nodeId, screenshotCommand(shot.path, interpreter), interpreter, d.config.server.heads.screenshot_timeout_s);
    if (result.exit_code !== 0) throw new AppError('bad_gateway', `no screenshot on the head: ${firstLine(result.stderr) || `exit code ${result.exit_code}`}`);
    if (result.stdout_truncated) throw new AppError('bad_gateway', 'the screenshot is larger than exec.max_output_bytes allows in base64');
    const s = readScreenshot(result.stdout, shot.max_age_s);
    if (!s.ok) throw new AppError('bad_gateway', s.why);
    return c.body(new Uint8Array(s.jpeg), 200, { 'content-type': 'image/jpeg', 'x-screenshot-age-s': String(s.ageS) });
  });

  app.get('/heads/:id/logs', adminOnly, async (c) => {
    const { head, node, interpreter } = target(c);
    const reported = headDiagnostics(node.view().diagnostics, head.snapshot).log_path;
    const heads = d.config.server.heads;
    const logPath = typeof reported === 'string' && reported.trim() !== '' ? reported : heads.log_path;
    const result = await onHead(c, head.nodeId, logsCommand(logPath, interpreter), interpreter, heads.logs_timeout_s);
    if (result.exit_code !== 0) throw new AppError('bad_gateway', `the head could not read ${logPath}: ${firstLine(result.stderr) || `exit code ${result.exit_code}`}`);
    return c.json({ log_path: logPath, lines: readLogLines(result.stdout) } satisfies HeadLogsReply);
  });

  return app;
}

const firstLine = (s: string): string => s.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 200) ?? '';
