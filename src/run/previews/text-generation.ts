/**
 * "text-generation": what a language model writes — each sample starts from a window of held-out
 * text (the prompt) and continues it token by token through the model's next-token graph
 * (ids [n, context] int64 → logits [n, vocab] or [n, context, vocab]; the last position is used),
 * sampling with temperature (and top-k) from the run's preview generator, the window sliding as
 * it goes. Shown as text with the prompt set apart, saved as .txt and .md.
 *
 *   { kind: "text-generation", settings: { graph: "next", input: "ids", output: "logits",
 *     column: "input", samples: 4, length: 200, temperature: 0.8 } }
 *
 * The tokenizer comes from the dataset's info (a text corpus records it). Heavy (one graph run
 * per token): drawn on the sampler thread.
 */
import type { JsonObject } from "../../engine/nn/json.js";
import type { PreviewKind } from "./preview-kind.js";
import { SamplingStopped } from "./sampling-stopped.js";
import { evenlySpacedRows, numberSetting, stringSetting } from "./settings.js";
import { decodeTokens, tokenizerFromInfo } from "./tokens.js";

const KIND = "text-generation";

/** Index of a draw from softmax(logits / temperature) restricted to the top k (argmax at temperature 0). */
export function sampleToken(logits: Float32Array, temperature: number, topK: number, u: number): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature === 0) return best;
  const order = Array.from(logits.keys());
  if (topK > 0 && topK < logits.length) order.sort((a, b) => logits[b]! - logits[a]! || a - b).length = topK;
  const weights = order.map((i) => Math.exp((logits[i]! - logits[best]!) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let target = u * total;
  for (let k = 0; k < order.length; k++) {
    target -= weights[k]!;
    if (target < 0) return order[k]!;
  }
  return order[order.length - 1]!;
}

export const textGenerationKind: PreviewKind = {
  kind: KIND,
  heavy: true,
  prepare(settings, _model, data, overrides) {
    const columnName = stringSetting(KIND, settings, "column", "input");
    const column = data?.columns[columnName];
    if (data === undefined || column === undefined || (column.dtype !== "int64" && column.dtype !== "int32") || column.shape.length !== 1) {
      throw new RangeError(
        `Preview '${KIND}': the data needs an int64 column '${columnName}' of token windows [context] to take prompts from (columns: ${Object.keys(data?.columns ?? {}).join(", ") || "no data"}).`,
      );
    }
    const tokenizer = tokenizerFromInfo(data.info);
    const context = column.shape[0]!;
    const samples =
      overrides.samples === undefined ? numberSetting(KIND, settings, "samples", 4, { min: 1, max: 64, integer: true }) : Math.min(overrides.samples, 16);
    const rows = evenlySpacedRows(data.count, samples);
    const prompts = new BigInt64Array(rows.length * context);
    rows.forEach((row, i) => {
      for (let j = 0; j < context; j++) prompts[i * context + j] = BigInt(column.data[row * context + j]!);
    });
    const completed: JsonObject = {
      graph: stringSetting(KIND, settings, "graph", "next"),
      input: stringSetting(KIND, settings, "input", "ids"),
      output: stringSetting(KIND, settings, "output", "logits"),
      column: columnName,
      samples: rows.length,
      context,
      length: numberSetting(KIND, settings, "length", 200, { min: 1, max: 10_000, integer: true }),
      temperature: numberSetting(KIND, settings, "temperature", 0.8, { min: 0, max: 10 }),
      topK: numberSetting(KIND, settings, "topK", 0, { min: 0, integer: true }),
      promptChars: numberSetting(KIND, settings, "promptChars", 80, { min: 0, integer: true }),
      tokenizer,
    };
    return {
      kind: KIND,
      settings: completed,
      tensors: { prompts: { dtype: "int64", shape: [rows.length, context], data: prompts } },
      graphs: [{ graph: completed["graph"] as string, batchSize: rows.length }],
    };
  },
  async compute(prepared, context) {
    const s = prepared.settings;
    const n = s["samples"] as number;
    const T = s["context"] as number;
    const length = s["length"] as number;
    const temperature = s["temperature"] as number;
    const topK = s["topK"] as number;
    const window = BigInt64Array.from(prepared.tensors["prompts"]!.data as BigInt64Array);
    const generated = new BigInt64Array(n * length);
    for (let step = 0; step < length; step++) {
      if (context.stopped()) throw new SamplingStopped(`stopped after ${step} of ${length} tokens`);
      const out = await context.run(s["graph"] as string, n, { [s["input"] as string]: { dtype: "int64", shape: [n, T], data: window } });
      const logits = out[s["output"] as string];
      if (logits === undefined || logits.dtype !== "float32" || logits.shape[0] !== n || (logits.shape.length !== 2 && logits.shape.length !== 3)) {
        throw new Error(
          `Preview '${KIND}': graph '${s["graph"] as string}' output '${s["output"] as string}' should be float32 [${n}, vocab] or [${n}, ${T}, vocab], got ${logits === undefined ? "nothing" : `${logits.dtype}[${logits.shape.join(", ")}]`}.`,
        );
      }
      const vocab = logits.shape[logits.shape.length - 1]!;
      const data = logits.data as Float32Array;
      for (let i = 0; i < n; i++) {
        const at = logits.shape.length === 2 ? i * vocab : (i * T + T - 1) * vocab;
        const next = sampleToken(data.subarray(at, at + vocab), temperature, topK, context.rng.nextFloat());
        generated[i * length + step] = BigInt(next);
        window.copyWithin(i * T, i * T + 1, (i + 1) * T);
        window[(i + 1) * T - 1] = BigInt(next);
      }
    }
    return { tensors: { generated: { dtype: "int64", shape: [n, length], data: generated } }, json: {} };
  },
  async render(prepared, result, caption) {
    const { renderTextPreview } = await import("../../render/text-preview.js");
    const s = prepared.settings;
    const n = s["samples"] as number;
    const T = s["context"] as number;
    const length = s["length"] as number;
    const tokenizer = s["tokenizer"] as JsonObject;
    const prompts = prepared.tensors["prompts"]!.data as BigInt64Array;
    const generated = result.tensors["generated"]!.data as BigInt64Array;
    const keep = s["promptChars"] as number;
    const samples = Array.from({ length: n }, (_, i) => {
      const prompt = decodeTokens(prompts.subarray(i * T, (i + 1) * T), tokenizer);
      return {
        ...(keep > 0 ? { prompt: [...prompt].slice(-keep).join("") } : {}),
        text: decodeTokens(generated.subarray(i * length, (i + 1) * length), tokenizer),
      };
    });
    return renderTextPreview({ samples, caption });
  },
};
