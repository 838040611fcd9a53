/**
 * The agent as one CommonJS file (esbuild): src/agent/main.ts and everything it imports, with the
 * version it is built as written in (`__HYDRANODE_VERSION__`). node-pty stays outside: a native
 * addon cannot live in the bundle, and a single executable's `require` loads built-in modules only,
 * so the agent runs without it and reports its shell as unavailable (src/agent/shell-pty.ts).
 */
import { build } from 'esbuild';
import { join } from 'node:path';

/** Modules left out of the bundle: the native PTY, and ws's optional native speed-ups. */
const EXTERNAL = ['node-pty', 'bufferutil', 'utf-8-validate'];

/** Bundles the agent into `out` (one .cjs file); returns its size in bytes. */
export async function bundleAgent(root: string, version: string, out: string): Promise<number> {
  const r = await build({
    entryPoints: [join(root, 'src/agent/main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    define: { __HYDRANODE_VERSION__: JSON.stringify(version) },
    // package-root.ts reads import.meta.url only when no version was defined: never in the bundle.
    logOverride: { 'empty-import-meta': 'silent' },
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  return Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}
