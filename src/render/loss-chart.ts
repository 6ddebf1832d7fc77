/**
 * The loss chart as a PNG: vega-lite spec (loss-chart-spec.ts) → vega spec → headless vega
 * view → SVG → PNG through sharp. Chart text needs a system font (librsvg + fontconfig; Debian:
 * fonts-dejavu-core), unlike the sample grid, which draws its own.
 */
import { NbresumeError } from "../errors.js";
import { svgToPng } from "./image.js";
import { buildLossChartSpec, type LossChartSpecOptions } from "./loss-chart-spec.js";
import type { VegaLiteSpec } from "./vega-lite-spec.js";
import { RenderErrorCode, renderMessages } from "./messages.js";
import type { RenderedImage } from "./mime-bundle.js";
import { loadVega } from "./vega-modules.js";

export interface LossChartOptions extends LossChartSpecOptions {
  /** Pixels per chart unit: 2 gives a sharp picture on high-DPI screens at twice the size. Default 1. */
  readonly pixelRatio?: number;
}

export interface LossChartResult extends RenderedImage {
  /** The vega-lite spec the picture was drawn from. */
  readonly spec: VegaLiteSpec;
  readonly yScale: "linear" | "log";
}

/** Renders the loss chart to a PNG of width×height (times pixelRatio) pixels. */
export async function renderLossChart(options: LossChartOptions): Promise<LossChartResult> {
  const pixelRatio = options.pixelRatio ?? 1;
  if (!(pixelRatio >= 0.5 && pixelRatio <= 4)) {
    throw new RangeError(renderMessages.chartBadOption("pixelRatio", pixelRatio, "a number from 0.5 to 4"));
  }
  const built = buildLossChartSpec(options);
  const { vega, vegaLite } = await loadVega();
  let svg: string;
  try {
    // The spec is our own JSON; vega-lite's TopLevelSpec type is a wide union we need not mirror.
    // Quiet loggers: a warning printed into the user's cell output on every refresh is noise.
    const logger = vega.logger(vega.Error);
    const compiled = vegaLite.compile(built.spec as unknown as Parameters<typeof vegaLite.compile>[0], { logger }).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: "none", logger });
    try {
      svg = await view.toSVG();
    } finally {
      view.finalize();
    }
  } catch (cause) {
    throw new NbresumeError(RenderErrorCode.CHART_FAILED, renderMessages.chartRenderFailed(cause), {
      where: "renderLossChart",
      cause,
    });
  }
  const width = Math.round(built.width * pixelRatio);
  const { png, height } = await svgToPng(svg, { width });
  return {
    bundle: { "image/png": png, "text/plain": built.summary },
    width,
    height,
    spec: built.spec,
    yScale: built.yScale,
  };
}

/**
 * The chart as an interactive vega-lite MIME bundle for front ends that render it (JupyterLab).
 * Uses the v5 MIME type JupyterLab registers; the spec sticks to features v5 and v6 share.
 */
export function lossChartVegaLiteBundle(options: LossChartSpecOptions): {
  readonly "application/vnd.vegalite.v5+json": VegaLiteSpec;
  readonly "text/plain": string;
} {
  const built = buildLossChartSpec(options);
  return {
    "application/vnd.vegalite.v5+json": { ...built.spec, $schema: "https://vega.github.io/schema/vega-lite/v5.json" },
    "text/plain": built.summary,
  };
}
