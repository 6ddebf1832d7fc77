/**
 * One error class for data and I/O failures, with a stable `code` callers and tests can match.
 * Bad arguments at the API boundary throw TypeError/RangeError instead (docs/CONTRIBUTING.md, "Messages and errors").
 * Message text lives in each layer's messages module, so tests assert against the same function.
 */
export class NbresumeError extends Error {
  override readonly name = "NbresumeError";
  readonly code: string;
  /** Where it happened: a path, a tensor name, an op. */
  readonly where: string | undefined;

  constructor(code: string, message: string, options: { where?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.where = options.where;
  }
}

export function isNbresumeError(e: unknown, code?: string): e is NbresumeError {
  return e instanceof NbresumeError && (code === undefined || e.code === code);
}
