/** User-facing messages of the layers (tests assert against these functions). */
import { formatShape } from "../graph/shape.js";

type Shape = readonly number[];

export const layerMessages = {
  scalarInput(layer: string, path: string): string {
    return `${layer} '${path}': the input must have at least one axis, got a scalar.`;
  },
  badMaxPeriod(got: number): string {
    return `sinusoidalEmbedding: maxPeriod must be > 1, got ${got}.`;
  },
  notPositiveInteger(layer: string, path: string, what: string, got: unknown): string {
    return `${layer} '${path}': ${what} must be a positive integer, got ${String(got)}.`;
  },
  badRank(layer: string, path: string, expected: string, shape: Shape): string {
    return `${layer} '${path}': expected an input of shape ${expected}, got ${formatShape(shape)}.`;
  },
  notDivisible(layer: string, path: string, what: string, value: number, by: string, divisor: number): string {
    return `${layer} '${path}': ${what} ${value} is not divisible by ${by} ${divisor}.`;
  },
  badOption(layer: string, path: string, what: string, expected: string, got: unknown): string {
    return `${layer} '${path}': ${what} must be ${expected}, got ${JSON.stringify(got)}.`;
  },
  notFloat(layer: string, path: string, dtype: string): string {
    return `${layer} '${path}': the input must be float32 or float64, got ${dtype}.`;
  },
  badIds(path: string, dtype: string): string {
    return `embedding '${path}': ids must be int64 or int32, got ${dtype}.`;
  },
  oddEmbeddingDim(dim: number): string {
    return `sinusoidalEmbedding: dim must be an even number ≥ 2, got ${dim}.`;
  },
  badTimesteps(shape: Shape): string {
    return `sinusoidalEmbedding: timesteps must be a vector [N], got ${formatShape(shape)}.`;
  },
  tooManyPositions(layer: string, path: string, positions: number, context: number): string {
    return `${layer} '${path}': the input has ${positions} positions, more than the context of ${context}; feed at most ${context} tokens or build the model with a larger context.`;
  },
  badTokenIds(layer: string, path: string, dtype: string, shape: Shape): string {
    return `${layer} '${path}': token ids must be int64 or int32 of shape [B, T], got ${dtype}${formatShape(shape)}.`;
  },
  badAttentionOperands(q: Shape, k: Shape, v: Shape): string {
    return `scaledDotProductAttention: q, k and v must be [B, H, T, d] of one shape, got q ${formatShape(q)}, k ${formatShape(k)}, v ${formatShape(v)}.`;
  },
};
