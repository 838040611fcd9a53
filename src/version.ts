import { packageVersion } from './package-root.js';

/**
 * Set by the agent's bundler (esbuild `define`, src/release/bundle.ts) to the version the single
 * executable is built as (`npm run build:agent -- --version X`); undefined in the tsc build.
 */
declare const __HYDRANODE_VERSION__: string | undefined;

/** This program's version: the built-in one of a single executable, else package.json's. */
export const VERSION: string = typeof __HYDRANODE_VERSION__ === 'string' ? __HYDRANODE_VERSION__ : packageVersion();
