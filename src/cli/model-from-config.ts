/**
 * Rebuilding the model that trained a checkpoint from the config it recorded (`Model.config`, which
 * TrainingSession.stateDict() stores as state.model and resumable() as state.training.model), for
 * export. One entry per model kind.
 * The config is untrusted JSON: shapes are checked here, values by the model's own constructor.
 * Each model's module loads only when a checkpoint of its kind is exported.
 */
import type { NoiseScheduleConfig } from "../engine/diffusion/noise-schedule.js";
import type { UNetConfig } from "../engine/models/unet.js";
import type { Model } from "../engine/nn/model.js";

type Builder = (config: Readonly<Record<string, unknown>>) => Promise<Model<never>>;

function numberField(config: Readonly<Record<string, unknown>>, name: string): number {
  const v = config[name];
  if (typeof v !== "number") throw new TypeError(`"${name}" must be a number, got ${JSON.stringify(v)}.`);
  return v;
}

function objectField(config: Readonly<Record<string, unknown>>, name: string): Record<string, unknown> {
  const v = config[name];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new TypeError(`"${name}" must be an object, got ${JSON.stringify(v)}.`);
  return v as Record<string, unknown>;
}

const BUILDERS: Readonly<Record<string, Builder>> = {
  "mlp-classifier": async (c) => {
    const hidden = c["hidden"];
    if (!Array.isArray(hidden) || !hidden.every((h) => typeof h === "number")) throw new TypeError(`"hidden" must be an array of numbers, got ${JSON.stringify(hidden)}.`);
    const dropout = c["dropout"] === undefined ? 0 : numberField(c, "dropout");
    const { mlpClassifier } = await import("../engine/models/mlp-classifier.js");
    return mlpClassifier({ inputSize: numberField(c, "inputSize"), hidden: hidden as number[], classes: numberField(c, "classes"), dropout });
  },
  ddpm: async (c) => {
    const unet = objectField(c, "unet");
    if (!Array.isArray(unet["widths"])) throw new TypeError(`"unet.widths" must be an array, got ${JSON.stringify(unet["widths"])}.`);
    const schedule = c["schedule"] === undefined ? undefined : (objectField(c, "schedule") as unknown as NoiseScheduleConfig);
    const { ddpm } = await import("../engine/diffusion/ddpm-model.js");
    return ddpm({ unet: unet as unknown as UNetConfig, ...(schedule ? { schedule } : {}) });
  },
};

export const MODEL_KINDS: readonly string[] = Object.keys(BUILDERS);

/** The builder for a config's `kind`, or undefined for a kind this version cannot rebuild. */
export function modelBuilder(kind: string): Builder | undefined {
  return Object.prototype.hasOwnProperty.call(BUILDERS, kind) ? BUILDERS[kind] : undefined;
}
