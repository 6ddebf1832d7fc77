/**
 * "regression-plot": a regression model's predictions against the targets on fixed held-out rows,
 * a scatter with the y = x line (points on the line are right). One forward pass: drawn on the
 * training thread.
 *
 *   { kind: "regression-plot", settings: { graph: "predict", input: "x", output: "y",
 *     inputColumn: "x", targetColumn: "y", samples: 256 } }
 */
import type { JsonObject } from "../../engine/nn/json.js";
import type { PreviewKind } from "./preview-kind.js";
import { columnOf, numbers, takeRows } from "./rows.js";
import { evenlySpacedRows, numberSetting, stringSetting } from "./settings.js";

const KIND = "regression-plot";

export const regressionPlotKind: PreviewKind = {
  kind: KIND,
  heavy: false,
  prepare(settings, _model, data, _overrides) {
    const input = stringSetting(KIND, settings, "input", "x");
    const inputColumn = stringSetting(KIND, settings, "inputColumn", input);
    const targetColumn = stringSetting(KIND, settings, "targetColumn", "y");
    const x = columnOf(KIND, data, inputColumn);
    const y = columnOf(KIND, data, targetColumn);
    const rows = evenlySpacedRows(data!.count, numberSetting(KIND, settings, "samples", 256, { min: 1, max: 10_000, integer: true }));
    const completed: JsonObject = {
      graph: stringSetting(KIND, settings, "graph", "predict"),
      input,
      output: stringSetting(KIND, settings, "output", "y"),
      inputColumn,
      targetColumn,
      samples: rows.length,
    };
    return {
      kind: KIND,
      settings: completed,
      tensors: { x: takeRows(x, rows), target: takeRows(y, rows) },
      graphs: [{ graph: completed["graph"] as string, batchSize: rows.length }],
    };
  },
  async compute(prepared, context) {
    const s = prepared.settings;
    const out = await context.run(s["graph"] as string, s["samples"] as number, { [s["input"] as string]: prepared.tensors["x"]! });
    const prediction = out[s["output"] as string];
    if (prediction === undefined)
      throw new Error(`Preview '${KIND}': graph '${s["graph"] as string}' has no output '${s["output"] as string}' (outputs: ${Object.keys(out).join(", ")}).`);
    if (prediction.data.length !== prepared.tensors["target"]!.data.length) {
      throw new Error(
        `Preview '${KIND}': output '${s["output"] as string}' has ${prediction.data.length} values for ${prepared.tensors["target"]!.data.length} targets (shape [${prediction.shape.join(", ")}] vs the column's [${prepared.tensors["target"]!.shape.join(", ")}]).`,
      );
    }
    return { tensors: { prediction }, json: {} };
  },
  async render(prepared, result, caption) {
    const { predictionVsTargetSpec } = await import("../../render/prediction-vs-target-spec.js");
    const { renderPlotPreview } = await import("../../render/plot-preview.js");
    const targets = numbers(prepared.tensors["target"]!);
    const predictions = numbers(result.tensors["prediction"]!);
    const points = targets.map((target, i) => ({ target, prediction: predictions[i]! }));
    return renderPlotPreview({ spec: predictionVsTargetSpec(points, { title: caption }), caption });
  },
};
