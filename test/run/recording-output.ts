/** A RunOutput that records everything a run shows (text, tables, previews, the live view), for the run tests. */
import type { RenderedPreview } from "../../src/render/rendered-preview.js";
import type { RenderedImage } from "../../src/render/mime-bundle.js";
import type { ProgressView, RunOutput } from "../../src/run/run-output.js";
import type { Table } from "../../src/run/table.js";

export interface Shown {
  readonly kind: "info" | "warn" | "event" | "table" | "image";
  readonly text: string;
  readonly image?: RenderedImage;
  /** For kind "image": the whole preview (a grid, text, a plot, audio). */
  readonly preview?: RenderedPreview;
  readonly file?: string;
}

/** Records what a run shows; `onProgress` can act on the live view (e.g. abort at a step). */
export class RecordingOutput implements RunOutput {
  readonly shown: Shown[] = [];
  readonly views: ProgressView[] = [];
  ended = 0;

  constructor(
    readonly pictures = false,
    private readonly onProgress?: (view: ProgressView) => void,
  ) {}

  info(text: string): void {
    this.shown.push({ kind: "info", text });
  }
  warn(text: string): void {
    this.shown.push({ kind: "warn", text });
  }
  event(text: string): void {
    this.shown.push({ kind: "event", text });
  }
  table(table: Table): void {
    this.shown.push({ kind: "table", text: [table.title ?? "", ...table.rows.map((r) => r.join(" = "))].join("\n") });
  }
  preview(preview: RenderedPreview, file?: string): void {
    const text = preview.bundle["text/plain"];
    this.shown.push({
      kind: "image",
      text: typeof text === "string" ? text : "",
      preview,
      ...(preview.image === undefined ? {} : { image: preview.image }),
      ...(file === undefined ? {} : { file }),
    });
  }
  progress(view: ProgressView): void {
    this.views.push(view);
    this.onProgress?.(view);
  }
  end(): void {
    this.ended++;
  }

  texts(kind?: Shown["kind"]): string[] {
    return this.shown.filter((s) => kind === undefined || s.kind === kind).map((s) => s.text);
  }
}
