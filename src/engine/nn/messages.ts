/** User-facing messages of parameter scopes and bindings (tests assert against these functions). */
import { formatShape } from "../graph/shape.js";

type Shape = readonly number[];

export const nnMessages = {
  badName(call: string, name: string, path: string): string {
    return `${call}('${name}') in scope '${path}': names are letters, digits, '_' and '-' (dots separate scopes).`;
  },
  badShape(param: string, shape: Shape): string {
    return `Parameter '${param}': invalid shape ${formatShape(shape)} (dimensions must be positive integers).`;
  },
  shapeChanged(param: string, declared: Shape, asked: Shape): string {
    return `Parameter '${param}' was declared with shape ${formatShape(declared)} and is now asked for with ${formatShape(asked)}.`;
  },
  badBinding(param: string, got: { dtype: string; shape: Shape }, expected: Shape): string {
    return `Parameter '${param}': its binding made ${got.dtype}${formatShape(got.shape)}, expected float32${formatShape(expected)}.`;
  },
  missingValue(param: string, known: readonly string[]): string {
    const list = known.slice(0, 8).join(", ") + (known.length > 8 ? ", ..." : "");
    return `Parameter '${param}' has no value (known: ${list || "none"}).`;
  },
  valueMismatch(param: string, expected: Shape, got: { dtype: string; shape: Shape }): string {
    return `Parameter '${param}': expected float32${formatShape(expected)}, got ${got.dtype}${formatShape(got.shape)}.`;
  },
};
