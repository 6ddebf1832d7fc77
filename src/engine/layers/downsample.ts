/**
 * 2× spatial downsampling by a learned 3×3 convolution with stride 2 and padding 1 (as DDPM):
 * [N, C, H, W] → [N, C_out, ⌈H/2⌉, ⌈W/2⌉]; 28 → 14 → 7. Parameters `<scope>.weight`, `<scope>.bias`.
 */
import type { Value } from "../graph/value.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { conv2d } from "./conv2d.js";
import { layerMessages as msg } from "./messages.js";

export function downsample(scope: ParameterScope, x: Value, outChannels = x.shape[1]!): Value {
  if (x.shape.length !== 4) throw new RangeError(msg.badRank("downsample", scope.path, "[N, C, H, W]", x.shape));
  return conv2d(scope, x, outChannels, { kernel: 3, stride: 2, padding: 1 });
}
