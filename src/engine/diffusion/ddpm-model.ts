/**
 * DDPM (Ho et al. 2020) on a UNet as a `Model`: the ε-prediction training loss, and a "sample" graph
 * (one evaluation of the denoising network) that the samplers in this folder loop over.
 *
 *   const model = ddpm({ unet: "small" });           // linear β schedule, T = 1000
 *   const session = await createTrainingSession({ model, ... });
 *   await session.step(loader.next());               // a DataLoader Batch: column images [n, 784] in [0, 1]
 *   const denoiser = await session.graph("sample", 16);
 *   const x0 = await sampleDdim(denoiser, model, createGenerator(1), { steps: 20 });
 *
 * Training step inputs (all randomness drawn in `feeds()` from the run's generator, in this order:
 * n timesteps, then n·C·S·S noise values, so a resumed run draws exactly what an uninterrupted one
 * would):
 *   images [n, C, S, S] float32 in [0, 1]   scaled to x_0 = 2·images − 1 ∈ [−1, 1] in the graph
 *   t      [n] int64, uniform on {0..T−1}   (⌊u·T⌋ for a 24-bit uniform u: bias below 1e-4)
 *   noise  [n, C, S, S] float32, N(0, 1)
 * The graph gathers √ᾱ_t and √(1 − ᾱ_t) from float32 constant tables of length T, forms
 * x_t = √ᾱ_t·x_0 + √(1 − ᾱ_t)·ε, predicts ε̂ = UNet(x_t, t) and returns mean((ε̂ − ε)²).
 *
 * The "sample" graph: inputs x [n, C, S, S] (x_t) and t [n] int64 → output eps [n, C, S, S].
 */
import { NbresumeError } from "../../errors.js";
import { type Tensor, tensor } from "../../tensor.js";
import { EngineErrorCode } from "../messages.js";
import { add, gather, mseLoss, mul, reshape, shift, scale } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { objectField } from "../models/config-fields.js";
import { modelMessages } from "../models/messages.js";
import type { ModelDefinition } from "../models/model-registry.js";
import type { UNetConfig, UNetPreset } from "../models/unet.js";
import { UNET_PRESETS, isUNetPreset, unet, validateUNetConfig } from "../models/unet.js";
import type { Feeds, InputSpecs, Model } from "../nn/model.js";
import type { NoiseSchedule, NoiseScheduleConfig } from "./noise-schedule.js";
import { noiseSchedule } from "./noise-schedule.js";
import { diffusionMessages as msg } from "./messages.js";

/** Names of the "sample" graph's inputs and output. */
export const SAMPLE_GRAPH = "sample";
export const SAMPLE_X = "x";
export const SAMPLE_T = "t";
export const SAMPLE_EPS = "eps";

/**
 * A batch with a column `images`: float32 in [0, 1], row-major [n, C·S·S] values (any shape
 * whose rows are one image each, e.g. the DataLoader's [n, 784]); the DataLoader's `Batch` is one.
 * A training step needs n = the session's batch size (its graph has static shapes).
 */
export interface DiffusionBatch {
  readonly columns: Readonly<Record<string, Tensor>>;
}

export interface DdpmConfig {
  /** A preset name or a full UNet config. */
  readonly unet: UNetPreset | UNetConfig;
  /** Default: linear β, T = 1000. */
  readonly schedule?: NoiseScheduleConfig;
}

/** What the samplers need to know about a diffusion model. */
export interface DiffusionSpec {
  readonly schedule: NoiseSchedule;
  /** [C, S, S] of one image. */
  readonly imageShape: readonly [number, number, number];
}

export interface DdpmModel extends Model<DiffusionBatch>, DiffusionSpec {
  readonly unet: UNetConfig;
}

const DDPM = "ddpm";

