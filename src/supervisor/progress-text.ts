/**
 * The training's position, read from the text/plain of a run's live display ("step 1,200 / 3,000
 * (40%) · resumed at 900", written by src/run/progress-format.ts). Only for showing progress as it
 * happens: how far training really got (for the crash-loop rule and the resume point) is read
 * from the run's checkpoints, not from this text.
 */

export interface DisplayedProgress {
  readonly step: number;
  readonly total: number;
  /** The step this train() resumed at, when it resumed. */
  readonly resumedAt: number | undefined;
  /** The position line, then rate/ETA and the losses line (the display's notes left out). */
  readonly lines: readonly string[];
  /** The display's note on the run's mirror ("mirror s3://…: …"), when it has one. */
  readonly mirror: string | undefined;
}

const POSITION = /^step ([\d,]+) \/ ([\d,]+) \(\d+%\)(?: · resumed at ([\d,]+))?/;

function count(text: string): number {
  return Number(text.replace(/,/g, ""));
}

/** The progress a display shows, or undefined when it is not a run's progress display. */
export function parseProgress(text: string): DisplayedProgress | undefined {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => POSITION.test(l));
  if (at < 0) return undefined;
  const m = POSITION.exec(lines[at] as string) as RegExpExecArray;
  return {
    step: count(m[1] as string),
    total: count(m[2] as string),
    resumedAt: m[3] === undefined ? undefined : count(m[3]),
    lines: lines.slice(at, at + 3).filter((l) => l.trim() !== ""),
    mirror: lines.slice(at + 1).find((l) => l.startsWith("mirror ")),
  };
}
