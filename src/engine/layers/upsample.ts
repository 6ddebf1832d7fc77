/**
 * 2× spatial upsampling: nearest-neighbour repeat (each pixel becomes a 2×2 block), then a 3×3
 * convolution with padding 1 to smooth the blocks (as DDPM): [N, C, H, W] → [N, C_out, 2H, 2W].
 * Parameters `<scope>.weight`, `<scope>.bias`.
 */
import { upsampleNearest2x } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { conv2d } from "./conv2d.js";
import { layerMessages as msg } from "./messages.js";

export function upsample(scope: ParameterScope, x: Value, outChannels = x.shape[1]!): Value {
  if (x.shape.length !== 4) throw new RangeError(msg.badRank("upsample", scope.path, "[N, C, H, W]", x.shape));
  return conv2d(scope, upsampleNearest2x(x), outChannels, { kernel: 3, padding: 1 });
}
