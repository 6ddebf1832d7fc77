/**
 * A GPT-style causal language model: token + position embeddings, a stack of pre-LayerNorm
 * transformer blocks, a final LayerNorm and a linear head giving next-token logits.
 *
 *   const logits = causalLanguageModel(scope, ids, { vocab: 96, context: 128, dim: 128, layers: 4, heads: 4, hidden: 512 });
 *   // ids [B, T] int64 → logits [B, T, vocab]; logit [b, t] scores the token after ids[b, 0..t]
 *
 * Parameters: embed.token.weight, embed.position.weight, blocks.<i>.{ln1, attn, ln2, mlp}.*, norm.*,
 * head.weight [dim, vocab], head.bias. With `positions: "last"` only the last position goes through
 * the head ([B, vocab]): what generating text needs, at 1/T of the head's cost.
 */
import { reshape, slice } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import type { FeedForwardActivation } from "./feed-forward.js";
import { layerNorm } from "./layer-norm.js";
import { linear } from "./linear.js";
import { layerMessages as msg } from "./messages.js";
import { tokenPositionEmbedding } from "./token-position-embedding.js";
import { transformerBlock } from "./transformer-block.js";

export interface CausalLanguageModelOptions {
  readonly vocab: number;
  /** Most positions a sequence may have. */
  readonly context: number;
  /** Model width D. */
  readonly dim: number;
  /** Number of transformer blocks. */
  readonly layers: number;
  readonly heads: number;
  /** Width of each block's MLP hidden layer (4·dim in GPT-2). */
  readonly hidden: number;
  /** Default "gelu". */
  readonly activation?: FeedForwardActivation;
  /** "all" (default): logits [B, T, vocab]; "last": the last position's only, [B, vocab]. */
  readonly positions?: "all" | "last";
}

export function causalLanguageModel(scope: ParameterScope, ids: Value, options: CausalLanguageModelOptions): Value {
  const layer = "causalLanguageModel";
  const { vocab, context, dim, layers, heads, hidden } = options;
  if (!Number.isSafeInteger(layers) || layers <= 0) throw new RangeError(msg.notPositiveInteger(layer, scope.path, "layers", layers));
  const positions = options.positions ?? "all";
  if (positions !== "all" && positions !== "last") throw new RangeError(msg.badOption(layer, scope.path, "positions", `"all" or "last"`, positions));
  let h = tokenPositionEmbedding(scope.child("embed"), ids, { vocab, context, dim });
  const [b, t] = ids.shape as [number, number];
  const blocks = scope.child("blocks");
  for (let i = 0; i < layers; i++) h = transformerBlock(blocks.child(String(i)), h, { heads, hidden, activation: options.activation ?? "gelu" });
  const rows = positions === "last" ? reshape(slice(h, [1], [t - 1], [t]), [b, dim]) : reshape(h, [b * t, dim]);
  const logits = linear(scope.child("head"), layerNorm(scope.child("norm"), rows), vocab);
  return positions === "last" ? logits : reshape(logits, [b, t, vocab]);
}
