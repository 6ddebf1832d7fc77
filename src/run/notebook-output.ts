/**
 * The run in a notebook: messages as stream text, one-off tables and pictures as their own
 * outputs, and ONE live display (progress + loss chart + newest sample grid as HTML) replaced in
 * place with update_display_data. Events go into the live display's notes rather than new lines,
 * so a long run keeps a short cell.
 */
import type { Display } from "../notebook/display.js";
import type { MimeBundle } from "../notebook/mime-bundle.js";
import { dashboardHtml } from "../render/dashboard-html.js";
import type { RenderedPreview } from "../render/rendered-preview.js";
import { formatProgressHtml, formatProgressText } from "./progress-format.js";
import type { ProgressView, RunOutput } from "./run-output.js";
import { tableBundle, type Table } from "./table.js";

/** Notes kept in the live display (the newest events). */
const MAX_NOTES = 4;

export interface NotebookOutputOptions {
  /** Makes displays (createDisplay in a kernel). */
  readonly display: () => Display;
  /** Where info lines go (console.log in a kernel: a stdout stream). */
  readonly log?: (text: string) => void;
  /** Where warnings go (console.warn: a stderr stream). */
  readonly warn?: (text: string) => void;
}

export class NotebookOutput implements RunOutput {
  readonly pictures = true;
  private live: Display | undefined;
  private readonly notes: string[] = [];
  private readonly log: (text: string) => void;
  private readonly warnLine: (text: string) => void;

  constructor(private readonly options: NotebookOutputOptions) {
    this.log = options.log ?? ((t) => console.log(t));
    this.warnLine = options.warn ?? ((t) => console.warn(t));
  }

  info(text: string): void {
    this.log(text);
  }

  warn(text: string): void {
    this.warnLine(text);
  }

  table(table: Table): void {
    this.options.display().show(tableBundle(table));
  }

  preview(preview: RenderedPreview): void {
    this.options.display().show({ ...preview.bundle });
  }

  event(text: string): void {
    this.notes.push(text);
    if (this.notes.length > MAX_NOTES) this.notes.shift();
  }

  progress(view: ProgressView): void {
    const context = { ...view.context, notes: [...(view.context.notes ?? []), ...this.notes] };
    const bundle: MimeBundle = {
      "text/html": dashboardHtml({
        progressHtml: formatProgressHtml(view.snapshot, context),
        ...(view.chart === undefined ? {} : { chart: view.chart }),
        ...(view.grid === undefined ? {} : { grid: view.grid }),
        ...(view.previewHtml === undefined ? {} : { previewHtml: view.previewHtml }),
      }),
      "text/plain": formatProgressText(view.snapshot, context),
    };
    this.live ??= this.options.display();
    this.live.update(bundle);
  }

  end(): void {
    // The live display keeps its last content; nothing to close in a notebook.
  }
}
