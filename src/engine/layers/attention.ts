/**
 * Multi-head scaled dot-product self-attention over a sequence, as in GPT-2 and PyTorch's
 * nn.MultiheadAttention with a causal mask:
 *
 *   const y = multiHeadSelfAttention(scope.child("attn"), x, { heads: 4 });   // x [B, T, D] → [B, T, D]
 *   // parameters attn.qkv.weight [D, 3D], attn.qkv.bias [3D], attn.out.weight [D, D], attn.out.bias [D]
 *
 *   [q | k | v] = x·W_qkv + b          one GEMM over the B·T rows
 *   per head h:  P = softmax(q_h·k_hᵀ/√(D/H) + M),  o_h = P·v_h        M = −1e9 above the diagonal
 *   y = [o_1 … o_H]·W_out + b
 *
 * Layout: the projections run on [B·T, D] rows, so each is one GEMM and so is its weight gradient
 * (a [B, T, D] operand would make that a batched product plus a ReduceSum). q, k and v come out of
 * one transpose of [B, T, 3, H, D/H] to [3, B, H, T, D/H], all three [B, H, T, D/H]; the attention
 * core (scaledDotProductAttention) then needs no transpose that onnxruntime does not fold into a
 * MatMul. The causal mask is a constant [T, T] added to the scores: its gradient is the identity,
 * where a Where would cost a select in the backward pass too.
 */
import { tensor } from "../../tensor.js";
import { defineCompositeGradient } from "../autodiff/composite-gradient.js";
import { add, matmul, mul, reduceSum, reshape, scale, softmax, split, sub, transpose } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { linear } from "./linear.js";
import { layerMessages as msg } from "./messages.js";

export interface MultiHeadSelfAttentionOptions {
  /** Number of heads; must divide the model width D. */
  readonly heads: number;
  /** Each position attends only to itself and earlier ones (default true). */
  readonly causal?: boolean;
}

/** What masked scores get: small enough that softmax gives them exactly 0 in float32, finite so no −∞ − −∞ can arise. */
export const MASKED_SCORE = -1e9;

/** The additive causal mask [T, T]: 0 on and below the diagonal, MASKED_SCORE above it. */
export function causalMask(like: Value, t: number): Value {
  const data = like.dtype === "float64" ? new Float64Array(t * t) : new Float32Array(t * t);
  for (let i = 0; i < t; i++) data.fill(MASKED_SCORE, i * t + i + 1, (i + 1) * t);
  return like.graph.constant(like.dtype === "float64" ? tensor("float64", [t, t], data as Float64Array) : tensor("float32", [t, t], data as Float32Array));
}

/** Swaps the last two axes. */
const mT = (v: Value): Value => transpose(v, [0, 1, 3, 2]);

/**
 * o = softmax(q·kᵀ/√d + M)·v for q, k, v [B, H, T, d], with one composite gradient:
 *
 *   dv = Pᵀ·do    dP = do·vᵀ    dS = P ⊙ (dP − rowsum(do ⊙ o))    dq = dS·k/√d    dk = dSᵀ·q/√d
 *
 * rowsum(do ⊙ o) equals Softmax's rowsum(dP ⊙ P) (FlashAttention's identity) over [B, H, T, d]
 * instead of [B, H, T, T]: two passes over the scores fewer than the per-op chain rule. Every
 * transpose is of an operand's last two axes, which onnxruntime folds into its MatMul (FusedMatMul),
 * and so is the 1/√d scale (FusedMatMul's alpha). `mask` (broadcast to [B, H, T, T], e.g. causalMask)
 * is added to the scores and gets no gradient: pass a constant or a fed input, not a learned value.
 */
export function scaledDotProductAttention(q: Value, k: Value, v: Value, mask: Value | undefined): Value {
  const same = (a: Value): boolean => a.shape.length === 4 && a.shape.every((n, i) => n === q.shape[i]);
  if (!same(q) || !same(k) || !same(v)) throw new RangeError(msg.badAttentionOperands(q.shape, k.shape, v.shape));
  const c = 1 / Math.sqrt(q.shape[3]!);
  const scores = scale(matmul(q, mT(k)), c);
  const p = softmax(mask === undefined ? scores : add(scores, mask), -1);
  const o = matmul(p, v);
  return defineCompositeGradient(o, {
    inputs: [q, k, v],
    gradient: (dO, needs) => {
      const dS = needs[0] === true || needs[1] === true ? mul(p, sub(matmul(dO, mT(v)), reduceSum(mul(dO, o), [3]))) : undefined;
      return [
        dS === undefined || needs[0] !== true ? undefined : scale(matmul(dS, k), c),
        dS === undefined || needs[1] !== true ? undefined : scale(matmul(mT(dS), q), c),
        needs[2] === true ? matmul(mT(p), dO) : undefined,
      ];
    },
  });
}

export function multiHeadSelfAttention(scope: ParameterScope, x: Value, options: MultiHeadSelfAttentionOptions): Value {
  const layer = "multiHeadSelfAttention";
  const path = scope.path;
  if (x.dtype !== "float32" && x.dtype !== "float64") throw new TypeError(msg.notFloat(layer, path, x.dtype));
  if (x.shape.length !== 3) throw new RangeError(msg.badRank(layer, path, "[B, T, D]", x.shape));
  const { heads } = options;
  if (!Number.isSafeInteger(heads) || heads <= 0) throw new RangeError(msg.notPositiveInteger(layer, path, "heads", heads));
  const [b, t, d] = x.shape as [number, number, number];
  if (d % heads !== 0) throw new RangeError(msg.notDivisible(layer, path, "the model width", d, "heads", heads));
  const dh = d / heads;

  // [B·T, 3D] → [B, T, 3, H, d] → [3, B, H, T, d]: one transpose, then q, k, v are contiguous thirds.
  const qkv = transpose(reshape(linear(scope.child("qkv"), reshape(x, [b * t, d]), 3 * d), [b, t, 3, heads, dh]), [2, 0, 3, 1, 4]);
  const [q, k, v] = split(qkv, [1, 1, 1], 0).map((part) => reshape(part, [b, heads, t, dh])) as [Value, Value, Value];
  const o = scaledDotProductAttention(q, k, v, (options.causal ?? true) ? causalMask(q, t) : undefined);
  const merged = reshape(transpose(o, [0, 2, 1, 3]), [b * t, d]);
  return reshape(linear(scope.child("out"), merged, d), [b, t, d]);
}
