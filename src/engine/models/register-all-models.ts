/** Registers every built-in model with the model registry. Add one import and one entry per new model. */
import { ddpmDefinition } from "../diffusion/ddpm-model.js";
import { mlpClassifierDefinition } from "./mlp-classifier.js";
import { registerModel, type ModelDefinition } from "./model-registry.js";

const all: ModelDefinition[] = [mlpClassifierDefinition, ddpmDefinition];

for (const def of all) registerModel(def);
