/** An absolute path on the server's host (POSIX `/…`, or Windows `C:\…` / `\\server\share`); zod-free, for the CLI's parser. */
export const isAbsolutePath = (p: string): boolean => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
