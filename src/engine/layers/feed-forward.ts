/**
 * The transformer's position-wise MLP: Linear(D → hidden) → activation → Linear(hidden → D), applied
 * to every position alike.
 *
 *   const y = feedForward(scope.child("mlp"), x, { hidden: 4 * 128 });   // x [..., D] → [..., D]
 *   // parameters mlp.fc1.weight [D, hidden], mlp.fc1.bias, mlp.fc2.weight [hidden, D], mlp.fc2.bias
 *
 * The leading axes are flattened first, so both products are 2-D GEMMs (onnxruntime fuses the bias
 * in) and their weight gradients plain GEMMs too. GELU is the exact erf form (PyTorch's and GPT-2's
 * default nn.GELU()); "gelu-tanh" is its tanh approximation, "relu" the original transformer's.
 */
import { gelu, relu, reshape } from "../graph/functional.js";
import { product } from "../graph/shape.js";
import type { Value } from "../graph/value.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { linear } from "./linear.js";
import { layerMessages as msg } from "./messages.js";

export type FeedForwardActivation = "gelu" | "gelu-tanh" | "relu";

export interface FeedForwardOptions {
  /** Width of the hidden layer (4·D in GPT-2). */
  readonly hidden: number;
  /** Default "gelu". */
  readonly activation?: FeedForwardActivation;
}

const ACTIVATIONS: Readonly<Record<FeedForwardActivation, (x: Value) => Value>> = {
  gelu: (x) => gelu(x),
  "gelu-tanh": (x) => gelu(x, "tanh"),
  relu,
};

export function feedForward(scope: ParameterScope, x: Value, options: FeedForwardOptions): Value {
  const layer = "feedForward";
  const path = scope.path;
  if (x.dtype !== "float32" && x.dtype !== "float64") throw new TypeError(msg.notFloat(layer, path, x.dtype));
  if (x.shape.length < 1) throw new RangeError(msg.badRank(layer, path, "[..., D]", x.shape));
  const { hidden } = options;
  if (!Number.isSafeInteger(hidden) || hidden <= 0) throw new RangeError(msg.notPositiveInteger(layer, path, "hidden", hidden));
  const activation = options.activation ?? "gelu";
  const act = Object.hasOwn(ACTIVATIONS, activation) ? ACTIVATIONS[activation] : undefined;
  if (act === undefined)
    throw new RangeError(
      msg.badOption(
        layer,
        path,
        "activation",
        `one of ${Object.keys(ACTIVATIONS)
          .map((a) => `"${a}"`)
          .join(", ")}`,
        activation,
      ),
    );
  const d = x.shape[x.shape.length - 1]!;
  const rows = reshape(x, [product(x.shape.slice(0, -1)), d]);
  const y = linear(scope.child("fc2"), act(linear(scope.child("fc1"), rows, hidden)), d);
  return reshape(y, x.shape);
}
