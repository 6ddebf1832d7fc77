/**
 * A vega-lite spec to an SVG document: vega-lite compiles it to a vega spec, a headless vega view
 * (no canvas) draws it as SVG. The plot preview rasterises the result with svgToPng; the loss
 * chart does the same steps inline. Loggers are quiet: a warning printed into the user's cell on
 * every refresh is noise.
 */
import { NbresumeError } from "../errors.js";
import type { VegaLiteSpec } from "./vega-lite-spec.js";
import { RenderErrorCode, renderMessages } from "./messages.js";
import { loadVega } from "./vega-modules.js";

/** Renders `spec` to SVG text; a spec vega-lite or vega rejects is a CHART_FAILED error naming `where`. */
export async function vegaLiteToSvg(spec: VegaLiteSpec, where: string): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  try {
    const logger = vega.logger(vega.Error);
    // The spec is plain JSON; vega-lite's TopLevelSpec type is a wide union we need not mirror.
    const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0], { logger }).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: "none", logger });
    try {
      return await view.toSVG();
    } finally {
      view.finalize();
    }
  } catch (cause) {
    throw new NbresumeError(RenderErrorCode.CHART_FAILED, renderMessages.plotRenderFailed(cause), { where, cause });
  }
}
