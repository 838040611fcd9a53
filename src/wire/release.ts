/**
 * The release manifest (docs/operations.md#agent-distribution): `GET /downloads/manifest.json`, written by
 * `npm run build:agent` into dist/release/ (or dropped by an operator into `<home>/releases/`).
 * Install commands take a file's SHA-256 from it; agents read it to update themselves.
 */
import { z } from 'zod';

/** The platforms single executables are built for. */
export const RELEASE_PLATFORMS = ['linux-amd64', 'windows-amd64'] as const;
export type ReleasePlatform = (typeof RELEASE_PLATFORMS)[number];

/** A file name servable under /downloads/: one path segment, no leading dot, no separators. */
export const RELEASE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,199}$/;

export const releaseFile = z.object({
  platform: z.string(),
  name: z.string().regex(RELEASE_FILE_NAME),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ReleaseFile = z.output<typeof releaseFile>;

/**
 * Lenient like every reply schema (a newer build's extra keys are ignored). `build`: what the
 * builder used (Node version, the Windows base's integrity, the bundle's SHA-256, when); an
 * operator's own manifest may leave it out.
 */
export const releaseManifest = z.object({ version: z.string().min(1), files: z.array(releaseFile), build: z.record(z.string(), z.unknown()).optional() });
export type ReleaseManifest = z.output<typeof releaseManifest>;

/** A file of the release for one platform, or undefined. */
export const fileFor = (m: ReleaseManifest, platform: ReleasePlatform): ReleaseFile | undefined => m.files.find((f) => f.platform === platform);
