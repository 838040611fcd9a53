/**
 * A provisioning step that failed (docs/api.md#providers `provision_errors`): which step (`download`,
 * `verify`, `install`, `start`, `stop`, …), a sentence saying why, and the tail of any output.
 */
export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly outputTail = '',
  ) {
    super(message);
  }
}

/** Any error as a step's failure: a StepError keeps its own step. */
export const asStepError = (e: unknown, step: string): StepError =>
  e instanceof StepError ? e : new StepError(step, (e as Error)?.message ?? String(e));
