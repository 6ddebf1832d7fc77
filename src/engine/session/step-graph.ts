/**
 * Builds the fused training step:
 *
 *   param/<group>, param:<name> (views), <slot>/<group>, batch inputs, lr, step, <optimizer scalars>
 *     → Model.loss → gradients → concat per group → [clip] → optimizer
 *     → loss, metrics, [grad_norm: when clipping, or asked for], new parameters, new optimizer state
 *
 * Outputs keep the names of the values that compute them: renaming would add an Identity node, which
 * onnxruntime runs as a full copy (~30 µs per 0.8 MB output, measured).
 */
import { gradients } from "../autodiff/gradients.js";
import { cast, concat, reshape } from "../graph/functional.js";
import { GraphBuilder } from "../graph/graph-builder.js";
import { product } from "../graph/shape.js";
import type { Value } from "../graph/value.js";
import { createParameterScope } from "../nn/graph-parameter-scope.js";
import type { InputSpecs, InputValues, Model } from "../nn/model.js";
import type { RandomInputSpec } from "../nn/random-input.js";
import type { Optimizer, UpdateEntry } from "../optim/optimizer.js";
import { clipGradNorm, globalNorm } from "../optim/clip-grad-norm.js";
import { bindToLayout, type LayoutBinding } from "./layout-binding.js";
import { sessionMessages } from "./messages.js";
import { names, type ParameterGroup } from "./parameter-layout.js";

/** ONNX output names of a step graph's results. */
export interface StepOutputs {
  readonly loss: string;
  readonly metrics: Readonly<Record<string, string>>;
  readonly gradNorm: string | undefined;
  /** By group name. */
  readonly params: Readonly<Record<string, string>>;
  /** By `names.state(slot, group)`. */
  readonly state: Readonly<Record<string, string>>;
}

export interface StepGraph {
  readonly graph: GraphBuilder;
  /** Random inputs the loss asked for (dropout masks…), drawn by the session each step in this order. */
  readonly randoms: readonly RandomInputSpec[];
  readonly layout: LayoutBinding;
  readonly outputs: StepOutputs;
  readonly scalarNames: readonly string[];
}

export interface StepGraphOptions {
  readonly groups: readonly ParameterGroup[];
  readonly inputs: InputSpecs;
  readonly optimizer: Optimizer;
  readonly clipGradNorm?: number;
  /** Output the gradients' global L2 norm even without clipping (the run's divergence guard reads it). */
  readonly gradNorm?: boolean;
}

export function buildStepGraph<B>(model: Model<B>, options: StepGraphOptions): StepGraph {
  const { groups, optimizer } = options;
  const g = new GraphBuilder("train_step");
  const layout = bindToLayout(g, groups, "train_step");
  const state = groups.map((grp) => Object.fromEntries(optimizer.slots.map((slot) => [slot, g.input(names.state(slot, grp.name), "float32", grp.shape)])));
  const inputs = declareInputs(g, options.inputs);
  const lr = g.input(names.lr, "float32", []);
  const step = g.input(names.step, "float32", []);
  const scalarNames = Object.keys(optimizer.scalars(1, 1));
  const derived = Object.fromEntries(scalarNames.map((n) => [n, g.input(n, "float32", [])]));

  const bound = createParameterScope(g, layout.bind, { training: true });
  const { loss, metrics = {} } = model.loss(bound.scope, inputs);
  checkLoss(loss);

  // Gradients w.r.t. each parameter as the model sees it; a flat group's gradient is one Concat of
  // the flattened pieces, in layout order.
  const values = bound.values();
  const wrt = groups.map((grp) =>
    grp.members.map((m) => {
      const v = values.get(m.spec.name);
      if (v === undefined) throw new Error(sessionMessages.parameterNotRebuilt(m.spec.name));
      return v;
    }),
  );
  const flatGrads = gradients(loss, wrt.flat());
  let k = 0;
  let grads = wrt.map((vals, gi) => {
    const parts = vals.map(() => flatGrads[k++]!);
    const grp = groups[gi]!;
    return parts.length === 1
      ? reshape(parts[0]!, grp.shape)
      : concat(
          parts.map((p) => reshape(p, [product(p.shape)])),
          0,
        );
  });

  let gradNorm: string | undefined;
  if (options.clipGradNorm !== undefined) {
    const clipped = clipGradNorm(grads, options.clipGradNorm);
    grads = clipped.grads;
    gradNorm = expose(g, clipped.norm, names.gradNorm);
  } else if (options.gradNorm === true) {
    gradNorm = expose(g, globalNorm(grads), names.gradNorm);
  }

  const entries: UpdateEntry[] = groups.map((grp, i) => ({
    name: grp.name,
    param: layout.inputs[i]!,
    grad: grads[i]!,
    state: state[i]!,
    decay: grp.decay,
  }));
  const updated = optimizer.update(g, entries, { lr, step, derived });

  const outputs = {
    loss: expose(g, loss, names.loss),
    metrics: Object.fromEntries(
      Object.entries(metrics).map(([name, m]) => {
        if (m.shape.length !== 0) throw new RangeError(sessionMessages.notScalar(`Model.loss: metric '${name}'`, m.shape));
        return [name, expose(g, cast(m, "float32"), names.metric(name))];
      }),
    ),
    gradNorm,
    params: {} as Record<string, string>,
    state: {} as Record<string, string>,
  };
  groups.forEach((grp, i) => {
    const u = updated[i]!;
    outputs.params[grp.name] = expose(g, u.param, names.newParam(grp.name));
    for (const slot of optimizer.slots) outputs.state[names.state(slot, grp.name)] = expose(g, u.state[slot]!, names.newState(slot, grp.name));
  });
  return { graph: g, layout, outputs, scalarNames, randoms: bound.randoms() };
}

export function checkLoss(loss: Value): void {
  if (loss.shape.length !== 0) throw new RangeError(sessionMessages.notScalar("Model.loss: the loss", loss.shape));
  if (loss.dtype !== "float32") throw new TypeError(sessionMessages.lossNotFloat32(loss.dtype));
}

export function declareInputs(g: GraphBuilder, specs: InputSpecs): InputValues {
  return Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, g.input(name, s.dtype, s.shape)]));
}

/**
 * Marks `v` as a graph output and returns its ONNX name: its own name when it is a computed value not
 * yet an output (no Identity), `fallback` otherwise.
 */
export function expose(g: GraphBuilder, v: Value, fallback: string): string {
  const name = v.kind === "intermediate" && !g.outputs.some((o) => o.value === v) ? v.name : fallback;
  g.output(v, name);
  return name;
}
