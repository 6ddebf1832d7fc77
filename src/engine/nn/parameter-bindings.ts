/** The usual ParameterBindings: parameters as graph inputs, or as initializers holding known values. */
import type { TensorGroup } from "../../tensor.js";
import { formatShape, sameShape } from "../graph/shape.js";
import type { ParameterBinding } from "./graph-parameter-scope.js";

/** Each parameter becomes a float32 graph input called `<prefix><name>`. */
export function bindAsInputs(prefix = ""): ParameterBinding {
  return (spec, graph) => graph.input(prefix + spec.name, spec.dtype, spec.shape);
}

/** Each parameter becomes an initializer holding `values[name]` (for export). */
export function bindAsInitializers(values: TensorGroup): ParameterBinding {
  return (spec, graph) => {
    const t = values[spec.name];
    if (t === undefined) throw new Error(`Parameter '${spec.name}' has no value (known: ${Object.keys(values).slice(0, 8).join(", ")}${Object.keys(values).length > 8 ? ", ..." : ""}).`);
    if (t.dtype !== spec.dtype || !sameShape(t.shape, spec.shape)) {
      throw new RangeError(`Parameter '${spec.name}': expected ${spec.dtype}${formatShape(spec.shape)}, got ${t.dtype}${formatShape(t.shape)}.`);
    }
    return graph.initializer(spec.name, t);
  };
}
