/**
 * A command line that cannot run as written (unknown command or flag, missing argument, bad
 * value). main.ts prints its one-line message with the command's usage and exits 2.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";

  /** `command`: whose usage to show (undefined: the top-level usage). */
  constructor(
    message: string,
    readonly command: string | undefined,
  ) {
    super(message);
  }
}
