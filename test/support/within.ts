/** A promise with a deadline: a hang is a test failure naming what hung, not a stuck suite. */

/** Resolve with `promise`, or reject naming `what` once `ms` have passed (a hang is a failure, not a stuck suite). */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
