/**
 * What every preview renderer returns (interface only): a MIME bundle to show inline, the files to
 * save beside the checkpoint, and one line for a terminal. An image grid, generated text, a plot
 * and audio all come back in this one shape, so the run shows and saves any of them the same way.
 */
import type { RenderedImage } from "./mime-bundle.js";

/** A file saved beside its checkpoint as `<stem><suffix>` (stem e.g. "samples-step-00000500"). */
export interface PreviewFile {
  /** ".png", ".txt", ".md", ".wav", "-1.wav", ".vl.json", … */
  readonly suffix: string;
  readonly bytes: Uint8Array;
}

export interface RenderedPreview {
  /**
   * Shown inline: MIME type → content (bytes for image/png, strings for text/plain, text/html,
   * text/markdown, application/vnd.vegalite.v5+json as JSON text…). Always has text/plain.
   */
  readonly bundle: Readonly<Record<string, string | Uint8Array>>;
  /** Saved beside the checkpoint, in this order; the first is the one messages name. */
  readonly files: readonly PreviewFile[];
  /** A picture for the notebook's live view, when the preview has one (a grid, a plot). */
  readonly image?: RenderedImage;
  /** One line for a terminal: what the preview shows ("16 samples", "4 texts of 200 characters"). */
  readonly summary: string;
}
