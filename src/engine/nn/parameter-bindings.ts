/** The usual ParameterBindings: parameters as graph inputs, or as initializers holding known values. */
import type { TensorGroup } from "../../tensor.js";
import { sameShape } from "../graph/shape.js";
import type { ParameterBinding } from "./graph-parameter-scope.js";
import { nnMessages } from "./messages.js";

/** Each parameter becomes a float32 graph input called `<prefix><name>`. */
export function bindAsInputs(prefix = ""): ParameterBinding {
  return (spec, graph) => graph.input(prefix + spec.name, spec.dtype, spec.shape);
}

/** Each parameter becomes an initializer holding `values[name]` (for export). */
export function bindAsInitializers(values: TensorGroup): ParameterBinding {
  return (spec, graph) => {
    const t = values[spec.name];
    if (t === undefined) throw new RangeError(nnMessages.missingValue(spec.name, Object.keys(values)));
    if (t.dtype !== spec.dtype || !sameShape(t.shape, spec.shape)) throw new RangeError(nnMessages.valueMismatch(spec.name, spec.shape, t));
    return graph.initializer(spec.name, t);
  };
}
