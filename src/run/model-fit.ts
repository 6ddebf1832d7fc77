/**
 * Whether a checkpoint's model tensors fit the model this run trains: the same parameter names,
 * each with its dtype and shape. Asked before a checkpoint is previewed or resumed, from the
 * model's declared parameters (model-discovery.ts builds its loss once, no session compiled), so a
 * changed architecture (a hidden width 64 → 32) is said first, plainly, and never offered
 * allowConfigChange: no override can put [4, 64] weights into a [4, 32] parameter.
 */
import type { ParameterSpec } from "../engine/nn/parameter-scope.js";
import type { TensorGroup } from "../tensor.js";

export interface ModelFit {
  /** Every parameter found with its dtype and shape, and no tensor left over. */
  readonly fits: boolean;
  /** Parameters the checkpoint has with their dtype and shape. */
  readonly loaded: readonly string[];
  /** Parameters the checkpoint does not have. */
  readonly missing: readonly string[];
  /** Tensors of the checkpoint no parameter has. */
  readonly unused: readonly string[];
  /** Parameters the checkpoint has with another dtype or shape. */
  readonly mismatched: readonly { readonly name: string; readonly expected: string; readonly found: string }[];
}

function describe(t: { readonly dtype: string; readonly shape: readonly number[] }): string {
  return `${t.dtype}[${t.shape.join(", ")}]`;
}

/** How the checkpoint's `tensors` (its "model" group) fit `parameters`, by name. */
export function modelFit(parameters: readonly ParameterSpec[], tensors: TensorGroup): ModelFit {
  const loaded: string[] = [];
  const missing: string[] = [];
  const mismatched: { name: string; expected: string; found: string }[] = [];
  const declared = new Set<string>();
  for (const p of parameters) {
    declared.add(p.name);
    const t = Object.hasOwn(tensors, p.name) ? tensors[p.name] : undefined;
    if (t === undefined) missing.push(p.name);
    else if (t.dtype !== p.dtype || t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
      mismatched.push({ name: p.name, expected: describe(p), found: describe(t) });
    else loaded.push(p.name);
  }
  const unused = Object.keys(tensors).filter((name) => !declared.has(name));
  return { fits: missing.length === 0 && unused.length === 0 && mismatched.length === 0, loaded, missing, unused, mismatched };
}
