/** What went wrong in the brain: `invalid` input (a catalog definition, a message), or an `internal` fault. */
export type BrainErrorCode = 'invalid' | 'internal';

/**
 * The brain's one error type. `path` names the field of an invalid definition
 * (`campaigns[2].groups[0].when.attr`) so the marketer (or the admin API's 400 answer) can
 * see what to fix; the message is then `<path>: <problem>`. The host maps it to its own
 * error catalog at the boundary, keeping this as the cause.
 */
export class BrainError extends Error {
  override readonly name = 'BrainError';
  readonly code: BrainErrorCode;
  /** the field of the definition at fault; empty when the error is not about one field */
  readonly path: string;
  /** what is wrong, without the path */
  readonly problem: string;

  constructor(code: BrainErrorCode, problem: string, options: { path?: string; cause?: unknown } = {}) {
    super(options.path === undefined ? problem : `${options.path}: ${problem}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path ?? '';
    this.problem = problem;
  }
}

/** An invalid definition: `path` names the field, `problem` what is wrong with it. */
export function invalidAt(path: string, problem: string): BrainError {
  return new BrainError('invalid', problem, { path });
}

/** A case the types say cannot happen (the default branch of an exhaustive switch). */
export function unreachable(what: string, value: never): BrainError {
  return new BrainError('internal', `unhandled ${what} ${JSON.stringify(value)}`);
}

/** Whether `err` is an invalid definition (a BrainError with code `invalid`): what a catalog's author must fix. */
export function isInvalidDefinition(err: unknown): err is BrainError {
  return err instanceof BrainError && err.code === 'invalid';
}
