/**
 * What a preview's numbers say about the model (the resume preview is a validation gate,
 * resume-gate.ts): every float in every result must be finite — a checkpoint whose sampler draws
 * NaN is broken however intact its files are — and a kind may add its own check (check() in
 * preview-kind.ts), such as samples that are all constant or all the same. Each check returns one
 * line saying what is wrong, or undefined.
 */
import type { Tensor } from "../../tensor.js";
import type { PreviewResult } from "./preview-kind.js";

/** The first non-finite value of the result's float tensors, named. */
export function nonFiniteResult(kind: string, result: PreviewResult): string | undefined {
  for (const [name, t] of Object.entries(result.tensors)) {
    if (t.dtype !== "float32" && t.dtype !== "float64") continue;
    const data = t.data as Float32Array | Float64Array;
    let bad = 0;
    let first = -1;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        bad++;
        if (first < 0) first = i;
      }
    }
    if (bad > 0) return `the '${kind}' preview's ${name} hold ${bad} of ${data.length} values that are not finite (the first: ${String(data[first])})`;
  }
  return undefined;
}

/**
 * Samples (the first dimension) that are all constant — every value of each sample the same —
 * or all identical to one another: what a collapsed model draws. Needs two samples or more.
 */
export function degenerateSamples(kind: string, what: string, t: Tensor | undefined): string | undefined {
  if (t === undefined || (t.dtype !== "float32" && t.dtype !== "float64")) return undefined;
  const n = t.shape[0] ?? 0;
  if (n < 2) return undefined;
  const data = t.data as Float32Array | Float64Array;
  const size = data.length / n;
  if (!Number.isInteger(size) || size < 2) return undefined;
  let constant = true;
  for (let s = 0; s < n && constant; s++) {
    const first = data[s * size]!;
    for (let i = 1; i < size; i++) {
      if (data[s * size + i] !== first) {
        constant = false;
        break;
      }
    }
  }
  if (constant) return `the '${kind}' preview's ${n} ${what} are each one constant value: the model produces nothing but a constant`;
  for (let s = 1; s < n; s++) {
    for (let i = 0; i < size; i++) if (data[s * size + i] !== data[i]) return undefined;
  }
  return `the '${kind}' preview's ${n} ${what} are all identical: the model ignores its input`;
}
