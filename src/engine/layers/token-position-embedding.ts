/**
 * The input of a transformer language model: a learned embedding of each token plus a learned
 * embedding of its position (GPT-2's wte + wpe).
 *
 *   const h = tokenPositionEmbedding(scope.child("embed"), ids, { vocab: 96, context: 128, dim: 128 });
 *   // ids [B, T] int64 → [B, T, dim]; parameters embed.token.weight [vocab, dim], embed.position.weight [context, dim]
 *
 * Tokens are a Gather (its gradient scatter-adds into the rows, repeated tokens accumulating);
 * positions 0..T−1 are the table's first T rows, a Slice when T < context and the table itself
 * when T = context, broadcast over the batch. Both tables start N(0, 0.02²), as GPT-2's do: small
 * next to the unit-variance output of each block's LayerNorm, so no embedding dominates at first.
 */
import { add, slice } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import type { Initializer } from "../nn/initializer.js";
import { normal } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { embedding } from "./embedding.js";
import { layerMessages as msg } from "./messages.js";

export interface TokenPositionEmbeddingOptions {
  /** Number of distinct token ids. */
  readonly vocab: number;
  /** Most positions a sequence may have (rows of the position table). */
  readonly context: number;
  readonly dim: number;
  /** Initialiser of both tables (default N(0, 0.02²)). */
  readonly init?: Initializer;
}

export function tokenPositionEmbedding(scope: ParameterScope, ids: Value, options: TokenPositionEmbeddingOptions): Value {
  const layer = "tokenPositionEmbedding";
  const path = scope.path;
  const { vocab, context, dim } = options;
  for (const [what, n] of [
    ["vocab", vocab],
    ["context", context],
    ["dim", dim],
  ] as const) {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(msg.notPositiveInteger(layer, path, what, n));
  }
  if (ids.dtype !== "int64" && ids.dtype !== "int32") throw new TypeError(msg.badTokenIds(layer, path, ids.dtype, ids.shape));
  if (ids.shape.length !== 2) throw new RangeError(msg.badTokenIds(layer, path, ids.dtype, ids.shape));
  const t = ids.shape[1]!;
  if (t > context) throw new RangeError(msg.tooManyPositions(layer, path, t, context));
  const init = options.init ?? normal(0.02);
  const tokens = embedding(scope.child("token"), ids, vocab, dim, { init });
  const table = scope.child("position").param("weight", [context, dim], init);
  return add(tokens, t === context ? table : slice(table, [0], [0], [t]));
}
