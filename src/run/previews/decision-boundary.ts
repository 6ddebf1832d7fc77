/**
 * "decision-boundary": a classifier of 2-D points — the class it predicts over the plane (a grid
 * spanning the data with a margin) with held-out points on top, coloured by their true class. One
 * forward pass of the grid: drawn on the training thread.
 *
 *   { kind: "decision-boundary", settings: { graph: "predict", input: "x", output: "logits",
 *     inputColumn: "x", labelColumn: "label", resolution: 50, points: 300 } }
 */
import type { JsonObject } from "../../engine/nn/json.js";
import type { PreviewKind } from "./preview-kind.js";
import { columnOf, numbers, takeRows } from "./rows.js";
import { evenlySpacedRows, numberSetting, stringSetting } from "./settings.js";

const KIND = "decision-boundary";

export const decisionBoundaryKind: PreviewKind = {
  kind: KIND,
  heavy: false,
  prepare(settings, _model, data, _overrides) {
    const input = stringSetting(KIND, settings, "input", "x");
    const inputColumn = stringSetting(KIND, settings, "inputColumn", input);
    const labelColumn = stringSetting(KIND, settings, "labelColumn", "label");
    const x = columnOf(KIND, data, inputColumn);
    const label = columnOf(KIND, data, labelColumn);
    if (x.dtype !== "float32" || x.shape.length !== 1 || x.shape[0] !== 2) {
      throw new RangeError(`Preview '${KIND}': column '${inputColumn}' must be float32 points of shape [2], got ${x.dtype}[${x.shape.join(", ")}].`);
    }
    const resolution = numberSetting(KIND, settings, "resolution", 50, { min: 2, max: 200, integer: true });
    const xs = x.data as Float32Array;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < xs.length; i += 2) {
      const [a, b] = [xs[i]!, xs[i + 1]!];
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      [x0, x1, y0, y1] = [Math.min(x0, a), Math.max(x1, a), Math.min(y0, b), Math.max(y1, b)];
    }
    if (!Number.isFinite(x0)) [x0, x1, y0, y1] = [-1, 1, -1, 1];
    const mx = Math.max((x1 - x0) * 0.1, 1e-3);
    const my = Math.max((y1 - y0) * 0.1, 1e-3);
    [x0, x1, y0, y1] = [x0 - mx, x1 + mx, y0 - my, y1 + my];
    const grid = new Float32Array(resolution * resolution * 2);
    for (let r = 0; r < resolution; r++) {
      for (let c = 0; c < resolution; c++) {
        const k = (r * resolution + c) * 2;
        grid[k] = x0 + ((c + 0.5) * (x1 - x0)) / resolution;
        grid[k + 1] = y0 + ((r + 0.5) * (y1 - y0)) / resolution;
      }
    }
    const rows = evenlySpacedRows(data!.count, numberSetting(KIND, settings, "points", 300, { min: 1, max: 5000, integer: true }));
    const completed: JsonObject = {
      graph: stringSetting(KIND, settings, "graph", "predict"),
      input,
      output: stringSetting(KIND, settings, "output", "logits"),
      inputColumn,
      labelColumn,
      resolution,
      extent: [x0, x1, y0, y1],
      classNames: data !== undefined && Array.isArray(data.info["classNames"]) ? data.info["classNames"] : null,
    };
    return {
      kind: KIND,
      settings: completed,
      tensors: { grid: { dtype: "float32", shape: [resolution * resolution, 2], data: grid }, points: takeRows(x, rows), labels: takeRows(label, rows) },
      graphs: [{ graph: completed["graph"] as string, batchSize: resolution * resolution }],
    };
  },
  async compute(prepared, context) {
    const s = prepared.settings;
    const n = (s["resolution"] as number) ** 2;
    const out = await context.run(s["graph"] as string, n, { [s["input"] as string]: prepared.tensors["grid"]! });
    const scores = out[s["output"] as string];
    if (scores === undefined || scores.dtype !== "float32" || scores.shape.length !== 2 || scores.shape[0] !== n) {
      throw new Error(
        `Preview '${KIND}': graph '${s["graph"] as string}' output '${s["output"] as string}' should be float32 [${n}, classes], got ${scores === undefined ? "nothing" : `${scores.dtype}[${scores.shape.join(", ")}]`}.`,
      );
    }
    const classes = scores.shape[1]!;
    const data = scores.data as Float32Array;
    const predicted = new Int32Array(n);
    const confidence = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const row = data.subarray(i * classes, (i + 1) * classes);
      let best = 0;
      for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
      let sum = 0;
      for (const v of row) sum += Math.exp(v - row[best]!);
      predicted[i] = best;
      confidence[i] = classes === 1 ? 1 : 1 / sum;
    }
    return {
      tensors: { predicted: { dtype: "int32", shape: [n], data: predicted }, confidence: { dtype: "float32", shape: [n], data: confidence } },
      json: {},
    };
  },
  async render(prepared, result, caption) {
    const { decisionBoundarySpec } = await import("../../render/decision-boundary-spec.js");
    const { renderPlotPreview } = await import("../../render/plot-preview.js");
    const s = prepared.settings;
    const names = s["classNames"] as string[] | null;
    const name = (c: number): string => String(names?.[c] ?? c);
    const grid = prepared.tensors["grid"]!.data as Float32Array;
    const predicted = result.tensors["predicted"]!.data as Int32Array;
    const confidence = result.tensors["confidence"]!.data as Float32Array;
    const points = prepared.tensors["points"]!.data as Float32Array;
    const labels = numbers(prepared.tensors["labels"]!);
    const spec = decisionBoundarySpec({
      grid: Array.from(predicted, (c, i) => ({ x: grid[2 * i]!, y: grid[2 * i + 1]!, class: name(c), probability: confidence[i]! })),
      points: labels.map((l, i) => ({ x: points[2 * i]!, y: points[2 * i + 1]!, label: name(l) })),
      title: caption,
    });
    return renderPlotPreview({ spec, caption });
  },
};
