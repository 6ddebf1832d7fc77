/**
 * The DDPM/"ADM" residual block with a timestep (or any conditioning vector) injection:
 *
 *   h = Conv3×3(SiLU(GroupNorm(x)))                      norm1, conv1
 *   h = h + Linear(SiLU(emb))[:, :, None, None]          emb
 *   h = Conv3×3(SiLU(GroupNorm(h)))                      norm2, conv2 (zero-initialised)
 *   out = h + (C_in == C_out ? x : Conv1×1(x))           skip
 *
 * x [N, C_in, H, W], emb [N, E] → [N, C_out, H, W]. No dropout (the demo trains briefly).
 */
import { add, reshape } from "../graph/functional.js";
import { siluComposite as silu } from "../autodiff/composites/silu.js";
import type { Value } from "../graph/value.js";
import { zeros } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { conv2d } from "./conv2d.js";
import { groupNorm } from "./group-norm.js";
import { linear } from "./linear.js";
import { layerMessages as msg } from "./messages.js";

export interface ResidualBlockOptions {
  /** GroupNorm groups; must divide C_in and C_out. */
  readonly groups: number;
  /**
   * Start conv2 at zero (default true), so the block starts as its skip path, as DDPM's reference
   * code does ("zero_module"); it speeds up early training of a deep UNet noticeably.
   */
  readonly zeroInit?: boolean;
}

export function residualBlock(scope: ParameterScope, x: Value, emb: Value | undefined, outChannels: number, options: ResidualBlockOptions): Value {
  if (x.shape.length !== 4) throw new RangeError(msg.badRank("residualBlock", scope.path, "[N, C, H, W]", x.shape));
  const n = x.shape[0]!;
  let h = conv2d(scope.child("conv1"), silu(groupNorm(scope.child("norm1"), x, options.groups)), outChannels, { kernel: 3, padding: 1 });
  if (emb !== undefined) {
    if (emb.shape.length !== 2 || emb.shape[0] !== n) throw new RangeError(msg.badRank("residualBlock", scope.path, `an embedding [${n}, E]`, emb.shape));
    h = add(h, reshape(linear(scope.child("emb"), silu(emb), outChannels), [n, outChannels, 1, 1]));
  }
  h = conv2d(scope.child("conv2"), silu(groupNorm(scope.child("norm2"), h, options.groups)), outChannels, {
    kernel: 3,
    padding: 1,
    ...(options.zeroInit === false ? {} : { weightInit: zeros(), biasInit: zeros() }),
  });
  const skip = x.shape[1] === outChannels ? x : conv2d(scope.child("skip"), x, outChannels, { kernel: 1 });
  return add(h, skip);
}
