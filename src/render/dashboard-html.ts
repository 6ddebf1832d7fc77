/**
 * One HTML block for the run's live notebook output: the progress text on top, then the loss
 * chart and the newest sample grid side by side (wrapping on narrow screens), or below them the
 * newest preview that is not a picture (generated text). The run sends it
 * through one tslab display and replaces it on every refresh, so the cell keeps a single output
 * that updates in place. Pictures travel inline as data: URIs.
 */
import type { RenderedImage } from "./mime-bundle.js";

export interface DashboardParts {
  /** HTML from formatProgressHtml(). Trusted: it is our own markup. */
  readonly progressHtml?: string;
  readonly chart?: RenderedImage;
  readonly grid?: RenderedImage;
  /**
   * The newest preview when it is not a picture (generated text, audio players): its own HTML,
   * from our renderers (escaped there), shown below the pictures.
   */
  readonly previewHtml?: string;
  /** The pixelRatio the chart was rendered with (2 → shown at half its pixel width). Default 1. */
  readonly chartPixelRatio?: number;
}

/** `data:image/png;base64,…` for an <img src>. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString("base64")}`;
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function img(image: RenderedImage, pixelRatio: number): string {
  const width = Math.round(image.width / pixelRatio);
  return (
    `<img src="${pngDataUri(image.bundle["image/png"])}" width="${width}" ` +
    `alt="${escapeAttribute(image.bundle["text/plain"])}" style="max-width:100%;height:auto">`
  );
}

/** The dashboard as one HTML string (text/html). */
export function dashboardHtml(parts: DashboardParts): string {
  const pictures: string[] = [];
  if (parts.chart !== undefined) pictures.push(`<div>${img(parts.chart, parts.chartPixelRatio ?? 1)}</div>`);
  if (parts.grid !== undefined) pictures.push(`<div>${img(parts.grid, 1)}</div>`);
  const gallery =
    pictures.length === 0 ? "" : `<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start;margin-top:6px">${pictures.join("")}</div>`;
  const preview = parts.previewHtml === undefined ? "" : `<div style="margin-top:6px;max-height:24em;overflow:auto">${parts.previewHtml}</div>`;
  return `<div class="nbresume-dashboard">${parts.progressHtml ?? ""}${gallery}${preview}</div>`;
}
