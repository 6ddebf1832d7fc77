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
  badLogitsRank(loss: string, logits: Shape): string {
    return `${loss}: logits must be [N, classes] or [N, …, classes], got ${formatShape(logits)}.`;
  },
  labelsShape(loss: string, labels: Shape, rows: Shape): string {
    return `${loss}: labels ${formatShape(labels)} must have the logits' shape without the class axis, ${formatShape(rows)}.`;
  },
  labelsDtype(loss: string, dtype: string): string {
    return `${loss}: labels must be int64 or int32 class indices, got ${dtype}.`;
  },
  notADeclaration(): string {
    return "defineModel: expected { name, inputs, loss, … }.";
  },
  badModelName(got: unknown): string {
    return `defineModel: name must be a non-empty string, got ${JSON.stringify(got)}.`;
  },
  /** `shown` is the value as the message shows it (a function, undefined, or its JSON). */
  badDeclaration(model: string, field: string, expected: string, shown: string): string {
    return `defineModel('${model}'): ${field} must be ${expected}, got ${shown}.`;
  },
  configNameOrKind(model: string): string {
    return `defineModel('${model}'): config may not have its own "name" or "kind" (the model's name is recorded as config.name).`;
  },
  notPositive(what: string, got: number): string {
    return `${what} must be a positive number, got ${got}.`;
  },
  constantNotFinite(got: number): string {
    return `constant initialiser: value must be finite, got ${got}.`;
  },
  beyondInt32(input: string, value: bigint, row: number): string {
    return `Input '${input}' is int32 but its column holds ${value} (row ${row}), beyond int32: declare the input int64.`;
  },
  noColumnForInput(model: string, input: string, columns: readonly string[]): string {
    return (
      `Model '${model}': input '${input}' has no batch column of that name (columns: ${columns.join(", ") || "none"}). ` +
      "Name the dataset column after the input, or give the model a feeds(batch, rng) function."
    );
  },
  columnShape(model: string, input: string, spec: { dtype: string; shape: Shape }, column: { dtype: string; shape: Shape }): string {
    return `Model '${model}': input '${input}' is ${spec.dtype}${formatShape(spec.shape)} but the batch column is ${column.dtype}${formatShape(column.shape)}.`;
  },
  lossyColumn(model: string, input: string, dtype: string, columnDtype: string): string {
    return (
      `Model '${model}': input '${input}' is ${dtype} but its batch column is ${columnDtype}, which does not convert without loss. ` +
      `Store the column as ${dtype}, or give the model a feeds(batch, rng) function.`
    );
  },
  /** `problem` says what is wrong with the distribution. */
  badDistribution(where: string, problem: string): string {
    return `${where}: ${problem}.`;
  },
};
