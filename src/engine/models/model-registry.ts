/**
 * Model builders by the `kind` of the config a model records (`Model.config`, saved in every
 * checkpoint), so a checkpoint's model can be rebuilt from its config alone — `nbresume export`
 * does. Every built-in model is registered by register-all-models.ts; import it first. A miss
 * throws naming the kind and the known kinds, as the gradient registry does for ops.
 */
import { NbresumeError } from "../../errors.js";
import type { Model } from "../nn/model.js";
import type { RecordedConfig } from "./config-fields.js";
import { ModelErrorCode, modelMessages } from "./messages.js";

export interface ModelDefinition {
  /** The `kind` the model's `config` records. */
  readonly kind: string;
  /**
   * The model its recorded config describes. The config is untrusted JSON: a malformed field
   * throws TypeError, a bad value the model's own RangeError.
   */
  fromConfig(config: RecordedConfig): Model<never>;
}

const registry = new Map<string, ModelDefinition>();

export function registerModel(def: ModelDefinition): void {
  if (registry.has(def.kind)) throw new Error(modelMessages.alreadyRegistered(def.kind));
  registry.set(def.kind, def);
}

export function registeredModelKinds(): string[] {
  return [...registry.keys()].sort();
}

/** The definition for `kind`; NbresumeError MODEL_UNKNOWN_KIND naming the known kinds on a miss. */
export function modelDefinition(kind: string): ModelDefinition {
  const def = registry.get(kind);
  if (def === undefined) throw new NbresumeError(ModelErrorCode.UNKNOWN_KIND, modelMessages.unknownKind(kind, registeredModelKinds()), { where: kind });
  return def;
}

/** Rebuilds the model a recorded config (with its `kind`) describes. */
export function modelFromConfig(config: RecordedConfig): Model<never> {
  const kind = config["kind"];
  if (typeof kind !== "string" || kind === "") throw new TypeError(modelMessages.noKind(kind));
  return modelDefinition(kind).fromConfig(config);
}
