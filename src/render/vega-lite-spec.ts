/**
 * A vega-lite specification as plain JSON: what every chart and plot builder in this folder
 * produces (loss-chart-spec.ts, plot-spec-base.ts and the plots on it) and vega-svg.ts renders.
 */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A vega-lite top-level specification as plain JSON. */
export interface VegaLiteSpec {
  readonly [key: string]: JsonValue;
}