export function ddpm(config: DdpmConfig): DdpmModel {
  const unetConfig: UNetConfig = isUNetPreset(config.unet) ? UNET_PRESETS[config.unet] : typeof config.unet === "string" ? badPreset(config.unet) : config.unet;
  const unetJson = validateUNetConfig(unetConfig);
  const schedule = noiseSchedule(config.schedule ?? { kind: "linear", steps: 1000 });
  const { imageSize: size, imageChannels: channels } = unetConfig;
  const imageShape = [channels, size, size] as const;
  const pixels = channels * size * size;
  const steps = schedule.steps;

  const imageSpec = (n: number): InputSpecs[string] => ({ dtype: "float32", shape: [n, ...imageShape] });
  const table = (x: Value, values: Float64Array): Value => x.graph.constant(tensor("float32", [steps], Float32Array.from(values)));
  const perSample = (v: Value, n: number): Value => reshape(v, [n, 1, 1, 1]);

  return {
    config: { kind: DDPM, unet: unetJson, schedule: schedule.config },
    unet: unetConfig,
    schedule,
    imageShape,
    inputs: (n) => ({ images: imageSpec(n), t: { dtype: "int64", shape: [n] }, noise: imageSpec(n) }),
    loss(scope, inputs) {
      const images = inputs["images"]!;
      const t = inputs["t"]!;
      const noise = inputs["noise"]!;
      const n = images.shape[0]!;
      const x0 = shift(scale(images, 2), -1);
      const xt = add(
        mul(perSample(gather(table(x0, schedule.sqrtAlphaBars), t), n), x0),
        mul(perSample(gather(table(x0, schedule.sqrtOneMinusAlphaBars), t), n), noise),
      );
      return { loss: mseLoss(unet(scope, xt, t, unetConfig), noise) };
    },
    feeds(batch: DiffusionBatch, rng): Feeds {
      const columns: unknown = batch?.columns;
      const column =
        typeof columns === "object" && columns !== null && Object.prototype.hasOwnProperty.call(columns, "images") ? batch.columns["images"] : undefined;
      const images = column?.data;
      if (!(images instanceof Float32Array) || images.length === 0 || !Number.isSafeInteger(images.length / pixels)) {
        // The data, not an argument of ours: the same code as a user model's column mismatch.
        throw new NbresumeError(EngineErrorCode.MODEL_DATA_MISMATCH, msg.badBatch(imageShape, images), { where: "images" });
      }
      const n = images.length / pixels;
      const u = rng.fillUniform(new Float32Array(n), 0, 1);
      const t = new BigInt64Array(n);
      for (let i = 0; i < n; i++) t[i] = BigInt(Math.min(steps - 1, Math.floor(u[i]! * steps)));
      const noise = rng.fillNormal(new Float32Array(n * pixels), 0, 1);
      return {
        images: { dtype: "float32", shape: [n, ...imageShape], data: images },
        t: { dtype: "int64", shape: [n], data: t },
        noise: { dtype: "float32", shape: [n, ...imageShape], data: noise },
      };
    },
    graphs: {
      [SAMPLE_GRAPH]: {
        inputs: (n) => ({ [SAMPLE_X]: imageSpec(n), [SAMPLE_T]: { dtype: "int64", shape: [n] } }),
        build: (scope, inputs) => ({ [SAMPLE_EPS]: unet(scope, inputs[SAMPLE_X]!, inputs[SAMPLE_T]!, unetConfig) }),
      },
    },
    // DDIM samples from the same noise every time: the same digits getting better.
    previews: [{ kind: "diffusion-samples", settings: { graph: SAMPLE_GRAPH, imageShape: [...imageShape], schedule: schedule.config } }],
  };
}

/** Rebuilds the model from the config it recorded (for the model registry). */
export const ddpmDefinition: ModelDefinition = {
  kind: DDPM,
  fromConfig(c) {
    const unetConfig = objectField(c, "unet");
    if (!Array.isArray(unetConfig["widths"])) throw new TypeError(modelMessages.badField("unet.widths", "an array", unetConfig["widths"]));
    const schedule = c["schedule"] === undefined ? undefined : (objectField(c, "schedule") as unknown as NoiseScheduleConfig);
    return ddpm({ unet: unetConfig as unknown as UNetConfig, ...(schedule ? { schedule } : {}) });
  },
};

function badPreset(name: string): never {
  throw new RangeError(msg.unknownPreset(name, Object.keys(UNET_PRESETS)));
}
