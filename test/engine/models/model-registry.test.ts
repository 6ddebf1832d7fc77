import { strict as assert } from "node:assert";
import { isNbresumeError } from "../../../src/errors.js";
import { ddpm } from "../../../src/engine/diffusion/ddpm-model.js";
import { ModelErrorCode, modelMessages } from "../../../src/engine/models/messages.js";
import { mlpClassifier, mlpClassifierDefinition } from "../../../src/engine/models/mlp-classifier.js";
import { modelFromConfig, registerModel, registeredModelKinds } from "../../../src/engine/models/model-registry.js";
import "../../../src/engine/models/register-all-models.js";

describe("engine/models/model-registry: rebuilding a model from the config it recorded", () => {
  it("registers every built-in model by its config's kind", () => {
    assert.deepEqual(registeredModelKinds(), ["ddpm", "mlp-classifier"]);
  });

  it("rebuilds the MLP classifier and the DDPM model with the configs they recorded", () => {
    for (const model of [
      mlpClassifier({ inputSize: 12, hidden: [10, 6], classes: 3, dropout: 0.25 }),
      ddpm({ unet: "tiny", schedule: { kind: "cosine", steps: 50 } }),
    ]) {
      const config = JSON.parse(JSON.stringify(model.config)) as Record<string, unknown>; // as read back from state.json
      const rebuilt = modelFromConfig(config);
      assert.deepEqual(rebuilt.config, model.config);
      assert.deepEqual(Object.keys(rebuilt.graphs ?? {}), Object.keys(model.graphs ?? {}));
      assert.deepEqual(rebuilt.inputs(2), model.inputs(2));
    }
  });

  it("fails with MODEL_UNKNOWN_KIND naming the kind and the known kinds", () => {
    assert.throws(
      () => modelFromConfig({ kind: "resnet", depth: 18 }),
      (e: unknown) => isNbresumeError(e, ModelErrorCode.UNKNOWN_KIND) && e.message === modelMessages.unknownKind("resnet", ["ddpm", "mlp-classifier"]),
    );
  });

  it("throws a TypeError naming the field when a recorded config has the wrong shape", () => {
    assert.throws(() => modelFromConfig({ kind: "mlp-classifier", inputSize: 4, hidden: "8", classes: 2 }), {
      name: "TypeError",
      message: modelMessages.badField("hidden", "an array of numbers", "8"),
    });
    assert.throws(() => modelFromConfig({ kind: "ddpm", unet: { widths: 8 } }), {
      name: "TypeError",
      message: modelMessages.badField("unet.widths", "an array", 8),
    });
    assert.throws(() => modelFromConfig({ kind: "mlp-classifier", inputSize: 4, hidden: [0], classes: 2 }), RangeError, "values are the model's own check");
  });

  it("refuses to register a kind twice", () => {
    assert.throws(() => registerModel(mlpClassifierDefinition), { message: modelMessages.alreadyRegistered("mlp-classifier") });
  });
});
