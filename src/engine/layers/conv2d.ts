/**
 * 2-D convolution layer over [N, C, H, W]:
 *
 *   const h = conv2d(scope.child("conv1"), x, 64, { kernel: 3, padding: 1 });
 *   // parameters conv1.weight [64, C/groups, 3, 3], conv1.bias [64]
 *
 * Default initialisation is PyTorch's for Conv2d: U(±1/√fanIn) for weight and bias, with
 * fanIn = (C/groups)·kh·kw (kaiming_uniform_ with a = √5). onnxruntime's CPU provider runs Conv for
 * float32 only.
 */
import { conv } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import type { Initializer } from "../nn/initializer.js";
import { torchDefault } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { layerMessages as msg } from "./messages.js";

/** A size for both spatial axes, or [height, width]. */
export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  /** Kernel size (default 3). */
  readonly kernel?: Pair;
  readonly stride?: Pair;
  /**
   * Zero padding: one number for all sides, [h, w] for symmetric padding per axis, or
   * [top, left, bottom, right] (ONNX order). Default 0.
   */
  readonly padding?: number | readonly [number, number] | readonly [number, number, number, number];
  readonly dilation?: Pair;
  /** Channel groups; in and out channels must both be divisible by it (default 1). */
  readonly groups?: number;
  /** Add a bias (default true). */
  readonly bias?: boolean;
  readonly weightInit?: Initializer;
  readonly biasInit?: Initializer;
}

function pair(layer: string, path: string, what: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isSafeInteger(d) && d >= min)) {
    throw new RangeError(msg.badOption(layer, path, what, `a whole number ≥ ${min} or a pair of them`, v));
  }
  return p;
}

function pads(path: string, v: NonNullable<Conv2dOptions["padding"]>): number[] {
  const p = typeof v === "number" ? [v, v, v, v] : v.length === 2 ? [v[0], v[1], v[0], v[1]] : [...v];
  if (p.length !== 4 || !p.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(msg.badOption("conv2d", path, "padding", "a whole number ≥ 0, [h, w] or [top, left, bottom, right]", v));
  }
  return p;
}

export function conv2d(scope: ParameterScope, x: Value, outChannels: number, options: Conv2dOptions = {}): Value {
  const path = scope.path;
  if (!Number.isSafeInteger(outChannels) || outChannels <= 0) throw new RangeError(msg.notPositiveInteger("conv2d", path, "outChannels", outChannels));
  if (x.shape.length !== 4) throw new RangeError(msg.badRank("conv2d", path, "[N, C, H, W]", x.shape));
  const groups = options.groups ?? 1;
  if (!Number.isSafeInteger(groups) || groups <= 0) throw new RangeError(msg.notPositiveInteger("conv2d", path, "groups", groups));
  const inChannels = x.shape[1]!;
  if (inChannels % groups !== 0) throw new RangeError(msg.notDivisible("conv2d", path, "input channels", inChannels, "groups", groups));
  if (outChannels % groups !== 0) throw new RangeError(msg.notDivisible("conv2d", path, "outChannels", outChannels, "groups", groups));
  const [kh, kw] = pair("conv2d", path, "kernel", options.kernel ?? 3, 1);
  const strides = pair("conv2d", path, "stride", options.stride ?? 1, 1);
  const dilations = pair("conv2d", path, "dilation", options.dilation ?? 1, 1);
  const padding = pads(path, options.padding ?? 0);

  const fanIn = (inChannels / groups) * kh * kw;
  const w = scope.param("weight", [outChannels, inChannels / groups, kh, kw], options.weightInit ?? torchDefault(fanIn));
  const b = options.bias === false ? undefined : scope.param("bias", [outChannels], options.biasInit ?? torchDefault(fanIn));
  return conv(x, w, b, { strides, pads: padding, dilations, group: groups });
}
