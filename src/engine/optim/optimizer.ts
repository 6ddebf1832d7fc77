/**
 * Optimizers build their update inside the step graph. The session hands them one entry per
 * parameter (or per flat group of parameters), each with its gradient and its state slots, plus the
 * scalar inputs `lr` (this step's learning rate), `step` (1 for the first update) and any scalars the
 * optimizer derives from them in `scalars()` (bias corrections): those are computed in float64 in
 * TypeScript, as PyTorch does in Python, and fed as float32 scalars, which keeps per-step scalar
 * arithmetic out of the graph.
 *
 * State is a named tensor group: slot `m` of parameter `fc1.weight` is `m.fc1.weight`. Slots start
 * at zero.
 */
import type { GraphBuilder } from "../graph/graph-builder.js";
import type { Value } from "../graph/value.js";
import type { JsonObject } from "../nn/json.js";

export interface UpdateEntry {
  /** The parameter's (or group's) name. */
  readonly name: string;
  readonly param: Value;
  readonly grad: Value;
  /** One Value per slot, same shape as `param`. */
  readonly state: Readonly<Record<string, Value>>;
  /** Whether weight decay applies to this entry. */
  readonly decay: boolean;
}

export interface UpdateScalars {
  /** Learning rate for this step (float32 scalar). */
  readonly lr: Value;
  /** 1-based number of this update (float32 scalar). */
  readonly step: Value;
  /** The optimizer's own scalars, by the names `scalars()` returns. */
  readonly derived: Readonly<Record<string, Value>>;
}

export interface UpdatedEntry {
  readonly param: Value;
  readonly state: Readonly<Record<string, Value>>;
}

export interface Optimizer {
  /** e.g. { name: "adamw", beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }. */
  readonly config: JsonObject;
  /** Per-parameter state slots, e.g. ["m", "v"]; [] for plain SGD. */
  readonly slots: readonly string[];
  /**
   * Scalars fed each step besides lr and step, computed from them (e.g. Adam's bias-corrected step
   * size). Same names every step.
   */
  scalars(lr: number, step: number): Record<string, number>;
  /** Appends the update to `graph`; returns the new parameter and state per entry, in order. */
  update(graph: GraphBuilder, entries: readonly UpdateEntry[], scalars: UpdateScalars): UpdatedEntry[];
}

/** State tensor name of `slot` for parameter `param`. */
export function stateName(slot: string, param: string): string {
  return `${slot}.${param}`;
}
