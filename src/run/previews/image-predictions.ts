/**
 * "image-predictions": a classifier's grid — fixed held-out images with the predicted class and its
 * probability under each, wrong ones marked in red. One forward pass of a few images: drawn on the
 * training thread (a few ms, not worth a thread).
 *
 *   { kind: "image-predictions", settings: { graph: "predict", input: "images", output: "logits",
 *     imageColumn: "images", labelColumn: "labels", imageShape: [28, 28] } }
 *
 * Classes are shown as numbers, or as the names in the dataset's info.classNames.
 */
import type { JsonObject } from "../../engine/nn/json.js";
import { elementCount } from "../../tensor.js";
import type { PreviewKind } from "./preview-kind.js";
import { degenerateSamples } from "./preview-check.js";
import { columnOf, takeRows } from "./rows.js";
import { evenlySpacedRows, numberArraySetting, numberSetting, stringSetting } from "./settings.js";

const KIND = "image-predictions";

/** [height, width] of one image: the dataset's info.imageShape, the column's last two dims, or a square. */
function defaultImageShape(columnShape: readonly number[], info: unknown): number[] | undefined {
  if (Array.isArray(info) && info.length === 2 && info.every((d) => typeof d === "number")) return info;
  if (columnShape.length >= 2) return columnShape.slice(-2);
  const side = Math.round(Math.sqrt(columnShape[0] ?? 0));
  return columnShape.length === 1 && side * side === columnShape[0] ? [side, side] : undefined;
}

export const imagePredictionsKind: PreviewKind = {
  kind: KIND,
  heavy: false,
  prepare(settings, _model, data, overrides) {
    const imageColumn = stringSetting(KIND, settings, "imageColumn", "images");
    const labelColumn = stringSetting(KIND, settings, "labelColumn", "labels");
    const images = columnOf(KIND, data, imageColumn);
    const labels = columnOf(KIND, data, labelColumn);
    if (images.dtype !== "float32") throw new RangeError(`Preview '${KIND}': column '${imageColumn}' must be float32 pixels in [0, 1], got ${images.dtype}.`);
    const samples = overrides.samples ?? numberSetting(KIND, settings, "samples", 16, { min: 1, max: 256, integer: true });
    const rows = evenlySpacedRows(data!.count, samples);
    const imageShape = numberArraySetting(KIND, settings, "imageShape", defaultImageShape(images.shape, data!.info["imageShape"]));
    if (imageShape.length !== 2 || elementCount(imageShape) * (images.shape.length === 3 ? images.shape[0]! : 1) !== elementCount(images.shape)) {
      throw new RangeError(
        `Preview '${KIND}': setting 'imageShape' ${JSON.stringify(imageShape)} does not fit column '${imageColumn}' of shape [${images.shape.join(", ")}].`,
      );
    }
    const classNames = Array.isArray(data!.info["classNames"]) ? data!.info["classNames"] : null;
    const completed: JsonObject = {
      graph: stringSetting(KIND, settings, "graph", "predict"),
      input: stringSetting(KIND, settings, "input", "images"),
      output: stringSetting(KIND, settings, "output", "logits"),
      imageColumn,
      labelColumn,
      imageShape,
      samples: rows.length,
      classNames,
    };
    return {
      kind: KIND,
      settings: completed,
      tensors: { images: takeRows(images, rows), labels: takeRows(labels, rows) },
      graphs: [{ graph: completed["graph"] as string, batchSize: rows.length }],
    };
  },
  async compute(prepared, context) {
    const s = prepared.settings;
    const images = prepared.tensors["images"]!;
    const out = await context.run(s["graph"] as string, s["samples"] as number, { [s["input"] as string]: images });
    const logits = out[s["output"] as string];
    if (logits === undefined || logits.dtype !== "float32" || logits.shape.length !== 2 || logits.shape[0] !== s["samples"]) {
      throw new Error(
        `Preview '${KIND}': graph '${s["graph"] as string}' output '${s["output"] as string}' should be float32 [${s["samples"] as number}, classes], got ${logits === undefined ? "nothing" : `${logits.dtype}[${logits.shape.join(", ")}]`}.`,
      );
    }
    return { tensors: { logits }, json: {} };
  },
  async render(prepared, result, caption) {
    const { renderSampleGrid } = await import("../../render/sample-grid.js");
    const { predictionLabel } = await import("../../render/prediction-label.js");
    const { gridPreview } = await import("../../render/grid-preview.js");
    const s = prepared.settings;
    const n = s["samples"] as number;
    const [height, width] = s["imageShape"] as number[];
    const logits = result.tensors["logits"]!.data as Float32Array;
    const classes = result.tensors["logits"]!.shape[1]!;
    const truth = prepared.tensors["labels"]!.data;
    const names = s["classNames"] as string[] | null;
    const name = (c: number): string | number => names?.[c] ?? c;
    const labels = Array.from({ length: n }, (_, i) => {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      let best = 0;
      for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
      let sum = 0;
      for (const v of row) sum += Math.exp(v - row[best]!);
      return predictionLabel({ predicted: name(best), probability: 1 / sum, truth: name(Number(truth[i]!)) });
    });
    const images = prepared.tensors["images"]!.data as Float32Array;
    return gridPreview(await renderSampleGrid({ images, n, height: height!, width: width!, range: [0, 1], labels, caption }), caption);
  },
  check(_prepared, result) {
    return degenerateSamples(KIND, "rows of logits", result.tensors["logits"]);
  },
};
