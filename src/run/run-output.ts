/**
 * Where a run shows itself (interface). notebook-output.ts sends MIME bundles to a tslab display;
 * terminal-output.ts draws a one-line progress bar with messages above it. The run decides what to
 * say and when; an output only decides how.
 */
import type { RenderedImage } from "../render/mime-bundle.js";
import type { RenderedPreview } from "../render/rendered-preview.js";
import type { ProgressContext } from "./progress-format.js";
import type { ProgressSnapshot } from "./progress.js";
import type { Table } from "./table.js";

/** The live view: progress, and in a notebook the loss chart and the newest sample grid. */
export interface ProgressView {
  readonly snapshot: ProgressSnapshot;
  readonly context: ProgressContext;
  readonly chart?: RenderedImage;
  readonly grid?: RenderedImage;
  /** The newest preview's HTML when it has no picture (generated text, audio). */
  readonly previewHtml?: string;
}

export interface RunOutput {
  /** Whether the live view shows pictures (the run skips rendering the chart when it does not). */
  readonly pictures: boolean;
  /** A message line (resolve, resume, the end). */
  info(text: string): void;
  /** Something the user should notice (a damaged checkpoint skipped, a save warning). */
  warn(text: string): void;
  /** A small table shown once (the config, the config changes). */
  table(table: Table): void;
  /** A preview shown once (on resume, the final one): a grid, text, a plot, audio; `file` is where it was saved. */
  preview(preview: RenderedPreview, file?: string): void;
  /** Something that happened in the loop (a save, a new best): a note in the live view or a line above the bar. */
  event(text: string): void;
  /** Redraws the live view in place. `final`: the last redraw of this run, never throttled. */
  progress(view: ProgressView, final?: boolean): void;
  /** The run is over: leave the live view as it is. */
  end(): void;
  /**
   * Asks a yes/no question (onExisting: "ask") and resolves to the answer, or to undefined when
   * nobody can answer (no terminal). Outputs that cannot ask at all (a notebook cell: tslab has no
   * stdin) leave it out, and the run shows the choice instead.
   */
  ask?(question: string): Promise<boolean | undefined>;
}
