/**
 * A custom preview's result (text, markdown, HTML, PNG bytes, a vega-lite spec, audio clips: any
 * of them) as one RenderedPreview: the pieces go into one MIME bundle and each is saved as a file
 * (.txt, .md, .html, .png, .vl.json, .wav). The first picture is the live view's.
 */
import type { CustomPreviewResult } from "../../engine/nn/preview-spec.js";
import type { RenderedImage } from "../../render/mime-bundle.js";
import type { PreviewFile, RenderedPreview } from "../../render/rendered-preview.js";

const utf8 = new TextEncoder();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export async function renderCustomPreview(result: CustomPreviewResult, caption: string): Promise<RenderedPreview> {
  if (!isObject(result))
    throw new TypeError(`A custom preview must return { text?, markdown?, html?, png?, vegaLite?, audio? }, got ${result === null ? "null" : typeof result}.`);
  const { text, markdown, html, png, vegaLite, audio } = result;
  if ([text, markdown, html, png, vegaLite, audio].every((v) => v === undefined)) {
    throw new TypeError("A custom preview returned none of text, markdown, html, png, vegaLite or audio.");
  }
  const bundle: Record<string, string | Uint8Array> = {};
  const files: PreviewFile[] = [];
  const htmlParts: string[] = [];
  let image: RenderedImage | undefined;
  const summary: string[] = [];
  if (text !== undefined) {
    if (typeof text !== "string") throw new TypeError("A custom preview's text must be a string.");
    files.push({ suffix: ".txt", bytes: utf8.encode(text) });
    summary.push(`${[...text].length} characters of text`);
  }
  if (markdown !== undefined) {
    if (typeof markdown !== "string") throw new TypeError("A custom preview's markdown must be a string.");
    bundle["text/markdown"] = markdown;
    files.push({ suffix: ".md", bytes: utf8.encode(markdown) });
  }
  if (png !== undefined) {
    if (!(png instanceof Uint8Array)) throw new TypeError("A custom preview's png must be PNG bytes (a Uint8Array).");
    const { imageSize } = await import("../../render/image.js");
    const { width, height } = await imageSize(png);
    bundle["image/png"] = png;
    image = { bundle: { "image/png": png, "text/plain": caption }, width, height };
    files.push({ suffix: ".png", bytes: png });
    summary.push(`a ${width}×${height} picture`);
  }
  if (vegaLite !== undefined) {
    const { renderPlotPreview } = await import("../../render/plot-preview.js");
    const plot = await renderPlotPreview({ spec: vegaLite as never, caption });
    for (const [mime, value] of Object.entries(plot.bundle)) if (!(mime in bundle) && mime !== "text/plain") bundle[mime] = value;
    files.push(...plot.files.map((f) => (png !== undefined && f.suffix === ".png" ? { ...f, suffix: "-plot.png" } : f)));
    image ??= plot.image;
    summary.push("a plot");
  }
  if (audio !== undefined) {
    const { renderAudioPreview } = await import("../../render/audio-preview.js");
    if (!Array.isArray(audio)) throw new TypeError("A custom preview's audio must be an array of { samples, sampleRate, label? }.");
    const clips = await renderAudioPreview({ clips: audio as NonNullable<CustomPreviewResult["audio"]>, caption });
    const audioHtml = clips.bundle["text/html"];
    if (typeof audioHtml === "string") htmlParts.push(audioHtml);
    files.push(...clips.files);
    summary.push(clips.summary);
  }
  if (html !== undefined) {
    if (typeof html !== "string") throw new TypeError("A custom preview's html must be a string.");
    htmlParts.unshift(html);
    files.push({ suffix: ".html", bytes: utf8.encode(html) });
  }
  if (htmlParts.length > 0) bundle["text/html"] = htmlParts.join("\n");
  bundle["text/plain"] = text ?? markdown ?? `${caption}: ${summary.join(", ")}`;
  return { bundle, files, ...(image === undefined ? {} : { image }), summary: summary.join(", ") || "a custom preview" };
}
