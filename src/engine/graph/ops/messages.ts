/**
 * What an op's shape and type inference says when its inputs or attributes do not fit: the
 * problem part of the graph builder's message (graphMessages.inferenceFailed adds the op and its
 * inputs). Tests assert against these functions.
 */
import { formatShape } from "../shape.js";

export const opMessages = {
  autoPadUnsupported(autoPad: string): string {
    return `auto_pad='${autoPad}' is not supported; give explicit pads`;
  },
  windowAttributes(n: number): string {
    return `strides/dilations need ${n} values and pads ${2 * n} for a ${n}-D window`;
  },
  windowTooLarge(span: number, padded: number, axis: number): string {
    return `window of ${span} is larger than the padded input ${padded} on spatial axis ${axis}`;
  },
  convRanks(): string {
    return "X must be N×C×spatial and W M×C/group×kernel of the same rank";
  },
  convChannels(perGroup: number | undefined, group: number, channels: number | undefined): string {
    return `W has ${perGroup} input channels per group × ${group} groups, X has ${channels} channels`;
  },
  convGroups(outputs: number | undefined, group: number): string {
    return `output channels ${outputs} are not divisible by group ${group}`;
  },
  convBias(outputs: number | undefined, got: readonly number[]): string {
    return `B must be [${outputs}], got ${formatShape(got)}`;
  },
  convTransposeRanks(): string {
    return "X must be N×C×spatial and W C×M/group×kernel of the same rank";
  },
  convTransposeChannels(weights: number | undefined, channels: number | undefined): string {
    return `W has ${weights} input channels, X has ${channels}`;
  },
  outputShapeUnsupported(): string {
    return "output_shape is not supported; give pads and output_padding";
  },
  aspectPolicyUnsupported(): string {
    return "only keep_aspect_ratio_policy 'stretch' is supported";
  },
  sizesPerAxis(sizes: number, axes: number): string {
    return `sizes has ${sizes} values for ${axes} axes`;
  },
  scalesNotConstant(): string {
    return "scales must be a constant";
  },
  scalesPerAxis(scales: number, axes: number): string {
    return `scales has ${scales} values for ${axes} axes`;
  },
  noBroadcast(shapes: readonly (readonly number[])[]): string {
    return `shapes ${shapes.map(formatShape).join(" and ")} do not broadcast`;
  },
  inputDtype(input: number, dtype: string, expected: string): string {
    return `input ${input} is ${dtype}, expected ${expected} like input 0`;
  },
  conditionNotBool(): string {
    return "the condition must be bool";
  },
  branchDtypes(): string {
    return "both branches must have the same dtype";
  },
  clipInputs(got: number): string {
    return `takes at most 3 inputs (x, min, max), got ${got}`;
  },
  clipBoundDtype(bound: string, dtype: string, expected: string): string {
    return `${bound} is ${dtype}, expected ${expected} like x`;
  },
  clipBoundShape(bound: string, shape: readonly number[]): string {
    return `${bound} must be a scalar, got shape ${formatShape(shape)}`;
  },
  slopeShape(slope: readonly number[], x: readonly number[]): string {
    return `the slope's shape ${formatShape(slope)} must broadcast to x's ${formatShape(x)}`;
  },
  sameDtype(): string {
    return "both inputs must have the same dtype";
  },
  matmulScalars(): string {
    return "scalars cannot be multiplied with MatMul";
  },
  innerDimensions(a: number | undefined, b: number | undefined): string {
    return `inner dimensions ${a} and ${b} differ`;
  },
  batchNoBroadcast(a: readonly number[], b: readonly number[]): string {
    return `batch dimensions of ${formatShape(a)} and ${formatShape(b)} do not broadcast`;
  },
  gemmRanks(): string {
    return "A and B must be 2-D";
  },
  gemmBias(c: readonly number[], m: number | undefined, n: number | undefined): string {
    return `C ${formatShape(c)} does not broadcast to [${m}, ${n}]`;
  },
  einsumImplicit(equation: string): string {
    return `equation '${equation}' must be explicit ('ab,bc->ac') without ellipsis`;
  },
  einsumOperands(terms: number, inputs: number): string {
    return `equation has ${terms} operands, node has ${inputs} inputs`;
  },
  einsumRank(operand: number, term: string, shape: readonly number[]): string {
    return `operand ${operand} '${term}' has rank ${term.length}, input has ${formatShape(shape)}`;
  },
  einsumIndexSizes(index: string, a: number, b: number): string {
    return `index '${index}' is ${a} in one operand and ${b} in another`;
  },
  einsumOutputIndex(index: string): string {
    return `output index '${index}' is not in any operand`;
  },
  normParameterBroadcast(which: string, shape: readonly number[], normalized: readonly number[]): string {
    return `${which} ${formatShape(shape)} does not broadcast to the normalised shape ${formatShape(normalized)}`;
  },
  normParameterShape(which: string, channels: number | undefined, shape: readonly number[]): string {
    return `${which} must be [${channels}], got ${formatShape(shape)}`;
  },
  groupsNotDivisor(channels: number | undefined, groups: number): string {
    return `channels ${channels} are not divisible by num_groups ${groups}`;
  },
  scoresRank(): string {
    return "scores must be N×C[×d…]";
  },
  labelsShape(expected: readonly number[]): string {
    return `labels must have shape ${formatShape(expected)}`;
  },
  labelsDtype(): string {
    return "labels must be int32 or int64";
  },
  reshapeZero(): string {
    return "0 copies a missing dimension";
  },
  reshapeHoles(): string {
    return "at most one -1 is allowed";
  },
  reshapeSize(from: readonly number[], to: readonly number[]): string {
    return `cannot reshape ${formatShape(from)} to ${formatShape(to)}`;
  },
  notPermutation(perm: readonly number[]): string {
    return `perm [${perm.join(", ")}] is not a permutation of the axes`;
  },
  permAxis(axis: number): string {
    return `perm names axis ${axis}`;
  },
  concatShapes(input: number, shape: readonly number[], first: readonly number[], axis: number): string {
    return `input ${input} ${formatShape(shape)} does not match ${formatShape(first)} off axis ${axis}`;
  },
  splitSizes(parts: readonly number[], size: number | undefined): string {
    return `split sizes [${parts.join(", ")}] do not add up to ${size}`;
  },
  sliceLengths(): string {
    return "starts, ends, axes and steps must have the same length";
  },
  sliceStepZero(): string {
    return "slice step 0";
  },
  squeezeAxis(axis: number, size: number | undefined): string {
    return `axis ${axis} has size ${size}, not 1`;
  },
  expandShape(from: readonly number[], to: readonly number[]): string {
    return `cannot expand ${formatShape(from)} to ${formatShape(to)}`;
  },
  repeatsRank(): string {
    return "repeats must match the rank";
  },
  padsLength(values: number): string {
    return `pads needs ${values} values`;
  },
};
