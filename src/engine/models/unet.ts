/**
 * A small UNet that predicts the noise ε in a noisy image x_t, conditioned on the timestep t
 * (DDPM, Ho et al. 2020, without attention):
 *
 *   x [N, C, S, S], t [N] ──► conv_in ──► level 0 ─┬─► down ─► level 1 ─┬─► … ─► mid
 *                 │                               skip0               skip1         │
 *   t ─► sinusoidal ─► MLP = emb (into every block) │                     │            ▼
 *   ε̂ [N, C, S, S] ◄── conv_out ◄ SiLU ◄ GroupNorm ◄ up0 ◄─ concat ◄ … ◄─ up1 ◄─ concat
 *
 * Level i works at resolution S/2^i with widths[i] channels: one residual block (GroupNorm → SiLU →
 * Conv, timestep injected) on the way down, one on the way up after concatenating the skip, a 3×3
 * stride-2 conv between levels going down and nearest 2× + 3×3 conv going up. S must be divisible
 * by 2^(levels−1) (28 → 14 → 7 for three levels). Each block's last conv and the output conv start
 * at zero (as in DDPM's reference code): the untrained model predicts ε̂ = 0, each block starts as
 * its skip path, and early training is much faster (after 300 steps on MNIST: loss 0.040 vs 0.051,
 * samples far closer to digits).
 *
 * Presets (28×28×1; parameter counts checked by test/engine/models/unet.test.ts; costs measured with
 * bench/unet.bench.ts on this 2-core machine, as single-thread CPU time, which a busy machine does
 * not inflate; two threads on a quiet machine take ~0.6× that wall time, e.g. tiny's step ~60 ms):
 *   tiny   widths [16, 32],      groups 4, embedding 32 → MLP 64      97,281 parameters
 *          52 MFLOP of convolution per image; step (AdamW) 102 ms at batch 32, 206 ms at 64;
 *          DDIM-20 of 16 images 250 ms
 *   small  widths [32, 64, 64],  groups 8, embedding 64 → MLP 128   669,889 parameters
 *          222 MFLOP per image; step 282 ms at batch 32, 555 ms at 64; DDIM-20 of 16 images 700 ms
 * A step costs ~4× a forward pass (the convolution gradients are ~3× the forward convolutions).
 */
import { concat } from "../graph/functional.js";
import { siluComposite as silu } from "../autodiff/composites/silu.js";
import type { Value } from "../graph/value.js";
import { conv2d } from "../layers/conv2d.js";
import { downsample } from "../layers/downsample.js";
import { groupNorm } from "../layers/group-norm.js";
import { residualBlock } from "../layers/residual-block.js";
import { timestepEmbedding } from "../layers/timestep-embedding.js";
import { upsample } from "../layers/upsample.js";
import { modelMessages as msg } from "./messages.js";
import type { JsonObject } from "../nn/json.js";
import { zeros } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";

export interface UNetConfig {
  /** Height = width of the images. */
  readonly imageSize: number;
  /** Image channels (1 for MNIST). */
  readonly imageChannels: number;
  /** Channels of each resolution level, from full resolution down. */
  readonly widths: readonly number[];
  /** GroupNorm groups; must divide every width. */
  readonly groups: number;
  /** Size of the sinusoidal timestep features (even). */
  readonly embeddingDim: number;
  /** Width of the timestep MLP, injected into every residual block. */
  readonly embeddingHidden: number;
}

export type UNetPreset = "tiny" | "small";

export const UNET_PRESETS: Readonly<Record<UNetPreset, UNetConfig>> = Object.freeze({
  tiny: Object.freeze({ imageSize: 28, imageChannels: 1, widths: Object.freeze([16, 32]), groups: 4, embeddingDim: 32, embeddingHidden: 64 }),
  small: Object.freeze({ imageSize: 28, imageChannels: 1, widths: Object.freeze([32, 64, 64]), groups: 8, embeddingDim: 64, embeddingHidden: 128 }),
});

