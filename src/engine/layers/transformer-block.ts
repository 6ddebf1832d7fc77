/**
 * One pre-LayerNorm transformer block (GPT-2's):
 *
 *   h = x + attn(ln1(x))          multiHeadSelfAttention, causal by default
 *   y = h + mlp(ln2(h))           feedForward, GELU
 *
 *   const y = transformerBlock(scope.child("blocks").child("0"), x, { heads: 4, hidden: 512 });   // [B, T, D] → [B, T, D]
 *   // parameters <scope>.ln1.*, <scope>.attn.*, <scope>.ln2.*, <scope>.mlp.*
 *
 * The residual stream is never normalised, only each branch's input, so a deep stack trains
 * without warm-up tricks and the block starts close to the identity when its branches are small.
 */
import { add } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { multiHeadSelfAttention } from "./attention.js";
import { feedForward, type FeedForwardActivation } from "./feed-forward.js";
import { layerNorm } from "./layer-norm.js";
import { layerMessages as msg } from "./messages.js";

export interface TransformerBlockOptions {
  readonly heads: number;
  /** Width of the MLP's hidden layer (4·D in GPT-2). */
  readonly hidden: number;
  /** Default true. */
  readonly causal?: boolean;
  /** Default "gelu". */
  readonly activation?: FeedForwardActivation;
}

export function transformerBlock(scope: ParameterScope, x: Value, options: TransformerBlockOptions): Value {
  if (x.shape.length !== 3) throw new RangeError(msg.badRank("transformerBlock", scope.path, "[B, T, D]", x.shape));
  const attention = multiHeadSelfAttention(scope.child("attn"), layerNorm(scope.child("ln1"), x), { heads: options.heads, causal: options.causal ?? true });
  const h = add(x, attention);
  const mlp = feedForward(scope.child("mlp"), layerNorm(scope.child("ln2"), h), { hidden: options.hidden, activation: options.activation ?? "gelu" });
  return add(h, mlp);
}
