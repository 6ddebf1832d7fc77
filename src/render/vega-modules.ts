/**
 * Loads vega and vega-lite on first use and keeps them. They are ESM-only, and tslab loads our
 * package with require(): a static import would still work, but require() of ESM fails for the
 * whole graph if anything in it uses top-level await, and loading vega costs ~150 ms that a
 * `import { resumable } from "nbresume"` should not pay until a chart is drawn. So: a dynamic
 * import inside a function, cached.
 */
import type * as vega from "vega";
import type * as vegaLite from "vega-lite";
import { NbresumeError } from "../errors.js";
import { RenderErrorCode, renderMessages } from "./messages.js";
import { isBoldWeight, sansTextWidth } from "./text-metrics.js";

export interface VegaModules {
  readonly vega: typeof vega;
  readonly vegaLite: typeof vegaLite;
}

let loading: Promise<VegaModules> | undefined;

export function loadVega(): Promise<VegaModules> {
  loading ??= Promise.all([import("vega"), import("vega-lite")]).then(
    ([vega, vegaLite]) => {
      useFontMetrics(vega);
      return { vega, vegaLite };
    },
    (cause: unknown) => {
      loading = undefined; // let a later call retry, e.g. after the user reinstalls
      throw new NbresumeError(RenderErrorCode.CHART_FAILED, renderMessages.chartLoadFailed(cause), {
        where: "loadVega",
        cause,
      });
    },
  );
  return loading;
}

/** vega-scenegraph's text measurer; exported by vega but absent from its type declarations. */
interface TextMetrics {
  width: (item: { fontSize?: unknown; fontWeight?: unknown }, text?: unknown) => number;
  readonly estimateWidth: unknown;
}

/**
 * Replaces vega's text-width guess with real DejaVu Sans widths, unless vega measures with
 * node-canvas (then it already knows). Global to the vega module, which only gets better for it.
 */
function useFontMetrics(vega: object): void {
  const metrics = (vega as { textMetrics?: TextMetrics }).textMetrics;
  if (metrics === undefined || metrics.width !== metrics.estimateWidth) return;
  metrics.width = (item, text) => {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- vega measures a string or a number
    const value = text === null || text === undefined ? "" : String(text).trim();
    const size = item.fontSize === null || item.fontSize === undefined ? 11 : Number(item.fontSize) || 0;
    return sansTextWidth(value, size, isBoldWeight(item.fontWeight));
  };
}