export function isUNetPreset(name: unknown): name is UNetPreset {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(UNET_PRESETS, name);
}

/** Checks a config and returns it as JSON (for a model's fingerprint). */
export function validateUNetConfig(config: UNetConfig): JsonObject {
  const where = "UNet config";
  const positive = (what: string, v: unknown): void => {
    if (!Number.isSafeInteger(v) || (v as number) <= 0) throw new RangeError(msg.notPositiveInteger(where, what, v));
  };
  positive("imageSize", config.imageSize);
  positive("imageChannels", config.imageChannels);
  positive("groups", config.groups);
  positive("embeddingHidden", config.embeddingHidden);
  if (!Number.isSafeInteger(config.embeddingDim) || config.embeddingDim < 2 || config.embeddingDim % 2 !== 0) {
    throw new RangeError(msg.oddEmbeddingDim(where, config.embeddingDim));
  }
  const widths: unknown = config.widths; // unknown: Array.isArray would make config.widths any[]
  if (!Array.isArray(widths) || widths.length === 0) throw new RangeError(msg.noWidths(where));
  config.widths.forEach((w, i) => {
    positive(`widths[${i}]`, w);
    if (w % config.groups !== 0) throw new RangeError(msg.widthNotDivisible(where, i, w, config.groups));
  });
  const factor = 2 ** (config.widths.length - 1);
  if (config.imageSize % factor !== 0) {
    throw new RangeError(msg.imageSizeNotDivisible(where, config.imageSize, factor));
  }
  return {
    imageSize: config.imageSize,
    imageChannels: config.imageChannels,
    widths: [...config.widths],
    groups: config.groups,
    embeddingDim: config.embeddingDim,
    embeddingHidden: config.embeddingHidden,
  };
}

/** ε̂ = UNet(x, t): x [N, C, S, S] float32, t [N] timesteps (int64, int32 or float32). */
export function unet(scope: ParameterScope, x: Value, t: Value, config: UNetConfig): Value {
  validateUNetConfig(config);
  const { widths, groups, imageSize, imageChannels } = config;
  const n = x.shape[0]!;
  if (x.shape.length !== 4 || x.shape[1] !== imageChannels || x.shape[2] !== imageSize || x.shape[3] !== imageSize) {
    throw new RangeError(msg.unetInputShape(scope.path, "x", `[N, ${imageChannels}, ${imageSize}, ${imageSize}]`, x.shape));
  }
  if (t.shape.length !== 1 || t.shape[0] !== n) throw new RangeError(msg.unetInputShape(scope.path, "t", `[${n}]`, t.shape));

  const emb = timestepEmbedding(scope.child("time"), t, config.embeddingDim, config.embeddingHidden);
  let h = conv2d(scope.child("conv_in"), x, widths[0]!, { kernel: 3, padding: 1 });
  const skips: Value[] = [];
  const levels = widths.length;
  for (let i = 0; i < levels; i++) {
    h = residualBlock(scope.child(`down${i}`), h, emb, widths[i]!, { groups });
    skips.push(h);
    if (i < levels - 1) h = downsample(scope.child(`down${i}_pool`), h);
  }
  h = residualBlock(scope.child("mid"), h, emb, widths[levels - 1]!, { groups });
  for (let i = levels - 1; i >= 0; i--) {
    h = residualBlock(scope.child(`up${i}`), concat([h, skips[i]!], 1), emb, widths[i]!, { groups });
    if (i > 0) h = upsample(scope.child(`up${i}_resize`), h, widths[i - 1]);
  }
  // Zero-initialised like the blocks' last convs: the untrained model predicts ε̂ = 0 (loss 1).
  return conv2d(scope.child("conv_out"), silu(groupNorm(scope.child("norm_out"), h, groups)), imageChannels, {
    kernel: 3,
    padding: 1,
    weightInit: zeros(),
    biasInit: zeros(),
  });
}
