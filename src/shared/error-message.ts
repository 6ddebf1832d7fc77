/**
 * The one line an error contributes to a message of ours: its message when it is an Error (never
 * its stack: users read these), else what it is as a string (a thrown string, a rejected value).
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
