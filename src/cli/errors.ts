/** The CLI's own failures: one line on stderr and a sysexits code (SPEC §12). */

/** A failure of the CLI itself: its message (one line) and its exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}
