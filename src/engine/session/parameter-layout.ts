/**
 * How the session stores parameters and optimizer state in buffers fed to onnxruntime.
 *
 * "flat" (default): one flat float32 vector per group (weights with decay, parameters without), split
 * inside the graph. Measured on the 784-256-10 MLP, this makes the optimizer a dozen full-size ops
 * instead of a dozen per tensor, and the step faster (bench/engine.bench.ts). "per-tensor": one buffer
 * per parameter, kept for comparison.
 *
 * Either way the state dict names tensors per parameter: views into the group buffers, no copies.
 */
import type { Shape } from "../graph/value.js";
import { product } from "../graph/shape.js";
import type { ParameterSpec } from "../nn/parameter-scope.js";

export type LayoutKind = "flat" | "per-tensor";

export interface LayoutMember {
  readonly spec: ParameterSpec;
  /** Element offset inside the group buffer. */
  readonly offset: number;
  readonly size: number;
}

export interface ParameterGroup {
  /** "decay" / "no_decay" for flat layouts; the parameter's name for per-tensor ones. */
  readonly name: string;
  /** The buffer's shape: [size] when flat, the parameter's shape otherwise. */
  readonly shape: Shape;
  readonly size: number;
  readonly decay: boolean;
  readonly members: readonly LayoutMember[];
}

export function planLayout(specs: readonly ParameterSpec[], kind: LayoutKind): ParameterGroup[] {
  if (kind === "per-tensor") {
    return specs.map((spec) => {
      const size = product(spec.shape);
      return { name: spec.name, shape: spec.shape, size, decay: spec.decay, members: [{ spec, offset: 0, size }] };
    });
  }
  const groups: ParameterGroup[] = [];
  for (const [name, decay] of [
    ["decay", true],
    ["no_decay", false],
  ] as const) {
    const members: LayoutMember[] = [];
    let offset = 0;
    for (const spec of specs) {
      if (spec.decay !== decay) continue;
      const size = product(spec.shape);
      members.push({ spec, offset, size });
      offset += size;
    }
    if (members.length > 0) groups.push({ name, shape: [offset], size: offset, decay, members });
  }
  return groups;
}

/** Graph input / output names of the session's buffers. */
export const names = {
  param: (group: string): string => `param/${group}`,
  /** A parameter fed as a view into its flat group's buffer. */
  member: (param: string): string => `param:${param}`,
  state: (slot: string, group: string): string => `${slot}/${group}`,
  newParam: (group: string): string => `new_param/${group}`,
  newState: (slot: string, group: string): string => `new_${slot}/${group}`,
  metric: (name: string): string => `metric/${name}`,
  loss: "loss",
  lr: "lr",
  step: "step",
  gradNorm: "grad_norm",
} as const;
