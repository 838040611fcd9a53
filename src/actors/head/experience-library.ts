/**
 * The hydraexperiencelibrary client behind `GET /heads/{id}/experiences` (docs/api.md#heads-and-eligibility): the live
 * catalog of a district and venue, fetched with the platform's fetch and an abort signal fired
 * by the server's clock after {@link EXPERIENCE_TIMEOUT_MS} (or when the asking request ends).
 * Library errors map to the contract's codes: not configured 503, an error or an unreadable reply
 * 502, no answer in time 504. The catalog is independent of body availability (runbook).
 */
import type { Clock } from '../../clock.js';
import { AppError } from '../../errors.js';
import { experienceItem, type Experience } from '../../wire/heads.js';
import { z } from 'zod';

/** The library gets this long to answer in full. */
export const EXPERIENCE_TIMEOUT_MS = 5000;
/** A catalog larger than this is refused (502) rather than held in memory. */
export const MAX_CATALOG_BYTES = 8 * 1024 * 1024;

/** The library's reply: a list, or an object holding one under `experiences`. */
const catalogReply = z.union([z.array(experienceItem), z.object({ experiences: z.array(experienceItem) })]);

export interface ExperienceLibraryDeps {
  /** `server.experience_library_url`; '' = not configured. */
  baseUrl: string;
  clock: Clock;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The catalog intersected with a non-empty allow-list (matching on `id`), in the library's order. */
export function allowOnly(catalog: Experience[], allowed: readonly string[]): Experience[] {
  if (allowed.length === 0) return catalog;
  const keep = new Set(allowed);
  return catalog.filter((e) => keep.has(e.id));
}

export class ExperienceLibrary {
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly deps: ExperienceLibraryDeps) {
    this.fetchFn = deps.fetch ?? fetch;
    this.timeoutMs = deps.timeoutMs ?? EXPERIENCE_TIMEOUT_MS;
  }

  get configured(): boolean {
    return this.deps.baseUrl.trim() !== '';
  }

  /** The live catalog of `district`/`venue`; `signal`: the asking request went away. */
  async live(district: string, venue: string, signal?: AbortSignal): Promise<Experience[]> {
    if (!this.configured) {
      throw new AppError('experience_library_not_configured', 'server.experience_library_url is not set in config.yaml');
    }
    const url = new URL('api/v1/experiences/live', this.deps.baseUrl.replace(/\/*$/, '/'));
    url.searchParams.set('district', district);
    url.searchParams.set('venue', venue);
    const timer = new AbortController();
    const handle = this.deps.clock.after(this.timeoutMs, () => timer.abort());
    const abort = signal ? AbortSignal.any([timer.signal, signal]) : timer.signal;
    try {
      const res = await this.fetchFn(url, { signal: abort, headers: { accept: 'application/json' } });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw new AppError('bad_gateway', `the experience library answered ${res.status}`);
      }
      const text = await readBounded(res);
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        throw new AppError('bad_gateway', 'the experience library answered with something that is not JSON');
      }
      const parsed = catalogReply.safeParse(data);
      if (!parsed.success) throw new AppError('bad_gateway', 'the experience library answered in an unexpected shape (a list of objects with an id)');
      return Array.isArray(parsed.data) ? parsed.data : parsed.data.experiences;
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (timer.signal.aborted) {
        throw new AppError('gateway_timeout', `the experience library did not answer within ${this.timeoutMs / 1000} s`);
      }
      throw new AppError('bad_gateway', `the experience library could not be reached: ${describe(e)}`);
    } finally {
      handle.cancel();
    }
  }
}

/** The reply body as text, refused past {@link MAX_CATALOG_BYTES}. */
async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > MAX_CATALOG_BYTES) throw new AppError('bad_gateway', `the experience library's catalog is over ${MAX_CATALOG_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const cause = err.cause instanceof Error ? err.cause : null;
  const code = cause && 'code' in cause ? String(cause.code) : null;
  return code ?? cause?.message ?? err.message;
}
