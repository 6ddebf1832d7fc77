/**
 * Every user-facing message of the shared utilities (src/shared/). Tests assert against these
 * same functions (docs/CONTRIBUTING.md, "Messages and errors").
 */

export const sharedMessages = {
  emaBadBeta(value: unknown): string {
    return `Ema: beta (the smoothing weight) must be a number in [0, 1), got ${String(value)}.`;
  },
};
