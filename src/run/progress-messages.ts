/** Error messages of the progress tracker and formatters (tests assert against these functions). */
export const progressMessages = {
  badOption(name: string, value: unknown, rule: string): string {
    return `Progress: ${name} must be ${rule}, got ${String(value)}.`;
  },
  stepBackwards(step: number, current: number): string {
    return `Progress.record: step must be an integer ≥ the current step ${current}, got ${String(step)}. Start a new tracker when a run restarts.`;
  },
  timeBackwards(timeMs: number, last: number): string {
    return `Progress.record: time ${String(timeMs)} ms is before the previous record (${last} ms); pass times from one monotonic clock such as performance.now().`;
  },
  badWidth(width: unknown): string {
    return `formatProgressLine: width must be an integer of at least 20 columns, got ${String(width)}.`;
  },
};
