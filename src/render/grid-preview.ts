/**
 * An image grid (a sample grid, a classifier's inputs with their predictions, any rendered
 * picture) in the shape every preview returns, so the run shows and saves a grid exactly as it
 * does text, plots and audio.
 */
import type { RenderedImage } from "./mime-bundle.js";
import type { RenderedPreview } from "./rendered-preview.js";
import { renderMessages } from "./messages.js";
import { visibleText } from "./safe-text.js";

/**
 * Wraps a rendered picture (e.g. renderSampleGrid's result) as a preview: image/png and text/plain
 * inline, the PNG saved as ".png". The caption leads the text unless the picture's text already
 * starts with it (a grid drawn with the same caption).
 */
export function gridPreview(result: RenderedImage, caption: string): RenderedPreview {
  const png = result?.bundle?.["image/png"];
  if (!(png instanceof Uint8Array)) {
    throw new TypeError(
      renderMessages.previewBadOption("gridPreview", "result", result, 'a rendered image ({ bundle: { "image/png": Uint8Array, … }, width, height })'),
    );
  }
  if (typeof caption !== "string") throw new TypeError(renderMessages.previewBadOption("gridPreview", "caption", caption, "a string"));
  const own = result.bundle["text/plain"] ?? "";
  const head = visibleText(caption).text.trim();
  const summary = (own || head).split("\n")[0] || renderMessages.gridImageDescription(result.width, result.height);
  const text = (head === "" || own.startsWith(head) ? own : own === "" ? head : `${head}\n${own}`) || summary;
  const image: RenderedImage = { bundle: { "image/png": png, "text/plain": text }, width: result.width, height: result.height };
  return { bundle: { "image/png": png, "text/plain": text }, files: [{ suffix: ".png", bytes: png }], image, summary };
}
