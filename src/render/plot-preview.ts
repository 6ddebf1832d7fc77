/**
 * Any vega-lite spec as a preview: drawn to a PNG for the notebook and the checkpoint folder, and
 * kept as the spec itself (application/vnd.vegalite.v5+json) for front ends that draw it
 * interactively. The spec builders (plot-specs.ts) make the plots users ask for; a user may pass
 * their own spec.
 *
 *   spec ─ JSON copy (non-finite numbers → null, counted) ─ caption as title ─ vega-lite → vega → SVG ─ sharp → PNG
 */
import { svgToPng } from "./image.js";
import type { JsonValue, VegaLiteSpec } from "./vega-lite-spec.js";
import { renderMessages } from "./messages.js";
import type { RenderedImage } from "./mime-bundle.js";
import { isRecord, plotMeta } from "./plot-spec-base.js";
import type { RenderedPreview } from "./rendered-preview.js";
import { visibleText } from "./safe-text.js";
import { vegaLiteToSvg } from "./vega-svg.js";

export interface PlotPreviewOptions {
  readonly spec: VegaLiteSpec;
  /** Shown as the plot's title (the spec's own title moves into the subtitle) and as text/plain. May be empty. */
  readonly caption: string;
  /** Override the spec's width and height (pixels; with the builders' autosize, of the whole picture). */
  readonly width?: number;
  readonly height?: number;
}

/** JupyterLab's vega-lite renderer registers v5; the builders stick to what v5 and v6 share. */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
const SCHEMA_V5 = "https://vega.github.io/schema/vega-lite/v5.json";
const WHERE = "renderPlotPreview";
/**
 * Specs up to this size also go inline (JupyterLab draws them interactively); a larger one (a
 * decision boundary's grid: ~150 KB at 50×50) stays in its .vl.json file, so a notebook that shows
 * a plot per checkpoint does not grow by megabytes. The PNG is always inline.
 */
export const MAX_INLINE_SPEC_BYTES = 64 * 1024;

/** Draws a vega-lite spec as a preview: image/png, the spec, text/plain; files ".png" and ".vl.json". */
export async function renderPlotPreview(options: PlotPreviewOptions): Promise<RenderedPreview> {
  const { spec, caption } = options;
  if (!isRecord(spec)) throw new TypeError(renderMessages.plotBadSpec(spec));
  if (typeof caption !== "string") throw new TypeError(renderMessages.previewBadOption(WHERE, "caption", caption, "a string"));
  for (const name of ["width", "height"] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 40 || value > 4096)) {
      throw new RangeError(renderMessages.previewBadOption(WHERE, name, value, "an integer number of pixels from 40 to 4096"));
    }
  }

  // 1. A plain-JSON copy: NaN and ±Infinity would reach vega's scales (an infinite domain draws
  //    nothing useful) and cannot be written as JSON anyway; as null, vega-lite leaves them out.
  let nonFinite = 0;
  let copy: Record<string, JsonValue>;
  try {
    const text = JSON.stringify(spec, (_key, value: unknown) => {
      if (typeof value === "number" && !Number.isFinite(value)) {
        nonFinite++;
        return null;
      }
      return value;
    });
    copy = JSON.parse(text) as Record<string, JsonValue>;
  } catch (cause) {
    throw new TypeError(renderMessages.plotBadSpec(spec), { cause });
  }
  if (options.width !== undefined) copy["width"] = options.width;
  if (options.height !== undefined) copy["height"] = options.height;
  const head = visibleText(caption).text.replace(/\s+/g, " ").trim();
  const titled = withCaption(copy, head);
  titled["config"] = { font: "DejaVu Sans, sans-serif", ...(isRecord(copy["config"]) ? copy["config"] : {}) };
  titled["$schema"] = SCHEMA_V5;

  const meta = plotMeta(copy);
  const notes = [...meta.notes];
  if (nonFinite > 0) notes.push(renderMessages.plotNonFinite(nonFinite, "value"));

  // 2. Draw it.
  const svg = await vegaLiteToSvg(titled, WHERE);
  const { png, width, height } = await svgToPng(svg);

  const summary = meta.summary ?? renderMessages.plotDescription();
  const plain = [head, summary, ...notes].filter((line) => line !== "").join("\n");
  const json = JSON.stringify(titled);
  const image: RenderedImage = { bundle: { "image/png": png, "text/plain": plain }, width, height };
  return {
    bundle: json.length <= MAX_INLINE_SPEC_BYTES ? { "image/png": png, [VEGALITE_MIME]: json, "text/plain": plain } : { "image/png": png, "text/plain": plain },
    files: [
      { suffix: ".png", bytes: png },
      { suffix: ".vl.json", bytes: new TextEncoder().encode(`${json}\n`) },
    ],
    image,
    summary: notes.length === 0 ? summary : `${summary} (${notes.join("; ")})`,
  };
}

/**
 * The caption becomes the title's text; a different title the spec had moves to the front of
 * the subtitle, so neither is lost. Other title properties (anchor, color…) stay.
 */
function withCaption(spec: Record<string, JsonValue>, caption: string): Record<string, JsonValue> {
  if (caption === "") return { ...spec };
  const old = spec["title"];
  const lines = (v: JsonValue | undefined): string[] =>
    typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
  let rest: Record<string, JsonValue> = {};
  let subtitle: string[] = [];
  if (isRecord(old)) {
    const { text, subtitle: sub, ...others } = old;
    rest = others;
    subtitle = [...lines(text), ...lines(sub)];
  } else {
    subtitle = lines(old);
  }
  subtitle = subtitle.filter((s, i) => s !== "" && !(i === 0 && s === caption));
  return { ...spec, title: { ...rest, text: caption, ...(subtitle.length > 0 && { subtitle }) } };
}
