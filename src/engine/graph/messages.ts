/** User-facing messages of the graph builder, the op schemas and their registry, the serializer and the ONNX reader (tests assert against these functions). */

export const graphMessages = {
  opAlreadyRegistered(opType: string): string {
    return (
      `Op '${opType}' is already registered with the graph builder. ` +
      `To replace its schema (for example when re-running the notebook cell that registers it), pass { replace: true }: ` +
      `registerOp({ opType: "${opType}", attributes, infer }, { replace: true }).`
    );
  },
  opNotRegistered(opType: string): string {
    return (
      `Op '${opType}' is not registered with the graph builder. If it is a standard ONNX op, register its schema with ` +
      `registerOp({ opType: "${opType}", attributes: { <name>: "float" | "int" | … }, infer: (ctx) => [{ dtype, shape } for each output] }) ` +
      `from "nbresume/nn"; to differentiate through it, register its gradient with registerGradient too.`
    );
  },
  opNotToUnregister(opType: string): string {
    return `Op '${opType}' is not registered with the graph builder, so there is no schema to unregister.`;
  },
  wrongGraph(opType: string, input: number, value: string, graph: string, builder: string): string {
    return `${opType}: input ${input} (${value}) belongs to graph '${graph}', not '${builder}'.`;
  },
  unknownAttribute(opType: string, attribute: string, known: readonly string[]): string {
    return `${opType}: unknown attribute '${attribute}' (known: ${known.join(", ") || "none"}).`;
  },
  duplicateOutput(graph: string, output: string): string {
    return `Graph '${graph}' already has an output '${output}'.`;
  },
  /** `shape` as formatShape writes it. */
  invalidDimension(dim: number, shape: string): string {
    return `Invalid dimension ${dim} in shape ${shape}.`;
  },
  emptyValueName(): string {
    return "Graph value names must be non-empty.";
  },
  duplicateValueName(graph: string, name: string): string {
    return `Graph '${graph}' already has a value named '${name}' (names t<number> are reserved).`;
  },
  /** An op's shape or type inference failed; `problem` is the op schema's own words, `inputs` the input types. */
  inferenceFailed(opType: string, problem: string, inputs: string): string {
    return `${opType}: ${problem} (inputs: ${inputs}).`;
  },
  badAttributeValue(opType: string, attribute: string, kind: string, value: unknown): string {
    return `${opType}: attribute '${attribute}' should be ${kind}, got ${JSON.stringify(value)}.`;
  },
  sliceStepZero(axis: number): string {
    return `Slice: step 0 on axis ${axis}.`;
  },
  axisOutOfRange(axis: number, rank: number): string {
    return `axis ${axis} is out of range for rank ${rank}.`;
  },
  scalarLikeDtype(dtype: string): string {
    return `scalarLike: unsupported dtype ${dtype}.`;
  },
  upsampleFactor(factor: number): string {
    return `upsampleNearest: factor must be a whole number ≥ 1, got ${factor}.`;
  },
  upsampleRank(rank: number): string {
    return `upsampleNearest: expected [N, C, …spatial], got rank ${rank}.`;
  },
  clipBound(bound: string, got: unknown): string {
    return `clip: ${bound} must be a number, got ${String(got)}.`;
  },
  clipBounds(min: number, max: number): string {
    return `clip: min ${min} is greater than max ${max}.`;
  },
  notProtobufInteger(value: number): string {
    return `ProtoWriter: ${value} is not an integer protobuf can hold exactly.`;
  },
  /** Where a protobuf reader stopped: a problem below, at a byte offset. */
  protobufAt(problem: string, offset: number): string {
    return `${problem} at byte ${offset}`;
  },
  varintPastEnd(): string {
    return "a varint runs past the end of its message";
  },
  varintTooLong(): string {
    return "a varint is longer than ten bytes";
  },
  fieldNumberRange(field: number): string {
    return `field number ${field} is out of range`;
  },
  fieldLength(field: number, length: number, remaining: number): string {
    return `field ${field} claims ${length} bytes but ${remaining} remain`;
  },
  wireType(field: number, wire: number): string {
    return `field ${field} has wire type ${wire}, which ONNX never uses`;
  },
  fieldPastEnd(field: number): string {
    return `field ${field} runs past the end of its message`;
  },
  fieldNotString(field: number): string {
    return `field ${field} should be a string`;
  },
  fieldNotUtf8(field: number): string {
    return `field ${field} is not valid UTF-8`;
  },
  fieldNotMessage(field: number): string {
    return `field ${field} should be a message`;
  },
  notOnnxModel(what: string, detail: string): string {
    return `${what} is not a valid ONNX model: ${detail}.`;
  },
  notExactlyOne(what: string, found: number): string {
    return `${what}: expected exactly one, found ${found}.`;
  },
  unknownTensorType(value: string): string {
    return `the value '${value}' has no tensor type nbresume knows.`;
  },
  noParameterInput(what: string, parameter: string): string {
    return `${what} has no input for the parameter '${parameter}'.`;
  },
  parameterNotInWeights(what: string, parameter: string): string {
    return `${what} needs the parameter '${parameter}', which the weights do not have.`;
  },
  parameterMismatch(
    what: string,
    parameter: string,
    graph: { dtype: string; shape: readonly number[] },
    weights: { dtype: string; shape: readonly number[] },
  ): string {
    return `${what}: the parameter '${parameter}' is ${graph.dtype}[${graph.shape.join(", ")}] in the graph but ${weights.dtype}[${weights.shape.join(", ")}] in the weights.`;
  },
  badOpSchema(problem: string): string {
    return `registerOp: ${problem}. Pass { opType: "<ONNX op type>", attributes: { … }, infer: (ctx) => [{ dtype, shape }] }.`;
  },
};
